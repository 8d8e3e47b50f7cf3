"""Scheduled jobs as pipeline steps, and the bookkeeping that runs each one once per key.

A job is fired for a moment `fired` (in the schedule's time zone). Its key — the minute for the
inbox, the day for debit, arrears and reports, the period for bill and notices — and its as_of
(the day) come from that moment, never from a clock.

Exactly once, whoever fires the job (two schedulers on one database, `billing jobs --run`):

1. A run lock per job, held for the whole run and dropped by the operating system or the
   server when the process dies: PostgreSQL, a session advisory lock; SQLite, `flock` on a file
   beside the database. A second process finds it taken and does nothing.
2. The claim, in one locked transaction (SQLite `BEGIN IMMEDIATE`, PostgreSQL advisory lock) on
   the unique `(job, key)` row of `job_runs`: `done` → nothing to do; `running` while the run
   lock was free → the last attempt died (kill -9) and runs again with its own fire time and
   as_of; anything else (new, waiting, failed, skipped) → run.
3. Every step is one transaction and idempotent itself (a period is issued once, a file's
   content imported once, a debit batch made once per bank, period and day), so a run killed
   in the middle and run again ends as one clean run.

A run that fails or waits (or rejects a file) writes a line to `out/alerts.log` and, when
`[notify] command` is set, runs that command with the message as its last argument.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import importlib
import inspect
import logging
import os
import re
import shlex
import socket
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, select, text, update

from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.pipeline.billrun import issue_bills
from billing.pipeline.collections import import_bank_return, make_debit
from billing.pipeline.context import Context, StepResult
from billing.pipeline.imports import KINDS, import_file, readings_kind
from billing.store import repo
from billing.store import schema as t
from billing.store.locks import exclusive

log = logging.getLogger("billing.jobs")

# A problems text keeps at most this many lines (a missing estate is not 10 000 lines of it).
MAX_PROBLEM_LINES = 50
# A file changed less than this long ago may still be being copied in: it waits for the next run.
SETTLE_SECONDS = 2.0


class Status(StrEnum):
    RUNNING = "running"
    DONE = "done"
    WAITING = "waiting"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What a job body reports: its status, one line of summary, and the problems behind it."""

    status: Status
    summary: str
    problems: tuple[Problem, ...] = ()
    alert: bool = False  # worth an alert although done (a file was rejected)

    @property
    def alerts(self) -> bool:
        return self.alert or self.status in (Status.FAILED, Status.WAITING)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRun:
    """One row of job_runs."""

    job: str
    key: str
    fired: str
    as_of: date
    status: Status
    attempts: int
    runner: str
    started: datetime
    finished: datetime | None
    summary: str
    problems: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Fired:
    """What firing a job did: ran it (maybe again, after a crash), found it done, or found it busy."""

    job: str
    key: str
    as_of: date
    action: str  # ran | done-before | busy
    outcome: Outcome | None = None
    recovered: bool = False

    def describe(self) -> str:
        head = f"{self.job} {self.key}"
        if self.action == "busy":
            return f"{head}: running in another process; nothing done here"
        if self.action == "done-before" or self.outcome is None:
            return f"{head}: already done; nothing to do"
        again = " (run again after an interrupted attempt)" if self.recovered else ""
        return f"{head}: {_status_line(self.outcome)}{again}"


# A job body: the step for the fire time (its as_of is the fire day), with the schedule's options.
Body = Callable[[Context, datetime, Mapping[str, Any]], Outcome]


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    key: Callable[[datetime], str]
    body: Body
    doc: str


# --- firing a job once per key ----------------------------------------------------------------------


