"""`billing explain` and `billing adjust`: a clerk answering an owner, a clerk correcting a bill."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.domain.bill import Item
from billing.domain.money import format_money, round_money
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.pipeline.context import Context, StepResult
from billing.store import repo
from billing.store.locks import exclusive

ADJUSTABLE = tuple(str(i) for i in Item if i not in (Item.ADJUSTMENT,))


def adjust(
    ctx: Context, unit_id: str, period: Period, *, item: str, amount: Decimal, reason: str, as_of: date
) -> StepResult:
    """Record a correction of the bill of `period`; it is charged (or credited) on the unit's next bill."""
    result = StepResult()
    if item not in ADJUSTABLE:
        result.problems.append(
            Problem.error(
                "BAD_CHOICE", unit=unit_id, column="--item", value=item, expected="/".join(ADJUSTABLE)
            )
        )
    if amount == 0 or round_money(amount) != amount:
        result.problems.append(
            Problem.error(
                "OUT_OF_RANGE",
                unit=unit_id,
                column="--amount",
                value=amount,
                expected="≠ 0, at most 2 decimals",
            )
        )
    if not reason.strip():
        result.problems.append(Problem.error("MISSING_VALUE", unit=unit_id, column="--reason"))
    if result.problems:
        return result
    with ctx.engine.begin() as conn:
        exclusive(conn, "bill-run")
        if repo.bill_of(conn, unit_id, period) is None:
            result.problems.append(Problem.error("NO_BILL", unit=unit_id, unit_id=unit_id, period=period))
            return result
        adjustment_id = repo.add_adjustment(
            conn,
            unit_id=unit_id,
            period=period,
            item=item,
            amount=amount,
            reason=reason.strip(),
            recorded_on=as_of,
        )
    en = ctx.lang.startswith("en")
    result.say(
        f"{'adjustment' if en else '调整'} #{adjustment_id}: {unit_id} {period} {item} {format_money(amount)}"
        f" — {'on the next bill' if en else '计入下一期账单'}"
    )
    return result


def adjustment_history(ctx: Context, unit_id: str | None) -> StepResult:
    result = StepResult()
    with ctx.engine.connect() as conn:
        for a in repo.adjustments_of(conn, unit_id):
            state = f"bill #{a.applied_bill_id}" if a.applied_bill_id else "pending"
            result.say(
                f"#{a.id} {a.recorded_on} {a.unit_id} {a.period} {a.item} "
                f"{format_money(repo.money(a.amount_fen))} [{state}] {a.reason}"
            )
    return result
