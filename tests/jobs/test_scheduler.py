"""`billing scheduler` as a real process: the inbox emptied, a missed run made up on start, a
bill run killed with SIGKILL and finished on restart as one clean run, two schedulers on one
database running every job key once, and a clean stop on SIGTERM.

Schedules here fire every minute ("* * * * *", the contract's five fields); `--catch-up` and
a rewound job store make them fire at start instead of waiting for the minute.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import func, select

from billing.domain.period import Period
from billing.pipeline.billrun import issue_bills
from billing.pipeline.context import Context, open_context
from billing.pipeline.exports import export_bills
from billing.pipeline.imports import KINDS, import_file, readings_kind
from billing.pipeline.jobs import Status, recent_runs
from billing.store import schema as t
from billing.synth import generate_estate

from .estate import DEPOSITS, drop, master_data, ok

BILLING = str(Path(sys.executable).with_name("billing"))
SLOW_BILLING = [sys.executable, str(Path(__file__).with_name("slow_billing.py"))]
ALL_OFF = {
    "import-inbox": None,
    "bill": None,
    "notices": None,
    "debit": None,
    "arrears": None,
    "reports": None,
}


def schedule(root: Path, **crons: str | None) -> None:
    """config/schedule.toml in UTC: the given jobs on their cron line, the others disabled."""
    text = 'timezone = "UTC"\n'
    for job, cron in {**ALL_OFF, **crons}.items():
        text += f'[jobs.{job}]\ncron = "{cron or "0 0 1 1 *"}"\n' + ("" if cron else "enabled = false\n")
    (root / "config" / "schedule.toml").write_text(text, encoding="utf-8")


class Scheduler:
    """One `billing scheduler` process, its output in a file."""

    def __init__(
        self, root: Path, *args: str, command: list[str] | None = None, name: str = "scheduler"
    ) -> None:
        self.log = root.parent / f"{name}.log"
        self.out = self.log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [*(command or [BILLING]), "-w", str(root), "scheduler", *args],
            stdout=self.out,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.out.close()


@pytest.fixture
def processes() -> Iterator[list[Scheduler]]:
    started: list[Scheduler] = []
    yield started
    for s in started:  # whatever the test did, nothing is left running
        if s.running():
            s.proc.kill()
            s.proc.wait()
        s.out.close()


def wait_for(condition: Callable[[], bool], seconds: float, *watched: Scheduler) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        if any(not s.running() for s in watched):
            return condition()
        time.sleep(0.2)
    return condition()


def rows(ctx: Context) -> list[tuple[str, str, str, int]]:
    return sorted((r.job, r.key, r.status.value, r.attempts) for r in recent_runs(ctx, limit=1000))


def count(ctx: Context, table: t.Table) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def today_and_period() -> tuple[date, Period]:
    """The scheduler's day (UTC schedule) and the period its bill job bills: the one before."""
    now = datetime.now(UTC)
    if (now + timedelta(minutes=3)).month != now.month:
        pytest.skip("too close to the end of a month: the period billed would change under the test")
    return now.date(), Period.of(now.date()).prev()


def synth_estate(ctx: Context, tmp_path: Path, period: Period) -> None:
    """A small synthetic estate with its readings for `period` (any period: the scheduler bills
    the one before today)."""
    files = generate_estate(40, 11, tmp_path / "estate", periods=(str(period),))
    for name in ("settings.toml", "tariffs.toml"):
        shutil.copyfile(files.root / "config" / name, ctx.workspace.config_dir / name)
    for kind, path in (
        ("units", files.units),
        ("meters", files.meters),
        ("meter-changes", files.meter_changes),
    ):
        ok(import_file(ctx, KINDS[kind], path, today=period.first_day))
    ok(
        import_file(
            ctx,
            readings_kind(period),
            files.readings_for(str(period)),
            today=period.last_day,
            scope=str(period),
        )
    )


def test_a_run_missed_while_down_runs_once_on_start_and_sigterm_stops_cleanly(
    sqlite_workspace: Path, processes: list[Scheduler]
) -> None:
    root = sqlite_workspace
    ctx = open_context(root, lang="en")
    master_data(ctx)
    schedule(root, **{"import-inbox": "* * * * *"})
    if datetime.now().second > 50:  # the first start must not reach the next minute
        time.sleep(61 - datetime.now().second)
    first = Scheduler(root, name="first")
    processes.append(first)
    assert wait_for(lambda: "scheduler started" in first.text(), 60, first), first.text()
    assert first.stop() == 0, first.text()
    assert "import-inbox cron * * * * *        next run" in first.text()
    assert "scheduler stopped" in first.text()
    assert rows(ctx) == []

    # the machine is "down" for three minutes: the stored next run is three fire times ago
    store = SQLAlchemyJobStore(engine=ctx.engine, tablename="scheduler_jobs")
    store.start(BlockingScheduler(), "default")
    job = store.lookup_job("import-inbox")
    job.next_run_time = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=3)
    store.update_job(job)

    inbox = root / "inbox" / "deposits"
    drop(inbox, "deposits-good.csv", DEPOSITS + f"{date.today()},SCHED-1,1-101,owner,10.00,cash\n")
    drop(inbox, "deposits-broken.csv", DEPOSITS + "not-a-date,SCHED-2,NO-SUCH,x,-1,cash\n")
    again = Scheduler(root, name="again")
    processes.append(again)
    assert wait_for(lambda: not any(inbox.iterdir()), 30, again), again.text()
    assert wait_for(lambda: "import-inbox" in again.text() and "imported" in again.text(), 10, again)
    assert again.stop() == 0, again.text()

    day = (root / "inbox" / "done").iterdir().__next__().name
    assert [p.name for p in (root / "inbox" / "done" / day).iterdir()] == ["deposits-good.csv"]
    assert sorted(p.name for p in (root / "inbox" / "rejected" / day).iterdir()) == [
        "deposits-broken.csv",
        "deposits-broken.csv.problems.txt",
    ]
    [run] = recent_runs(ctx)  # three missed fire times, coalesced into one run
    assert (run.job, run.status, run.attempts, run.summary) == (
        "import-inbox",
        Status.DONE,
        1,
        "1 imported, 1 rejected (deposits-broken.csv)",
    )
    assert count(ctx, t.payments) == 1
    ctx.engine.dispose()