def run_job(
    ctx: Context,
    job: str,
    fired: datetime,
    *,
    options: Mapping[str, Any] | None = None,
    clock: Callable[[], datetime] = datetime.now,
) -> Fired:
    """Fire `job` for the moment `fired`: run its body once for its key, record it, alert if needed."""
    spec = JOBS[job]
    key = spec.key(fired)
    with run_lock(ctx, job) as held:
        if not held:
            return Fired(job=job, key=key, as_of=fired.date(), action="busy")
        claim = _claim(ctx, job, key, fired, clock())
        if claim is None:
            return Fired(job=job, key=key, as_of=fired.date(), action="done-before")
        run_id, fired, recovered = claim
        outcome = _guarded(spec, ctx, fired, options or {})
        _finish(ctx, run_id, outcome, clock())
    if outcome.alerts:
        alert(ctx, f"{job} {key}: {_status_line(outcome)}", clock)
    return Fired(job=job, key=key, as_of=fired.date(), action="ran", outcome=outcome, recovered=recovered)


def _claim(
    ctx: Context, job: str, key: str, fired: datetime, now: datetime
) -> tuple[int, datetime, bool] | None:
    """Take the (job, key) row for this attempt; None when it is done already.

    Called with the job's run lock held: a row still `running` is an attempt that died, and is
    run again as it was fired (same as_of), so that it ends as that one run would have.
    """
    runner = f"{socket.gethostname()}:{os.getpid()}"
    with ctx.engine.begin() as conn:
        exclusive(conn, "job-runs")
        row = conn.execute(select(t.job_runs).where(t.job_runs.c.job == job, t.job_runs.c.key == key)).first()
        if row is None:
            run_id = conn.execute(
                insert(t.job_runs).values(
                    job=job,
                    key=key,
                    fired=fired.isoformat(),
                    as_of=fired.date(),
                    status=Status.RUNNING.value,
                    attempts=1,
                    runner=runner,
                    started=now,
                    finished=None,
                    summary="",
                    problems="",
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            return int(run_id), fired, False
        if row.status == Status.DONE:
            return None
        recovered = row.status == Status.RUNNING
        if recovered:
            fired = datetime.fromisoformat(row.fired)
        values: dict[str, Any] = {
            "status": Status.RUNNING.value,
            "attempts": row.attempts + 1,
            "runner": runner,
            "started": now,
            "finished": None,
        }
        if not recovered:
            values.update(fired=fired.isoformat(), as_of=fired.date())
        conn.execute(update(t.job_runs).where(t.job_runs.c.id == row.id).values(**values))
        if recovered:
            log.warning(
                "%s %s: the attempt by %s did not finish; running it again as of %s",
                job,
                key,
                row.runner,
                fired.date(),
            )
        return int(row.id), fired, recovered


def _guarded(spec: JobSpec, ctx: Context, fired: datetime, options: Mapping[str, Any]) -> Outcome:
    """The body's outcome; an unexpected exception is a failed run, never a dead scheduler."""
    try:
        return spec.body(ctx, fired, options)
    except Exception as exc:
        log.exception("%s fired %s failed", spec.name, fired)
        reason = f"{type(exc).__name__}: {exc}"
        return Outcome(
            status=Status.FAILED,
            summary=f"internal error ({reason})",
            problems=(Problem.error("JOB_FAILED", unit=spec.name, reason=reason),),
        )


def _finish(ctx: Context, run_id: int, outcome: Outcome, now: datetime) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(
            update(t.job_runs)
            .where(t.job_runs.c.id == run_id)
            .values(
                status=outcome.status.value,
                finished=now,
                summary=outcome.summary,
                problems=problems_text(outcome.problems, ctx.lang),
            )
        )


def problems_text(problems: Sequence[Problem], lang: str) -> str:
    lines = [p.render(lang) for p in problems[:MAX_PROBLEM_LINES]]
    if len(problems) > MAX_PROBLEM_LINES:
        lines.append(f"… {len(problems) - MAX_PROBLEM_LINES} more")
    return "\n".join(lines)


def _status_line(outcome: Outcome) -> str:
    prefix = f"{outcome.status}:"
    return outcome.summary if outcome.summary.startswith(prefix) else f"{prefix} {outcome.summary}"


# --- run locks ---------------------------------------------------------------------------------------

_LOCK_SPACE = zlib.crc32(b"billing-jobs") - 2**31  # first key of the two-key advisory locks: ours
_local_locks: dict[str, threading.Lock] = {}


@contextlib.contextmanager
def run_lock(ctx: Context, job: str) -> Iterator[bool]:
    """Try to hold the job's run lock until the block ends; yields whether it is held.

    It belongs to the process (a connection, an open file), so a process killed while holding it
    loses it at once and a restart can tell a dead attempt from a running one.
    """
    if ctx.engine.dialect.name == "postgresql":
        with ctx.engine.connect() as conn:
            keys = {"a": _LOCK_SPACE, "b": zlib.crc32(job.encode()) - 2**31}
            held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), keys).scalar())
            conn.commit()
            try:
                yield held
            finally:
                if held:  # a connection lost meanwhile took its lock with it
                    with contextlib.suppress(Exception):
                        conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), keys)
                        conn.commit()
        return
    path = _lock_file(ctx, job)
    if path is None:  # an in-memory database lives in this process only
        lock = _local_locks.setdefault(job, threading.Lock())
        held = lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held = False
        else:
            held = True
        try:
            yield held
        finally:
            if held:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _lock_file(ctx: Context, job: str) -> Path | None:
    database = ctx.engine.url.database
    if not database or database == ":memory:":
        return None
    db = Path(database)
    return db.with_name(db.name + ".locks") / f"job-{job}.lock"


