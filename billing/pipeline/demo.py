"""`billing demo [DIR]`: the bundled fixture estate through two whole monthly cycles.

Each step is the same pipeline function the command of the same name calls; the only thing
the demo adds is the bank: it answers our debit file with a return file in which a few
debits fail, as a bank would.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from billing.domain.period import Period
from billing.pipeline.arrears import make_arrears
from billing.pipeline.billrun import issue_bills
from billing.pipeline.collections import import_bank_return, make_debit
from billing.pipeline.context import Context, StepResult, open_context
from billing.pipeline.exports import export_balances, export_bills
from billing.pipeline.imports import KINDS, import_file, readings_kind
from billing.pipeline.journal import export_journal
from billing.pipeline.notices import make_notices
from billing.pipeline.reports import balance_report, cash_ledger, collection_report, deposit_slip
from billing.pipeline.sheets import reading_sheets
from billing.pipeline.workspace import init_workspace

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "estate"
FIRST, SECOND = Period(2026, 10), Period(2026, 11)
BANK = "generic-csv"
ARREARS_DAY = date(2026, 12, 20)
AT = datetime(2026, 12, 20, 9, 0)  # the demo's "generated at", so that its outputs are reproducible
# what the demo's bank says about some debits (every n-th row fails with this reason)
FAILURES = ((13, "余额不足"), (29, "账户已销户"), (37, "户名不符"))


def run_demo(root: Path, *, say: Callable[[str], None], progress: object | None = None) -> StepResult:
    """Create the workspace from the fixture and run both months; every step's output is said."""
    result = StepResult()
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty; the demo makes a new workspace")
    init_workspace(root)
    # the fixture's tariffs; the default settings (with the company's contact for the notices)
    shutil.copyfile(FIXTURE / "config" / "tariffs.toml", root / "config" / "tariffs.toml")
    ctx = open_context(root, progress=progress)  # type: ignore[arg-type]
    try:
        for step, title in _steps(ctx):
            say(f"== {title}")
            done = step()
            for p in done.problems:
                say("   " + p.render(ctx.lang))
            for line in done.messages:
                say("   " + line)
            result.problems.extend(p for p in done.problems if p.is_error)
            if done.exit_code == 2:
                say("   stopped: this step was refused")
                return result
    finally:
        ctx.engine.dispose()
    say(f"== workspace: {root.resolve()}  (outputs under {ctx.workspace.out_dir.resolve()})")
    return result


def _steps(ctx: Context) -> list[tuple[Callable[[], StepResult], str]]:
    f = FIXTURE
    out = ctx.workspace.out_dir
    debit_day, return_day = date(2026, 11, 10), date(2026, 11, 12)
    return [
        (lambda: import_file(ctx, KINDS["units"], f / "units.csv", today=date(2026, 10, 1)), "import units"),
        (
            lambda: import_file(ctx, KINDS["meters"], f / "meters.csv", today=date(2026, 10, 1)),
            "import meters",
        ),
        (lambda: reading_sheets(ctx, FIRST), f"reading sheets {FIRST}"),
        (
            lambda: import_file(
                ctx, KINDS["meter-changes"], f / "meter-changes.csv", today=date(2026, 11, 1)
            ),
            "import meter changes",
        ),
        (
            lambda: import_file(
                ctx,
                readings_kind(FIRST),
                f / f"readings-{FIRST}.csv",
                today=date(2026, 11, 2),
                scope=str(FIRST),
            ),
            f"import readings {FIRST} (GBK, Chinese headers)",
        ),
        (lambda: issue_bills(ctx, FIRST, date(2026, 11, 3)), f"run {FIRST} as of 2026-11-03"),
        (lambda: make_notices(ctx, FIRST), f"payment notices {FIRST}"),
        (lambda: export_bills(ctx, FIRST, out / f"bills-{FIRST}.csv"), f"export bills {FIRST}"),
        (lambda: make_debit(ctx, FIRST, BANK, debit_day), f"debit file {FIRST} ({BANK})"),
        (
            lambda: _bank_answers(
                ctx, out / str(FIRST) / "debit", out / "bank" / f"return-{FIRST}.csv", return_day
            ),
            "the bank's return file (a few debits fail)",
        ),
        (lambda: import_bank_return(ctx, out / "bank" / f"return-{FIRST}.csv", BANK), "import bank return"),
        (
            lambda: import_file(
                ctx, KINDS["deposits"], f / "deposits-2026-11-20.csv", today=date(2026, 11, 20)
            ),
            "import counter deposits of 2026-11-20",
        ),
        (
            lambda: import_file(
                ctx,
                readings_kind(SECOND),
                f / f"readings-{SECOND}.csv",
                today=date(2026, 12, 2),
                scope=str(SECOND),
            ),
            f"import readings {SECOND}",
        ),
        (lambda: issue_bills(ctx, SECOND, date(2026, 12, 3)), f"run {SECOND} as of 2026-12-03 (late fees)"),
        (lambda: make_notices(ctx, SECOND), f"payment notices {SECOND}"),
        (lambda: export_bills(ctx, SECOND, out / f"bills-{SECOND}.csv"), f"export bills {SECOND}"),
        (
            lambda: export_balances(ctx, date(2026, 12, 31), out / "balances-2026-12-31.csv"),
            "export balances as of 2026-12-31",
        ),
        (lambda: make_arrears(ctx, ARREARS_DAY, AT), f"arrears notices and ledger as of {ARREARS_DAY}"),
        (lambda: collection_report(ctx, FIRST, ARREARS_DAY, AT), f"collection report {FIRST}"),
        (lambda: collection_report(ctx, SECOND, ARREARS_DAY, AT), f"collection report {SECOND}"),
        (lambda: balance_report(ctx, FIRST, AT), f"water/electricity balance {FIRST}"),
        (lambda: balance_report(ctx, SECOND, AT), f"water/electricity balance {SECOND}"),
        (
            lambda: cash_ledger(ctx, date(2026, 11, 1), ARREARS_DAY, AT),
            f"cash receipts ledger to {ARREARS_DAY}",
        ),
        (lambda: deposit_slip(ctx, return_day, AT), f"deposit slip {return_day}"),
        (lambda: deposit_slip(ctx, date(2026, 11, 20), AT), "deposit slip 2026-11-20"),
        *(
            (
                lambda p=p, fmt=fmt, ext=ext: export_journal(
                    ctx, p, fmt, out / "journal" / f"{p}-{fmt}.{ext}"
                ),
                f"journal {p} ({fmt})",
            )
            for p in (FIRST, SECOND)
            for fmt, ext in (
                ("csv", "csv"),
                ("kingdee", "xlsx"),
                ("yonyou", "txt"),
                ("beancount", "beancount"),
            )
        ),
    ]


def _bank_answers(ctx: Context, debit_dir: Path, answer: Path, on: date) -> StepResult:
    """Play the bank: read our generic-csv debit file, answer every row, fail a few."""
    result = StepResult()
    rows: list[dict[str, str]] = []
    for path in sorted(debit_dir.glob("*.csv")):
        with open(path, encoding="utf-8") as fh:
            rows.extend(csv.DictReader(fh))
    answer.parent.mkdir(parents=True, exist_ok=True)
    with open(answer, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["reference", "account", "amount", "status", "reason", "date"])
        for n, row in enumerate(rows, start=1):
            why = next((reason for every, reason in FAILURES if n % every == 0), "")
            status = "失败" if why else "成功"
            w.writerow([row["reference"], row["account"], row["amount"], status, why, on.isoformat()])
    result.files.append(answer)
    result.say(str(answer))
    return result
