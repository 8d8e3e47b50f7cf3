"""The `billing` command: parses arguments, calls one pipeline function, prints its problems.

Exit status (CONTRACT §1): 0 done; 1 done with warnings; 2 refused (bad input, nothing
written); 3 other failure.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from billing.config import ConfigError
from billing.domain.period import Period, parse_date
from billing.domain.problem import Problem
from billing.pipeline.context import Context, StepResult, open_context

T = TypeVar("T")

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="estate-billing: bills, notices, collections and ledgers of an estate.",
)
import_app = typer.Typer(no_args_is_help=True, help="Import a file into the workspace.")
export_app = typer.Typer(no_args_is_help=True, help="Machine-readable exports.")
report_app = typer.Typer(no_args_is_help=True, help="Reports for the supervisor and finance.")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _State:
    workspace: Path = Path(".")
    lang: str | None = None


state = _State()


class RichProgress:
    """A rich progress bar on stderr, only when stderr is a terminal."""

    def track(self, items: Iterable[T], *, total: int | None, description: str) -> Iterator[T]:
        if not err.is_terminal:
            yield from items
            return
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                bar.advance(task)


@app.callback()
def main_options(
    workspace: Annotated[Path | None, typer.Option("-w", "--workspace", help="workspace folder")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh-CN (default) or en")] = None,
) -> None:
    state.workspace = workspace or Path(os.environ.get("BILLING_WORKSPACE", "."))
    state.lang = lang


def _lang() -> str:
    return state.lang or "zh-CN"


def _report(result: StepResult, lang: str) -> None:
    for p in result.problems:
        err.print(p.render(lang), markup=False)
    for line in result.messages:
        out.print(line, markup=False)
    raise typer.Exit(result.exit_code)


def _problems_exit(problems: Iterable[Problem], lang: str, code: int = 2) -> None:
    for p in problems:
        err.print(p.render(lang), markup=False)
    raise typer.Exit(code)


def _run(step: Callable[[Context], StepResult]) -> None:
    """Open the workspace, run one step, print what it says, exit with its status."""
    lang = _lang()
    try:
        ctx = open_context(state.workspace, lang=state.lang, progress=RichProgress())
    except ConfigError as exc:
        _problems_exit(exc.problems, lang)
        return
    try:
        result = step(ctx)
    finally:
        ctx.engine.dispose()
    _report(result, ctx.lang)


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError:
        raise typer.BadParameter(f"a period is YYYY-MM, not {text!r}") from None


def _date(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return parse_date(text)
    except ValueError:
        raise typer.BadParameter(f"a date is YYYY-MM-DD, not {text!r}") from None


AsOf = Annotated[str | None, typer.Option("--as-of", help="the date to act as of (default: today)")]


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="a new folder for the demo workspace")] = Path("demo"),
) -> None:
    """A workspace from the bundled fixture estate, run through two whole monthly cycles."""
    from billing.pipeline.demo import run_demo

    result = run_demo(directory, say=lambda text: out.print(text, markup=False), progress=RichProgress())
    raise typer.Exit(result.exit_code)


@app.command()
def init(directory: Path) -> None:
    """Create a workspace with the default config and an empty, migrated database."""
    from billing.pipeline.workspace import init_workspace

    try:
        result = init_workspace(directory)
    except ConfigError as exc:
        _problems_exit(exc.problems, _lang())
        return
    _report(result, _lang())


@app.command("run")
def run_cmd(
    period: str,
    as_of: AsOf = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show what would be issued, write nothing")
    ] = False,
) -> None:
    """Rate and issue the bills of period P (YYYY-MM)."""
    from billing.pipeline.billrun import issue_bills

    p, d = _period(period), _date(as_of)
    _run(lambda ctx: issue_bills(ctx, p, d, dry_run=dry_run))


@app.command()
def explain(unit: str, period: str) -> None:
    """Every line of a unit's bill with its inputs and formula."""
    from billing.pipeline.explain import explain as explain_bill

    p = _period(period)
    _run(lambda ctx: explain_bill(ctx, unit, p))


@app.command()
def adjust(
    unit: str,
    period: str,
    item: Annotated[str, typer.Option("--item", help="the fee item corrected")],
    amount: Annotated[str, typer.Option("--amount", help="charged on the next bill; negative: credited")],
    reason: Annotated[str, typer.Option("--reason", help="why, printed on the bill")],
    as_of: AsOf = None,
) -> None:
    """Record a correction to the bill of P, charged or credited on the unit's next bill."""
    from billing.domain.money import parse_decimal
    from billing.pipeline.inquiry import adjust as record

    p, d = _period(period), _date(as_of)
    value = parse_decimal(amount)
    if value is None:
        raise typer.BadParameter(f"--amount is a number, not {amount!r}")
    _run(lambda ctx: record(ctx, unit, p, item=item, amount=value, reason=reason, as_of=d))