# --- the record ----------------------------------------------------------------------------------------


def job_store_engine(ctx: Context) -> Engine:
    """The engine of the scheduler's job store. On SQLite one without BEGIN IMMEDIATE, so that
    its reads (WAL) never wait for a long step's write lock."""
    if ctx.engine.dialect.name != "sqlite":
        return ctx.engine
    return create_engine(ctx.engine.url, connect_args={"timeout": 60})


def _job_run(row: Any) -> JobRun:
    return JobRun(
        job=row.job,
        key=row.key,
        fired=row.fired,
        as_of=row.as_of,
        status=Status(row.status),
        attempts=row.attempts,
        runner=row.runner,
        started=row.started,
        finished=row.finished,
        summary=row.summary,
        problems=row.problems,
    )


def recent_runs(ctx: Context, *, limit: int = 30, failed: bool = False) -> list[JobRun]:
    """The latest runs first; `failed`: only those that failed."""
    query = select(t.job_runs).order_by(t.job_runs.c.started.desc(), t.job_runs.c.id.desc()).limit(limit)
    if failed:
        query = query.where(t.job_runs.c.status == Status.FAILED.value)
    with ctx.engine.connect() as conn:
        return [_job_run(r) for r in conn.execute(query)]


def unfinished_runs(ctx: Context) -> list[JobRun]:
    """Runs recorded as running: interrupted ones (or, while another process works, its own)."""
    query = select(t.job_runs).where(t.job_runs.c.status == Status.RUNNING.value).order_by(t.job_runs.c.id)
    with ctx.engine.connect() as conn:
        return [_job_run(r) for r in conn.execute(query)]


def list_jobs(ctx: Context, *, limit: int = 30, failed: bool = False) -> StepResult:
    """`billing jobs`: the recent runs with status and summary (problems under failed ones)."""
    result = StepResult()
    runs = recent_runs(ctx, limit=limit, failed=failed)
    if not runs:
        result.say("no failed job runs" if failed else "no job runs yet")
    for r in runs:
        started = f"{r.started:%Y-%m-%d %H:%M:%S}"
        again = f" (attempt {r.attempts})" if r.attempts > 1 else ""
        result.say(f"{started}  {r.job:<12} {r.key:<16} {r.status.value:<8} {r.summary}{again}")
        if r.status is Status.FAILED and r.problems:
            result.messages.extend(f"    {line}" for line in r.problems.splitlines())
    return result


