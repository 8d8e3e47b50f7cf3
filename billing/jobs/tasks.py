"""The scheduled jobs: one thin wrapper each, calling its pipeline step through `run_job`.

The job store keeps references to these functions and their keyword arguments (workspace,
cron line, time zone, options), so they stay plain module-level functions. `fired` is the time
the run stands for: the job store gives the fire time APScheduler runs the job for (with
coalescing, the latest of the times it missed); a run fired out of its schedule (an interrupted
run again, a catch-up) gives its own. Without it, the cron line's latest time up to now.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from billing.jobs.schedule import last_fire_time
from billing.pipeline.context import open_context
from billing.pipeline.jobs import Fired, run_job

log = logging.getLogger("billing.jobs")

# Set when the scheduler is stopping: runs queued at start-up are not begun any more.
STOPPING = threading.Event()


def fire(
    workspace: str, job: str, cron: str, timezone: str, fired: str | None, options: Mapping[str, Any]
) -> Fired | None:
    """Open the workspace, run the job for its fire time, log what happened."""
    when = (
        datetime.fromisoformat(fired)
        if fired
        else last_fire_time(cron, timezone, datetime.now(ZoneInfo(timezone)))
    )
    try:
        ctx = open_context(Path(workspace))
    except Exception:
        log.exception("%s: cannot open the workspace %s", job, workspace)
        return None
    try:
        done = run_job(ctx, job, when, options=options)
    finally:
        ctx.engine.dispose()
    log.info("%s", done.describe())
    return done


def import_inbox(workspace: str, cron: str, timezone: str, fired: str | None = None, **options: Any) -> None:
    """inbox/readings, inbox/deposits, inbox/returns/<bank> → imported, moved to done/ or rejected/."""
    fire(workspace, "import-inbox", cron, timezone, fired, options)


def bill(workspace: str, cron: str, timezone: str, fired: str | None = None, **options: Any) -> None:
    """`billing run` of the previous period, once all its readings are in."""
    fire(workspace, "bill", cron, timezone, fired, options)


def notices(workspace: str, cron: str, timezone: str, fired: str | None = None, **options: Any) -> None:
    """`billing notices` of the previous period, once it is issued."""
    fire(workspace, "notices", cron, timezone, fired, options)


def debit(workspace: str, cron: str, timezone: str, fired: str | None = None, **options: Any) -> None:
    """`billing debit` of the previous period for each configured bank."""
    fire(workspace, "debit", cron, timezone, fired, options)


def arrears(workspace: str, cron: str, timezone: str, fired: str | None = None, **options: Any) -> None:
    """`billing arrears` as of the day."""
    fire(workspace, "arrears", cron, timezone, fired, options)


def reports(workspace: str, cron: str, timezone: str, fired: str | None = None, **options: Any) -> None:
    """The day's deposit slip and cash ledger; at month end collection and balance."""
    fire(workspace, "reports", cron, timezone, fired, options)


def start_up(workspace: str, runs: list[dict[str, Any]]) -> None:
    """Runs fired out of their schedule when the scheduler starts (interrupted runs again, then
    catch-ups), one after the other in the order given, so the inbox goes in before the bill."""
    for run in runs:
        if STOPPING.is_set():
            log.info("stopping: %s not run", run["job"])
            return
        fire(workspace, run["job"], run["cron"], run["timezone"], run["fired"], run["options"])


TASKS: Mapping[str, Callable[..., None]] = {
    "import-inbox": import_inbox,
    "bill": bill,
    "notices": notices,
    "debit": debit,
    "arrears": arrears,
    "reports": reports,
}