@app.command()
def adjustments(unit: Annotated[str | None, typer.Argument(help="one unit (default: all)")] = None) -> None:
    """The history of adjustments, pending or on the bill that carried them."""
    from billing.pipeline.inquiry import adjustment_history

    _run(lambda ctx: adjustment_history(ctx, unit))


Output = Annotated[Path, typer.Option("-o", "--output", help="the file to write (.csv, or .xlsx)")]


@export_app.command("bills")
def export_bills_cmd(period: str, output: Output) -> None:
    """Bill lines of period P as CSV (CONTRACT §4)."""
    from billing.pipeline.exports import export_bills

    p = _period(period)
    _run(lambda ctx: export_bills(ctx, p, output))


@export_app.command("balances")
def export_balances_cmd(output: Output, as_of: AsOf = None) -> None:
    """Balance of every billed unit as of --as-of (CONTRACT §4)."""
    from billing.pipeline.exports import export_balances

    d = _date(as_of)
    _run(lambda ctx: export_balances(ctx, d, output))


def _import(kind: str, path: Path, period: Period | None = None) -> None:
    from billing.pipeline.imports import KINDS, import_file, readings_kind

    spec = readings_kind(period) if period is not None else KINDS[kind]
    scope = str(period) if period is not None else ""
    _run(lambda ctx: import_file(ctx, spec, path, today=date.today(), scope=scope))


@import_app.command("units")
def import_units(file: Path) -> None:
    """Units, owners, bank accounts (insert or update; history kept)."""
    _import("units", file)


@import_app.command("meters")
def import_meters(file: Path) -> None:
    """Meters (unit, common and master)."""
    _import("meters", file)


@import_app.command("readings")
def import_readings(file: Path, period: Annotated[str, typer.Option("--period", help="YYYY-MM")]) -> None:
    """One period's meter readings."""
    _import("readings", file, _period(period))


@import_app.command("meter-changes")
def import_meter_changes(file: Path) -> None:
    """Meter replacements."""
    _import("meter-changes", file)


@import_app.command("deposits")
def import_deposits(file: Path) -> None:
    """The day's bank deposit slips (counter and transfer payments)."""
    _import("deposits", file)


@app.command()
def debit(
    period: str,
    bank: Annotated[
        str, typer.Option("--bank", help="the bank layout (config/banks/NAME.toml, or generic-csv)")
    ],
    as_of: AsOf = None,
) -> None:
    """The direct-debit file of period P in that bank's layout, under out/P/debit/."""
    from billing.pipeline.collections import make_debit

    p, d = _period(period), _date(as_of)
    _run(lambda ctx: make_debit(ctx, p, bank, d))


@import_app.command("bank-return")
def import_bank_return_cmd(
    file: Path, bank: Annotated[str, typer.Option("--bank", help="the bank layout of the return file")]
) -> None:
    """The bank's result file for a debit batch."""
    from billing.pipeline.collections import import_bank_return

    _run(lambda ctx: import_bank_return(ctx, file, bank))


@app.command()
def sheet(period: str) -> None:
    """Reading sheets of period P for building staff: out/P/sheets/<building>.xlsx."""
    from billing.pipeline.sheets import reading_sheets

    p = _period(period)
    _run(lambda ctx: reading_sheets(ctx, p))


@app.command()
def notices(
    period: str,
    unit: Annotated[str | None, typer.Option("--unit", help="one unit's notice alone")] = None,
    layout: Annotated[str, typer.Option("--layout", help="a4-2 (two per page, default) or a4-1")] = "a4-2",
) -> None:
    """Payment notices of period P: out/P/notices/<building>.pdf, in floor/room order."""
    from billing.pipeline.notices import make_notices

    p = _period(period)
    _run(lambda ctx: make_notices(ctx, p, unit_id=unit, layout=layout))


@app.command()
def scheduler(
    catch_up: Annotated[
        bool,
        typer.Option("--catch-up", help="also run each job now for its latest scheduled time (once per key)"),
    ] = False,
) -> None:
    """Run the jobs of config/schedule.toml until stopped (SIGTERM/SIGINT: the running job finishes)."""
    import logging

    from billing.jobs.scheduler import run_scheduler

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("billing").setLevel(logging.INFO)
    try:
        code = run_scheduler(state.workspace, catch_up=catch_up)
    except ConfigError as exc:
        _problems_exit(exc.problems, _lang())
        return
    raise typer.Exit(code)