def fire_by_hand(ctx: Context, job: str, fired: datetime, options: Mapping[str, Any]) -> StepResult:
    """`billing jobs --run JOB`: the job fired as the scheduler fires it; the same key twice does nothing."""
    result = StepResult()
    done = run_job(ctx, job, fired, options=options)
    result.say(done.describe())
    outcome = done.outcome
    if outcome is not None and outcome.status is Status.FAILED:
        result.problems.extend(outcome.problems)
        result.refused = True
    elif outcome is not None:
        result.messages.extend(p.render(ctx.lang) for p in outcome.problems)
        if outcome.alerts or outcome.status is Status.SKIPPED:
            result.problems.append(Problem.warning("JOB_ATTENTION", unit=job, summary=outcome.summary))
    return result


# --- alerts -----------------------------------------------------------------------------------------------


def alert(ctx: Context, message: str, clock: Callable[[], datetime] = datetime.now) -> None:
    """A line in out/alerts.log, and the [notify] command run with the message (no mail server of ours)."""
    log.warning("alert: %s", message)
    path = ctx.workspace.out_dir / "alerts.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{clock():%Y-%m-%d %H:%M:%S} {message}"]
    command = ctx.settings.notify.command
    if command:
        try:
            done = subprocess.run(
                [*shlex.split(command), message],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                env={**os.environ, "BILLING_ALERT": message},
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            lines.append(f"{clock():%Y-%m-%d %H:%M:%S} notify command failed: {exc}")
        else:
            if done.returncode != 0:
                lines.append(
                    f"{clock():%Y-%m-%d %H:%M:%S} notify command failed (exit {done.returncode}): "
                    f"{(done.stderr or done.stdout).strip()[:200]}"
                )
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


# --- import-inbox ---------------------------------------------------------------------------------------

_PERIOD_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?!\d)")
_SKIPPED_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".problems.txt")


@dataclass(frozen=True, slots=True)
class InboxFile:
    path: Path
    kind: str  # readings | deposits | bank-return
    period: Period | None = None
    bank: str | None = None


def inbox_files(inbox: Path) -> list[InboxFile]:
    """What is waiting in the inbox, in the order it is imported: readings, deposits, returns."""
    found: list[InboxFile] = []
    for path in _files(inbox / "readings"):
        m = _PERIOD_IN_NAME.search(path.name)
        period = None
        if m:
            with contextlib.suppress(ValueError):
                period = Period(int(m.group(1)), int(m.group(2)))
        found.append(InboxFile(path, "readings", period=period))
    found.sort(key=lambda f: (str(f.period or ""), f.path.name))
    found.extend(InboxFile(p, "deposits") for p in _files(inbox / "deposits"))
    returns = inbox / "returns"
    found.extend(InboxFile(p, "bank-return") for p in _files(returns))  # not in a bank's folder
    if returns.is_dir():
        for bank_dir in sorted(d for d in returns.iterdir() if d.is_dir() and not d.name.startswith(".")):
            found.extend(InboxFile(p, "bank-return", bank=bank_dir.name) for p in _files(bank_dir))
    return found


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(_SKIPPED_SUFFIXES)
    )