def test_a_bill_run_killed_in_the_middle_ends_as_one_clean_run(
    sqlite_workspace: Path, tmp_path: Path, processes: list[Scheduler], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = sqlite_workspace
    today, period = today_and_period()
    ctx = open_context(root, lang="en")
    synth_estate(ctx, tmp_path, period)
    schedule(root, bill="* * * * *")
    clean = tmp_path / "clean"
    shutil.copytree(root, clean)

    marker = tmp_path / "in-the-bill-run"
    monkeypatch.setenv("BILLING_TEST_MARKER", str(marker))
    killed = Scheduler(root, "--catch-up", command=SLOW_BILLING, name="killed")
    processes.append(killed)
    assert wait_for(marker.exists, 30, killed), killed.text()
    assert killed.stop(signal.SIGKILL) == -signal.SIGKILL
    assert count(ctx, t.bills) == 0 and count(ctx, t.bill_runs) == 0  # the open transaction is gone
    assert rows(ctx) == [("bill", str(period), "running", 1)]

    restarted = Scheduler(root, name="restarted")
    processes.append(restarted)
    assert wait_for(lambda: rows(ctx) == [("bill", str(period), "done", 2)], 30, restarted), restarted.text()
    assert f"bill {period} was left running" in restarted.text()
    assert restarted.stop() == 0, restarted.text()

    [run] = recent_runs(ctx)
    assert run.as_of == today
    clean_ctx = open_context(clean, lang="en")
    ok(issue_bills(clean_ctx, period, run.as_of))
    ok(export_bills(clean_ctx, period, tmp_path / "clean.csv"))
    ok(export_bills(ctx, period, tmp_path / "scheduled.csv"))
    assert (tmp_path / "scheduled.csv").read_text() == (tmp_path / "clean.csv").read_text()
    assert count(ctx, t.bills) == count(clean_ctx, t.bills) > 30
    with ctx.engine.connect() as conn:
        assert set(conn.execute(select(t.bills.c.issue_date)).scalars()) == {today}
    clean_ctx.engine.dispose()
    ctx.engine.dispose()


def test_two_schedulers_on_one_database_run_every_job_key_once(
    workspace: Path, database_url: str | None, tmp_path: Path, processes: list[Scheduler]
) -> None:
    root = workspace
    today, period = today_and_period()
    ctx = open_context(root, lang="en")
    synth_estate(ctx, tmp_path, period)
    schedule(root, **{"import-inbox": "* * * * *", "bill": "* * * * *", "debit": "* * * * *"})
    with ctx.engine.connect() as conn:
        unit = (
            conn.execute(
                select(t.units.c.unit_id).where(t.units.c.owner_name.is_not(None)).order_by(t.units.c.unit_id)
            )
            .scalars()
            .first()
        )
    inbox = root / "inbox" / "deposits"
    drop(inbox, "first.csv", DEPOSITS + f"{today},TWO-1,{unit},owner,10.00,cash\n")

    pair = [Scheduler(root, "--catch-up", name=f"s{i}") for i in (1, 2)]
    processes.extend(pair)
    started = datetime.now(UTC)
    assert wait_for(lambda: all("scheduler started" in s.text() for s in pair), 60, *pair), [
        s.text() for s in pair
    ]
    done = {("import-inbox", "done"), ("bill", "done"), ("debit", "done")}
    assert wait_for(
        lambda: {(r[0], r[2]) for r in rows(ctx)} >= done and not any(inbox.iterdir()), 60, *pair
    ), (rows(ctx), pair[0].text(), pair[1].text())
    if database_url:  # and the cron line itself, firing in both processes at the next minute
        drop(inbox, "second.csv", DEPOSITS + f"{today},TWO-2,{unit},owner,20.00,cash\n")
        after = started.replace(second=0, microsecond=0) + timedelta(minutes=1)
        minute_key = f"{after:%Y-%m-%dT%H:%M}"
        assert wait_for(
            lambda: (
                any(r[0] == "import-inbox" and r[1] >= minute_key and r[2] == "done" for r in rows(ctx))
                and not any(inbox.iterdir())
            ),
            90,
            *pair,
        ), (rows(ctx), pair[0].text(), pair[1].text())
    assert all(s.running() for s in pair)
    assert [s.stop() for s in pair] == [0, 0], (pair[0].text(), pair[1].text())

    runs = rows(ctx)
    assert all(attempts == 1 for _, _, _, attempts in runs), runs
    assert len({(job, key) for job, key, _, _ in runs}) == len(runs)
    assert ("bill", str(period), "done", 1) in runs and ("debit", today.isoformat(), "done", 1) in runs
    assert count(ctx, t.bill_runs) == 1 and count(ctx, t.debit_batches) <= 1
    with ctx.engine.connect() as conn:
        slips = sorted(
            conn.execute(select(t.payments.c.slip_no).where(t.payments.c.slip_no.like("TWO-%"))).scalars()
        )
    assert slips == (["TWO-1", "TWO-2"] if database_url else ["TWO-1"])
    ctx.engine.dispose()
