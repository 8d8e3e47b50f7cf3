"""`billing scheduler`: APScheduler 3.x wiring — a BlockingScheduler with its job store in the
workspace's database, the jobs of config/schedule.toml, and a clean stop on SIGTERM/SIGINT.

- The job store (table `scheduler_jobs`) keeps each job's next run time, so a job missed while
  the scheduler was down runs once on start (coalesce) if it is at most `misfire_grace_hours`
  late. A job whose cron line did not change keeps its stored next run time on restart.
- `max_instances = 1`; two scheduler processes on one database may both fire a job: the run
  lock and the job_runs row (billing.pipeline.jobs) make it run once per key.
- On start, runs left `running` by a killed process are run again, as they were fired.
- SIGTERM/SIGINT: no new runs; the one in progress finishes (each step is one transaction), then
  the process exits 0. A second signal exits at once; the database rolls the open step back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import TIMEOUT_MAX
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.util import obj_to_ref

from billing.jobs.schedule import Schedule, cron_trigger, last_fire_time, load_schedule
from billing.jobs.tasks import STOPPING, TASKS, start_up
from billing.pipeline.context import Context, open_context
from billing.pipeline.jobs import job_store_engine, unfinished_runs

log = logging.getLogger("billing.scheduler")

WORKERS = 4
RETRY_SECONDS = 30


class _JobStore(SQLAlchemyJobStore):
    """The SQLAlchemy job store, riding out a busy database instead of stopping the scheduler.

    APScheduler calls `update_job` and `get_next_run_time` outside its own error handling; a
    locked SQLite file or a job another scheduler process removed must not end the main loop.
    """

    def get_due_jobs(self, now: datetime) -> list[Job]:
        """The due jobs, each told the time it runs for: with coalescing, the latest of its missed
        fire times (the key and as_of of the run come from it)."""
        jobs: list[Job] = super().get_due_jobs(now)
        for job in jobs:
            fired = job.next_run_time
            while (following := job.trigger.get_next_fire_time(fired, now)) is not None and following <= now:
                fired = following
            job.kwargs = {**job.kwargs, "fired": fired.astimezone(job.trigger.timezone).isoformat()}
        return jobs

    def update_job(self, job: Job) -> None:
        try:
            super().update_job(job)
        except JobLookupError:
            log.warning("job %s was removed from the job store by another scheduler", job.id)
        except Exception as exc:
            log.warning("could not record the next run of %s: %s", job.id, exc)

    def get_next_run_time(self) -> datetime | None:
        try:
            return super().get_next_run_time()
        except Exception as exc:
            log.warning("could not read the job store: %s; trying again in %d s", exc, RETRY_SECONDS)
            return datetime.now(UTC) + timedelta(seconds=RETRY_SECONDS)


def run_scheduler(root: Path, *, catch_up: bool = False) -> int:
    """Run the jobs of config/schedule.toml until SIGTERM/SIGINT; 0 after a clean stop."""
    stop = _StopOnSignals()  # from the first moment: a signal while starting up is a clean stop too
    ctx = open_context(root)
    try:
        schedule = load_schedule(ctx.workspace)
        scheduler = _build(ctx, schedule, catch_up=catch_up)
        if stop.attach(scheduler):
            log.info(
                "scheduler started for %s (pid %d); SIGTERM or Ctrl-C stops it",
                ctx.workspace.root,
                os.getpid(),
            )
            scheduler.start()  # blocks until shut down
    finally:
        ctx.engine.dispose()
    log.info("scheduler stopped")
    return 0


def _build(ctx: Context, schedule: Schedule, *, catch_up: bool) -> _Scheduler:
    store = _JobStore(engine=job_store_engine(ctx), tablename="scheduler_jobs")
    scheduler = _Scheduler(
        timezone=schedule.zone,
        executors={"default": ThreadPoolExecutor(WORKERS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": schedule.misfire_grace_seconds,
        },
    )
    scheduler.add_jobstore(store, "default")
    scheduler.add_jobstore(MemoryJobStore(), "once")
    workspace = str(ctx.workspace.root.resolve())
    _plan(scheduler, store, schedule, workspace)
    runs = []  # fired out of schedule now, in job order: interrupted runs again, then catch-ups
    now = datetime.now(schedule.zone)
    order = list(TASKS)
    for run in sorted(
        unfinished_runs(ctx), key=lambda r: order.index(r.job) if r.job in order else len(order)
    ):
        entry = schedule.job(run.job)
        if entry is not None:
            log.info("%s %s was left running by %s; it runs again now", run.job, run.key, run.runner)
            runs.append(_fire_args(run.job, entry.cron, schedule, run.fired, entry.options))
    if catch_up:
        for entry in sorted(schedule.jobs, key=lambda e: order.index(e.name)):
            if entry.enabled:
                fired = last_fire_time(entry.cron, schedule.timezone, now).isoformat()
                runs.append(_fire_args(entry.name, entry.cron, schedule, fired, entry.options))
    if runs:
        scheduler.add_job(
            start_up,
            "date",
            run_date=now,
            id="start-up",
            name="start-up",
            jobstore="once",
            kwargs={"workspace": workspace, "runs": runs},
            misfire_grace_time=None,
        )
    return scheduler


def _plan(scheduler: BlockingScheduler, store: _JobStore, schedule: Schedule, workspace: str) -> None:
    """Put the enabled jobs in the store, keeping the stored next run time of a job whose trigger
    and arguments did not change (so a missed run still runs), and drop the jobs no longer wanted."""
    store.start(scheduler, "default")
    stored = {job.id: job for job in store.get_all_jobs()}
    now = datetime.now(schedule.zone)
    for entry in schedule.jobs:
        if not entry.enabled:
            log.info("%-12s disabled", entry.name)
            continue
        task = TASKS[entry.name]
        trigger = cron_trigger(entry.cron, schedule.zone)
        kwargs = {"workspace": workspace, "cron": entry.cron, "timezone": schedule.timezone, **entry.options}
        old = stored.get(entry.name)
        same = (
            old is not None
            and repr(old.trigger) == repr(trigger)
            and {k: v for k, v in old.kwargs.items() if k != "fired"} == kwargs
            and old.func_ref == obj_to_ref(task)
            and old.next_run_time is not None
        )
        extra: dict[str, Any] = {"next_run_time": old.next_run_time} if same and old is not None else {}
        scheduler.add_job(
            task,
            trigger,
            id=entry.name,
            name=entry.name,
            kwargs=kwargs,
            jobstore="default",
            replace_existing=True,
            **extra,
        )
        upcoming = extra.get("next_run_time") or trigger.get_next_fire_time(None, now)
        late = " (missed; runs now)" if upcoming is not None and upcoming <= now else ""
        log.info(
            "%-12s cron %-16s next run %s%s",
            entry.name,
            entry.cron,
            f"{upcoming:%Y-%m-%d %H:%M %Z}" if upcoming else "never",
            late,
        )
    wanted = {e.name for e in schedule.jobs if e.enabled}
    for job_id in stored.keys() - wanted:
        with contextlib.suppress(JobLookupError):
            store.remove_job(job_id)


def _fire_args(
    job: str, cron: str, schedule: Schedule, fired: str, options: dict[str, Any]
) -> dict[str, Any]:
    return {"job": job, "cron": cron, "timezone": schedule.timezone, "fired": fired, "options": options}


class _Scheduler(BlockingScheduler):
    """A BlockingScheduler that stops in its own thread, between two rounds of job processing.

    (APScheduler's shutdown() called from another thread can land in the middle of a round and
    make it fail on the job it was removing.)
    """

    stop_requested = False

    def _main_loop(self) -> None:
        wait_seconds: float | None = TIMEOUT_MAX
        while self.state != STATE_STOPPED:
            self._event.wait(wait_seconds)
            self._event.clear()
            if self.stop_requested:
                self.shutdown(wait=True)  # no new run; the running ones finish
                return
            wait_seconds = self._process_jobs()


class _StopOnSignals:
    """First SIGTERM/SIGINT: take no new runs, let the running ones finish, stop. Second: exit now."""

    def __init__(self) -> None:
        self.signalled = False
        self.scheduler: _Scheduler | None = None
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def attach(self, scheduler: _Scheduler) -> bool:
        """Stop this scheduler on the next signal; False when one came already (do not start)."""
        self.scheduler = scheduler
        return not self.signalled

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.signalled:
            log.warning("second signal %d: stopping now; the step in progress rolls back", signum)
            os._exit(128 + signum)
        self.signalled = True
        STOPPING.set()
        log.info("signal %d: stopping once the running jobs finish", signum)
        if self.scheduler is not None:
            self.scheduler.stop_requested = True
            # woken from another thread: the handler may have interrupted this one inside the Event
            threading.Thread(target=self.scheduler.wakeup, name="billing-stop").start()