def import_inbox(
    ctx: Context,
    as_of: date,
    *,
    settle_seconds: float = SETTLE_SECONDS,
    now: Callable[[], float] = time.time,
) -> Outcome:
    """Import every file in the inbox; a good one moves to inbox/done/<as_of>/, a refused one to
    inbox/rejected/<as_of>/ beside `<name>.problems.txt`. A file that fails for another reason
    (the database, a bug) stays where it is for the next run."""
    inbox = ctx.workspace.inbox_dir
    imported: list[str] = []
    rejected: list[str] = []
    waiting: list[str] = []
    broken: list[str] = []
    problems: list[Problem] = []
    for item in inbox_files(inbox):
        try:
            if now() - item.path.stat().st_mtime < settle_seconds:
                waiting.append(item.path.name)
                continue
            result = _import_one(ctx, item, as_of)
        except FileNotFoundError:  # taken away while we looked
            continue
        except Exception as exc:
            log.exception("inbox: %s", item.path)
            broken.append(item.path.name)
            problems.append(
                Problem.error("JOB_FAILED", file=str(item.path), reason=f"{type(exc).__name__}: {exc}")
            )
            continue
        good = result.exit_code != 2
        folder = inbox / ("done" if good else "rejected") / as_of.isoformat()
        shown = result.problems if not good else [p for p in result.problems if not p.is_error]
        target = move_aside(item.path, folder, shown, ctx.lang)
        problems.extend(
            dataclasses.replace(p, file=str(target.relative_to(inbox.parent)))
            if p.file == str(item.path)
            else p
            for p in result.problems
        )
        (imported if good else rejected).append(item.path.name)
    return _inbox_outcome(imported, rejected, waiting, broken, problems)


def _import_one(ctx: Context, item: InboxFile, as_of: date) -> StepResult:
    if item.kind == "readings":
        if item.period is None:
            result = StepResult(refused=True)
            result.problems.append(Problem.error("INBOX_NO_PERIOD", file=str(item.path)))
            return result
        return import_file(ctx, readings_kind(item.period), item.path, today=as_of, scope=str(item.period))
    if item.kind == "deposits":
        return import_file(ctx, KINDS["deposits"], item.path, today=as_of)
    if item.bank is None:
        result = StepResult(refused=True)
        result.problems.append(Problem.error("INBOX_NO_BANK", file=str(item.path)))
        return result
    return import_bank_return(ctx, item.path, item.bank)


def move_aside(path: Path, folder: Path, problems: Sequence[Problem], lang: str) -> Path:
    """Move a file into `folder` under a name not taken yet; its problems beside it, one a line."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}~{n}{path.suffix}"
    if problems:
        lines = [
            dataclasses.replace(p, file=target.name).render(lang) if p.file == str(path) else p.render(lang)
            for p in problems
        ]
        (folder / f"{target.name}.problems.txt").write_text(
            "".join(f"{ln}\n" for ln in lines), encoding="utf-8"
        )
    os.replace(path, target)
    return target


def _inbox_outcome(
    imported: list[str], rejected: list[str], waiting: list[str], broken: list[str], problems: list[Problem]
) -> Outcome:
    parts = [f"{len(imported)} imported"]
    if rejected:
        parts.append(f"{len(rejected)} rejected ({', '.join(rejected)})")
    if waiting:
        parts.append(f"{len(waiting)} still being written, left for the next run")
    if broken:
        parts.append(f"{len(broken)} could not be read, left in the inbox ({', '.join(broken)})")
    summary = ", ".join(parts) if imported or rejected or waiting or broken else "the inbox is empty"
    status = Status.FAILED if broken else Status.DONE
    return Outcome(status=status, summary=summary, problems=tuple(problems), alert=bool(rejected))


# --- bill, notices, debit -------------------------------------------------------------------------------


def bill_previous_period(ctx: Context, fired: datetime, options: Mapping[str, Any] | None = None) -> Outcome:
    """Issue the bills of the period before the fire day's month once every meter has its
    reading (`billing run P --as-of <fire day>`); until then wait, and the next run tries again."""
    as_of = fired.date()
    period = Period.of(as_of).prev()
    with ctx.engine.connect() as conn:
        run = repo.run_of(conn, period)
        meters = repo.load_meters(conn)
        have = repo.readings_of(conn, period)
    if run is not None:
        return Outcome(status=Status.DONE, summary=f"{period} already issued ({run.bills} bills)")
    if not meters:
        return Outcome(status=Status.WAITING, summary="waiting: no meters imported yet")
    missing = sum(1 for m in meters if m not in have)
    if missing:
        return Outcome(status=Status.WAITING, summary=f"waiting: {missing} readings missing for {period}")
    result = issue_bills(ctx, period, as_of)
    late = [p for p in result.problems if p.code == "MISSING_READING"]
    if late:
        return Outcome(
            status=Status.WAITING,
            summary=f"waiting: {len(late)} readings missing for {period}",
            problems=tuple(late),
        )
    return outcome_of(result, f"{period} issued", line=0)


def notices_of_previous_period(
    ctx: Context, fired: datetime, options: Mapping[str, Any] | None = None
) -> Outcome:
    """`billing notices P` for the period before the fire day's month, once it is issued."""
    period = Period.of(fired.date()).prev()
    with ctx.engine.connect() as conn:
        issued = repo.run_of(conn, period) is not None
    if not issued:
        return Outcome(status=Status.WAITING, summary=f"waiting: the bills of {period} are not issued yet")
    step = find_step(NOTICES_MODULE, ("make_notices",))
    if step is None:
        return _not_available(f"{NOTICES_MODULE}.make_notices")
    return outcome_of(call_step(step, ctx, **_values(fired, period)), f"notices of {period}")


