"""`billing export bills|balances`: the machine-readable outputs of CONTRACT §4."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from billing.domain.period import Period
from billing.export.bills import write_balances, write_bill_lines
from billing.ledger.balance import UnitBalance, balance
from billing.pipeline.context import Context, StepResult
from billing.pipeline.ledgers import late_fee_policy, load_ledgers
from billing.store import repo


def export_bills(ctx: Context, period: Period, path: Path) -> StepResult:
    result = StepResult()
    with ctx.engine.connect() as conn:
        rows = [
            (r.unit_id, r.period, r.item, r.quantity, repo.money(r.amount_fen))
            for r in repo.period_lines(conn, period)
        ]
    write_bill_lines(path, rows)
    result.files.append(path)
    result.say(
        f"{path}: {sum(1 for r in rows if r[4] != 0)} {'lines' if ctx.lang.startswith('en') else '行'}"
    )
    return result


def unit_balances(ctx: Context, as_of: date) -> list[tuple[str, UnitBalance]]:
    """Each billed unit's balance as of a date, in unit order."""
    policy = late_fee_policy(ctx.settings)
    with ctx.engine.connect() as conn:
        ledgers = load_ledgers(conn, as_of=as_of)
    return [
        (unit_id, balance(ledgers[unit_id].bills, ledgers[unit_id].payments, as_of, policy))
        for unit_id in sorted(ledgers)
        if ledgers[unit_id].bills
    ]


def export_balances(ctx: Context, as_of: date, path: Path) -> StepResult:
    result = StepResult()
    rows = [(u, b.billed, b.paid, b.outstanding, b.late_fee_accrued) for u, b in unit_balances(ctx, as_of)]
    write_balances(path, rows)
    result.files.append(path)
    result.say(f"{path}: {len(rows)} {'units' if ctx.lang.startswith('en') else '户'}")
    return result
