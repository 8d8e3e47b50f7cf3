"""Jobs run once per key, whoever fires them; waits and failures alert; the inbox is emptied.

On SQLite and on PostgreSQL (the `ctx` fixture). Fire times are given, never read from a clock.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from billing.cli import app
from billing.pipeline import jobs
from billing.pipeline.context import Context
from billing.pipeline.jobs import Status, recent_runs, run_job, run_lock
from billing.store import schema as t

from .estate import DEPOSITS, drop, master_data, october_readings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 6, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def count(ctx: Context, table: t.Table) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_job_fired_twice_for_the_same_key_runs_once(ctx: Context) -> None:
    master_data(ctx)
    deposits = ctx.workspace.inbox_dir / "deposits"
    slip = DEPOSITS + "2026-11-20,SLIP-1,1-101,owner,100.00,cash\n"
    drop(deposits, "deposits-a.csv", slip)
    first = run_job(ctx, "import-inbox", at(date(2026, 11, 20), 18))
    assert first.action == "ran" and first.outcome is not None
    assert first.outcome.status is Status.DONE and first.outcome.summary == "1 imported"
    assert (ctx.workspace.inbox_dir / "done" / "2026-11-20" / "deposits-a.csv").is_file()
    # the same file dropped again: the same key does nothing at all, the file stays
    drop(deposits, "deposits-a.csv", slip)
    second = run_job(ctx, "import-inbox", at(date(2026, 11, 20), 18))
    assert second.action == "done-before" and second.outcome is None
    assert (deposits / "deposits-a.csv").is_file()
    assert count(ctx, t.payments) == 1
    # the next fire takes it: its content is in already, so it moves to done/ beside the first
    third = run_job(ctx, "import-inbox", at(date(2026, 11, 21), 18))
    assert third.outcome is not None and third.outcome.status is Status.DONE
    assert (ctx.workspace.inbox_dir / "done" / "2026-11-21" / "deposits-a.csv").is_file()
    assert count(ctx, t.payments) == 1
    runs = recent_runs(ctx)
    assert [(r.job, r.key, r.status, r.attempts) for r in runs] == [
        ("import-inbox", "2026-11-21T18:00", Status.DONE, 1),
        ("import-inbox", "2026-11-20T18:00", Status.DONE, 1),
    ]


def test_the_inbox_moves_good_files_to_done_and_refused_ones_beside_their_problems(ctx: Context) -> None:
    master_data(ctx)
    inbox = ctx.workspace.inbox_dir
    october = (
        Path(__file__).resolve().parents[2] / "fixtures" / "estate" / "readings-2026-10.csv"
    ).read_bytes()
    drop(inbox / "readings", "抄表-2026-10.csv", october)
    drop(inbox / "readings", "readings.csv", october)  # no period in its name
    drop(inbox / "deposits", "broken.csv", DEPOSITS + "not-a-date,X-1,NO-SUCH,x,-1,cash\n")
    drop(inbox / "returns", "loose.csv", "reference,account,amount,status\n")  # not in a bank's folder
    drop(inbox / "deposits", "late.csv", DEPOSITS + "2026-11-20,X-2,1-101,x,5.00,cash\n", age=0)
    drop(inbox / "deposits", "~$open-in-excel.csv", "x")
    outcome = jobs.import_inbox(ctx, date(2026, 11, 3))
    assert outcome.status is Status.DONE and outcome.alert
    assert outcome.summary == (
        "1 imported, 3 rejected (readings.csv, broken.csv, loose.csv), 1 still being written, left for the next run"
    )
    done, rejected = inbox / "done" / "2026-11-03", inbox / "rejected" / "2026-11-03"
    assert sorted(p.name for p in done.iterdir()) == ["抄表-2026-10.csv"]
    assert sorted(p.name for p in rejected.iterdir()) == [
        "broken.csv",
        "broken.csv.problems.txt",
        "loose.csv",
        "loose.csv.problems.txt",
        "readings.csv",
        "readings.csv.problems.txt",
    ]
    broken = (rejected / "broken.csv.problems.txt").read_text(encoding="utf-8").splitlines()
    assert [line.split(": ")[:2] for line in broken] == [
        ["broken.csv:2", "NOT_A_DATE"],
        ["broken.csv:2", "UNKNOWN_UNIT"],
        ["broken.csv:2", "OUT_OF_RANGE"],
    ]
    assert "INBOX_NO_PERIOD" in (rejected / "readings.csv.problems.txt").read_text(encoding="utf-8")
    assert "INBOX_NO_BANK" in (rejected / "loose.csv.problems.txt").read_text(encoding="utf-8")
    assert (inbox / "deposits" / "late.csv").is_file() and (
        inbox / "deposits" / "~$open-in-excel.csv"
    ).is_file()
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.readings)).scalar_one() == 338


def test_bill_waits_for_the_readings_then_issues_once(ctx: Context, tmp_path: Path) -> None:
    master_data(ctx)
    said = tmp_path / "notified.txt"
    script = tmp_path / "notify.py"
    script.write_text(f"import sys\nopen({str(said)!r}, 'a', encoding='utf-8').write(sys.argv[1] + '\\n')\n")
    settings = ctx.workspace.config_dir / "settings.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + f'[notify]\ncommand = "{sys.executable} {script}"\n',
        encoding="utf-8",
    )
    ctx.settings = ctx.workspace.settings()

    waiting = run_job(ctx, "bill", at(date(2026, 11, 3)))
    assert waiting.outcome is not None and waiting.outcome.status is Status.WAITING
    assert waiting.outcome.summary == "waiting: 338 readings missing for 2026-10"
    alerts = (ctx.workspace.out_dir / "alerts.log").read_text(encoding="utf-8")
    assert alerts.endswith(" bill 2026-10: waiting: 338 readings missing for 2026-10\n")
    assert said.read_text(encoding="utf-8") == "bill 2026-10: waiting: 338 readings missing for 2026-10\n"
    assert count(ctx, t.bills) == 0

    october_readings(ctx)
    issued = run_job(ctx, "bill", at(date(2026, 11, 4)))  # the next day's fire, same period
    assert issued.outcome is not None and issued.outcome.status is Status.DONE
    assert issued.as_of == date(2026, 11, 4)
    assert run_job(ctx, "bill", at(date(2026, 11, 5))).action == "done-before"
    with ctx.engine.connect() as conn:
        assert set(conn.execute(select(t.bills.c.issue_date)).scalars()) == {date(2026, 11, 4)}
    assert count(ctx, t.bills) == 156  # 159 units, 3 not handed over
    [run] = recent_runs(ctx)
    assert (run.job, run.key, run.status, run.attempts, run.as_of) == (
        "bill",
        "2026-10",
        Status.DONE,
        2,
        date(2026, 11, 4),
    )
    assert len(said.read_text(encoding="utf-8").splitlines()) == 1  # done is no alert


def test_a_run_left_running_by_a_dead_process_runs_again_as_it_was_fired(ctx: Context) -> None:
    master_data(ctx)
    october_readings(ctx)
    fired = at(date(2026, 11, 3))
    with ctx.engine.begin() as conn:  # what a scheduler killed with -9 in the middle leaves behind
        conn.execute(
            insert(t.job_runs).values(
                job="bill",
                key="2026-10",
                fired=fired.isoformat(),
                as_of=fired.date(),
                status="running",
                attempts=1,
                runner="elsewhere:1",
                started=datetime(2026, 11, 3, 6),
                finished=None,
                summary="",
                problems="",
            )
        )
    again = run_job(ctx, "bill", at(date(2026, 11, 4)))
    assert again.action == "ran" and again.recovered
    assert again.outcome is not None and again.outcome.status is Status.DONE
    with ctx.engine.connect() as conn:  # as of the fire that died, not the one that found it
        assert set(conn.execute(select(t.bills.c.issue_date)).scalars()) == {date(2026, 11, 3)}
    [run] = recent_runs(ctx)
    assert (run.status, run.attempts, run.as_of, run.fired) == (
        Status.DONE,
        2,
        date(2026, 11, 3),
        fired.isoformat(),
    )


def test_a_job_running_elsewhere_is_left_alone(ctx: Context) -> None:
    master_data(ctx)
    october_readings(ctx)
    with run_lock(ctx, "bill") as held:  # another process (or thread) in the middle of the bill job
        assert held
        busy = run_job(ctx, "bill", at(date(2026, 11, 3)))
        assert busy.action == "busy"
        with run_lock(ctx, "bill") as again:
            assert not again
        with run_lock(ctx, "notices") as other:  # other jobs are not held up
            assert other
    assert count(ctx, t.job_runs) == 0 and count(ctx, t.bills) == 0
    assert run_job(ctx, "bill", at(date(2026, 11, 3))).action == "ran"


def test_a_step_not_written_yet_is_skipped_and_tried_again(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    master_data(ctx)
    october_readings(ctx)
    run_job(ctx, "bill", at(date(2026, 11, 3)))
    monkeypatch.setattr(jobs, "NOTICES_MODULE", "billing.pipeline.not_written_yet")
    monkeypatch.setattr(jobs, "ARREARS_MODULE", "billing.pipeline.not_written_yet")
    monkeypatch.setattr(jobs, "REPORTS_MODULE", "billing.pipeline.not_written_yet")
    for job in ("notices", "arrears", "reports", "notices"):
        done = run_job(ctx, job, at(date(2026, 11, 3), 7))
        assert done.outcome is not None and done.outcome.status is Status.SKIPPED
        assert done.outcome.summary.startswith("skipped: not available (billing.pipeline.not_written_yet")
    assert {(r.job, r.attempts) for r in recent_runs(ctx)} >= {("notices", 2), ("arrears", 1), ("reports", 1)}
    assert not (ctx.workspace.out_dir / "alerts.log").exists()


def test_a_failure_is_recorded_listed_and_alerted(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    master_data(ctx)
    october_readings(ctx)
    run_job(ctx, "bill", at(date(2026, 11, 3)))
    failed = run_job(ctx, "debit", at(date(2026, 11, 16), 9), options={"banks": ["no-such-bank"]})
    assert failed.outcome is not None and failed.outcome.status is Status.FAILED
    assert "UNKNOWN_BANK" in failed.outcome.summary

    def broken(ctx: Context, fired: datetime, options: object) -> jobs.Outcome:
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(jobs.JOBS, "arrears", jobs.JobSpec("arrears", jobs.JOBS["arrears"].key, broken, ""))
    crashed = run_job(ctx, "arrears", at(date(2026, 11, 20), 9))
    assert crashed.outcome is not None and crashed.outcome.status is Status.FAILED
    assert crashed.outcome.summary == "internal error (RuntimeError: the disk is full)"
    alerts = (ctx.workspace.out_dir / "alerts.log").read_text(encoding="utf-8").splitlines()
    assert [line.split(" ", 2)[2] for line in alerts] == [
        "debit 2026-11-16: failed: no-such-bank: UNKNOWN_BANK: unknown bank layout: no-such-bank",
        "arrears 2026-11-20: failed: internal error (RuntimeError: the disk is full)",
    ]

    runner = CliRunner()
    listed = runner.invoke(app, ["-w", str(ctx.workspace.root), "--lang", "en", "jobs"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert [line.split()[2:5] for line in lines if not line.startswith(" ")] == [
        ["arrears", "2026-11-20", "failed"],
        ["debit", "2026-11-16", "failed"],
        ["bill", "2026-10", "done"],
    ]
    only_failed = runner.invoke(app, ["-w", str(ctx.workspace.root), "--lang", "en", "jobs", "--failed"])
    assert only_failed.exit_code == 0
    assert "bill" not in only_failed.output and "UNKNOWN_BANK" in only_failed.output
    assert "JOB_FAILED" in only_failed.output


def test_billing_jobs_run_fires_by_hand_once_per_key(workspace: Path) -> None:
    runner = CliRunner()
    base = ["-w", str(workspace), "--lang", "en", "jobs"]
    first = runner.invoke(app, [*base, "--run", "bill", "--as-of", "2026-11-03"])
    assert first.exit_code == 1, first.output  # waiting: a warning, not a refusal
    assert "bill 2026-10: waiting: no meters imported yet" in first.output
    drop(workspace / "inbox" / "deposits", "d.csv", DEPOSITS)
    inbox = runner.invoke(app, [*base, "--run", "import-inbox", "--as-of", "2026-11-03"])
    assert "import-inbox 2026-11-03T18:00: done" in inbox.output, inbox.output
    again = runner.invoke(app, [*base, "--run", "import-inbox", "--as-of", "2026-11-03"])
    assert (
        again.exit_code == 0 and "import-inbox 2026-11-03T18:00: already done; nothing to do" in again.output
    )
    unknown = runner.invoke(app, [*base, "--run", "coffee"])
    assert unknown.exit_code == 2