def debit_previous_period(ctx: Context, fired: datetime, options: Mapping[str, Any] | None = None) -> Outcome:
    """`billing debit P --bank B --as-of <fire day>` for the period before, for each configured bank."""
    as_of = fired.date()
    period = Period.of(as_of).prev()
    banks: Sequence[str] = tuple((options or {}).get("banks") or ("generic-csv",))
    parts: list[str] = []
    problems: list[Problem] = []
    failed = False
    for bank in banks:
        result = make_debit(ctx, period, bank, as_of)
        problems.extend(result.problems)
        failed = failed or result.exit_code == 2
        parts.append(f"{bank}: {result.messages[-1] if result.messages else _first_error(result)}")
    status = Status.FAILED if failed else Status.DONE
    return Outcome(status=status, summary="; ".join(parts), problems=tuple(problems))


# --- arrears and reports: wired to their pipeline steps when those exist -----------------------------------

NOTICES_MODULE = "billing.pipeline.notices"
ARREARS_MODULE = "billing.pipeline.arrears"
REPORTS_MODULE = "billing.pipeline.reports"


def arrears_as_of(ctx: Context, fired: datetime, options: Mapping[str, Any] | None = None) -> Outcome:
    """`billing arrears --as-of <fire day>`: arrears notices and the arrears ledger."""
    step = find_step(ARREARS_MODULE, ("make_arrears",))
    if step is None:
        return _not_available(f"{ARREARS_MODULE}.make_arrears")
    return outcome_of(call_step(step, ctx, **_values(fired)), f"arrears as of {fired.date()}")


# (name, the function in REPORTS_MODULE)
_DAILY_REPORTS = (("deposit-slip", "deposit_slip"), ("cash-ledger", "cash_ledger"))
_MONTH_END_REPORTS = (("collection", "collection_report"), ("balance", "balance_report"))


def reports_of_day(ctx: Context, fired: datetime, options: Mapping[str, Any] | None = None) -> Outcome:
    """The fire day's deposit slip and cash ledger; on the last day of a month also the
    collection and balance reports of the period before that month."""
    as_of = fired.date()
    period = Period.of(as_of).prev()
    wanted = list(_DAILY_REPORTS)
    if as_of == Period.of(as_of).last_day:
        wanted.extend(_MONTH_END_REPORTS)
    parts: list[str] = []
    problems: list[Problem] = []
    missing: list[str] = []
    failed = False
    for name, function in wanted:
        step = find_step(REPORTS_MODULE, (function,))
        if step is None:
            missing.append(f"{REPORTS_MODULE}.{function}")
            continue
        result = call_step(step, ctx, **_values(fired, period))
        problems.extend(result.problems)
        failed = failed or result.exit_code == 2
        parts.append(f"{name} {'refused: ' + _first_error(result) if result.exit_code == 2 else 'done'}")
    if missing:
        parts.append(f"skipped: not available ({', '.join(missing)})")
    status = Status.FAILED if failed else Status.SKIPPED if missing else Status.DONE
    if status is Status.SKIPPED:  # say it first: the run is retried at the next fire
        parts.insert(0, parts.pop())
    return Outcome(status=status, summary="; ".join(parts), problems=tuple(problems))