@app.command()
def jobs(
    failed: Annotated[
        bool, typer.Option("--failed", help="only the runs that failed, with their problems")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="how many runs, newest first")] = 30,
    run: Annotated[
        str | None, typer.Option("--run", help="fire JOB by hand, as the scheduler does (once per key)")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """The record of job runs (`--run JOB [--as-of D]`: fire a job for its latest time up to D)."""
    from billing.pipeline.jobs import fire_by_hand, list_jobs

    if run is None:
        _run(lambda ctx: list_jobs(ctx, limit=limit, failed=failed))
        return
    from billing.jobs.schedule import fire_time_for, load_schedule
    from billing.pipeline.jobs import JOBS

    if run not in JOBS:
        raise typer.BadParameter(f"--run takes one of {', '.join(JOBS)}, not {run!r}")
    day = _date(as_of) if as_of is not None else None

    def fire(ctx: Context) -> StepResult:
        schedule = load_schedule(ctx.workspace)
        entry = schedule.job(run)
        fired = fire_time_for(schedule, run, day, datetime.now(schedule.zone))
        return fire_by_hand(ctx, run, fired, entry.options if entry else {})

    try:
        _run(fire)
    except ConfigError as exc:
        _problems_exit(exc.problems, _lang())


# --- arrears, reports and the journal (billing/pipeline/arrears.py, reports.py, journal.py) ---------------


@app.command("arrears")
def arrears_cmd(
    as_of: AsOf = None,
    deadline_days: Annotated[int, typer.Option("--deadline-days", help="days after --as-of to pay by")] = 15,
) -> None:
    """Arrears notices per building and the arrears ledger (PDF, XLSX), under out/arrears/<as-of>/."""
    from billing.pipeline.arrears import make_arrears

    d, now = _date(as_of), datetime.now()
    _run(lambda ctx: make_arrears(ctx, d, now, deadline_days=deadline_days))


@report_app.command("collection")
def report_collection_cmd(period: str, as_of: AsOf = None) -> None:
    """Collection rates of period P by building and kind (PDF, XLSX), under out/reports/P/."""
    from billing.pipeline.reports import collection_report

    p, d, now = _period(period), _date(as_of), datetime.now()
    _run(lambda ctx: collection_report(ctx, p, d, now))


@report_app.command("balance")
def report_balance_cmd(period: str) -> None:
    """Water and electricity balance of period P per master meter (PDF, XLSX), under out/reports/P/."""
    from billing.pipeline.reports import balance_report

    p, now = _period(period), datetime.now()
    _run(lambda ctx: balance_report(ctx, p, now))


@report_app.command("cash-ledger")
def report_cash_ledger_cmd(
    first: Annotated[str, typer.Option("--from", help="the first day (YYYY-MM-DD)")],
    last: Annotated[str, typer.Option("--to", help="the last day (YYYY-MM-DD)")],
) -> None:
    """Every payment from --from to --to, with running total and subtotals (PDF, XLSX), under out/reports/."""
    from billing.pipeline.reports import cash_ledger

    f, t, now = _date(first), _date(last), datetime.now()
    _run(lambda ctx: cash_ledger(ctx, f, t, now))


@report_app.command("deposit-slip")
def report_deposit_slip_cmd(day: str) -> None:
    """That day's deposit slip for finance (PDF), under out/reports/."""
    from billing.pipeline.reports import deposit_slip

    d, now = _date(day), datetime.now()
    _run(lambda ctx: deposit_slip(ctx, d, now))


@export_app.command("journal")
def export_journal_cmd(
    period: str,
    fmt: Annotated[str, typer.Option("--format", help="csv | kingdee | yonyou | beancount")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the file to write")],
) -> None:
    """Double-entry journal of period P for finance: its bills and the payments of the month it was issued in."""
    from billing.pipeline.journal import export_journal

    p = _period(period)
    _run(lambda ctx: export_journal(ctx, p, fmt, output))


@app.command()
def synth(
    directory: Annotated[Path, typer.Argument(help="the workspace to make (estate files beside its config)")],
    units: Annotated[int, typer.Option("--units", min=1, help="how many units")],
    seed: Annotated[int, typer.Option("--seed", help="the same seed gives the same files")] = 1,
) -> None:
    """A synthetic estate of N units as a ready workspace: units, meters, two periods of readings."""
    from billing.pipeline.workspace import init_workspace
    from billing.synth import main_synth

    main_synth(units, seed, directory)
    try:
        result = init_workspace(directory)
    except ConfigError as exc:
        _problems_exit(exc.problems, _lang())
        return
    _report(result, _lang())


def main() -> None:
    """Entry point: any unexpected failure is one line and exit 3, never a bare traceback."""
    try:
        code = app(standalone_mode=False)  # click returns the code of an Exit in this mode
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except typer.Abort:
        sys.exit(2)
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # a usage error of the command line
            exc.show()
            sys.exit(2)
        if os.environ.get("BILLING_DEBUG"):
            traceback.print_exc()
        err.print(f"internal error ({type(exc).__name__}): {exc}", markup=False)
        sys.exit(3)