def _values(fired: datetime, period: Period | None = None) -> dict[str, Any]:
    """What a step of a fire may be given, by parameter name: the day, the period, the time
    printed on its documents (the fire time, so a run again prints the same)."""
    day = fired.date()
    values: dict[str, Any] = {
        "as_of": day,
        "day": day,
        "first": day,
        "last": day,
        "generated_at": fired.replace(tzinfo=None),
    }
    if period is not None:
        values["period"] = period
    return values


def find_step(module: str, names: Sequence[str]) -> Callable[..., StepResult] | None:
    """The pipeline function of a step written elsewhere, or None while it does not exist."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise
    for name in names:
        fn = getattr(found, name, None)
        if callable(fn):
            return fn
    return None


class StepSignatureError(TypeError):
    """A step asks for an argument a job cannot give it."""


def call_step(step: Callable[..., StepResult], ctx: Context, **values: Any) -> StepResult:
    """Call `step(ctx, …)` giving each further parameter the value of the same name (a parameter
    without a default must be one of `values`)."""
    args: list[Any] = [ctx]
    kwargs: dict[str, Any] = {}
    for p in list(inspect.signature(step).parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in values:
            if p.kind is p.POSITIONAL_ONLY:
                args.append(values[p.name])
            else:
                kwargs[p.name] = values[p.name]
        elif p.default is p.empty:
            raise StepSignatureError(f"{step.__module__}.{step.__name__} needs `{p.name}`")
    return step(*args, **kwargs)


def outcome_of(result: StepResult, done: str, *, line: int = -1) -> Outcome:
    """A step's result as a job outcome: refused → failed with its problems; else done."""
    if result.exit_code == 2:
        return Outcome(
            status=Status.FAILED, summary=f"refused: {_first_error(result)}", problems=tuple(result.problems)
        )
    summary = result.messages[line] if result.messages else done
    if result.problems:
        summary += f" ({len(result.problems)} warnings)"
    return Outcome(status=Status.DONE, summary=summary, problems=tuple(result.problems))


def _first_error(result: StepResult) -> str:
    errors = [p for p in result.problems if p.is_error]
    if not errors:
        return "refused"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{errors[0].code}: {errors[0].message('en')}{more}"


def _not_available(what: str) -> Outcome:
    return Outcome(status=Status.SKIPPED, summary=f"skipped: not available ({what})")


# --- the jobs ---------------------------------------------------------------------------------------------


def _minute(fired: datetime) -> str:
    return f"{fired:%Y-%m-%dT%H:%M}"


def _day(fired: datetime) -> str:
    return fired.date().isoformat()


def _previous_period(fired: datetime) -> str:
    return str(Period.of(fired.date()).prev())


JOBS: Mapping[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            "import-inbox",
            _minute,
            lambda ctx, fired, options: import_inbox(ctx, fired.date()),
            "inbox/readings/*<YYYY-MM>*, inbox/deposits/, inbox/returns/<bank>/ imported and moved",
        ),
        JobSpec(
            "bill", _previous_period, bill_previous_period, "the previous period, once all readings are in"
        ),
        JobSpec("notices", _previous_period, notices_of_previous_period, "notices of the previous period"),
        JobSpec("debit", _day, debit_previous_period, "the debit file of the previous period per bank"),
        JobSpec("arrears", _day, arrears_as_of, "arrears notices and ledger as of the day"),
        JobSpec(
            "reports",
            _day,
            reports_of_day,
            "the day's deposit slip and cash ledger; month end: "
            "collection and balance of the previous period",
        ),
    )
}
