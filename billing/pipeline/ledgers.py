"""Load each unit's bills and payments, as the pure ledger sees them, as of a date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from billing.config import Settings
from billing.domain.period import Period
from billing.ledger.records import LateFeePolicy, LedgerBill, LedgerPayment
from billing.store.bulk import as_date, fetch, placeholders
from billing.store.repo import money


@dataclass
class UnitLedger:
    bills: list[LedgerBill] = field(default_factory=list)
    payments: list[LedgerPayment] = field(default_factory=list)


def late_fee_policy(settings: Settings) -> LateFeePolicy:
    lf = settings.late_fee
    return LateFeePolicy(
        daily_rate=lf.daily_rate,
        grace_days=lf.grace_days,
        cap_ratio=lf.cap_ratio,
        rounding=settings.rounding.mode,
    )


def load_ledgers(
    conn: Connection, *, as_of: date, unit_ids: Iterable[str] | None = None, building: str | None = None
) -> dict[str, UnitLedger]:
    """Bills issued on or before `as_of` (C_b counting the charges made by such bills) and
    payments dated on or before it, per unit; of one building's units when `building` is given,
    of `unit_ids` when given. Units in id order; bills by period, payments by date."""
    where, params = "", []
    wanted = None if unit_ids is None else sorted(set(unit_ids))
    if building is not None:
        where += " AND x.unit_id IN (SELECT unit_id FROM units WHERE building = ?)"
        params.append(building)
    if wanted is not None and len(wanted) <= _IN_LIMIT:
        if not wanted:
            return {}
        where += f" AND x.unit_id IN ({placeholders(len(wanted))})"
        params.extend(wanted)
    bills = fetch(
        conn,
        "SELECT x.unit_id, x.id, x.period, x.issue_date, x.due_date, x.principal_fen, x.late_fee_fen, "
        "(SELECT SUM(lc.amount_fen) FROM late_fee_charges lc JOIN bills cb ON cb.id = lc.bill_id "
        " WHERE lc.target_bill_id = x.id AND cb.issue_date <= ?) "
        f"FROM bills x WHERE x.issue_date <= ?{where}",
        [as_of, as_of, *params],
    )
    payments = fetch(
        conn,
        f"SELECT x.unit_id, x.id, x.pay_date, x.amount_fen FROM payments x WHERE x.pay_date <= ?{where}",
        [as_of, *params],
    )
    keep = set(wanted) if wanted is not None and len(wanted) > _IN_LIMIT else None
    if keep is not None:
        bills = [r for r in bills if r[0] in keep]
        payments = [r for r in payments if r[0] in keep]
    bills.sort(key=lambda r: (r[0], r[2]))
    payments.sort(key=lambda r: (r[0], str(r[2]), r[1]))
    return dict(sorted(unit_ledgers(bills, payments).items()))


def unit_ledgers(bills: Iterable[Sequence[Any]], payments: Iterable[Sequence[Any]]) -> dict[str, UnitLedger]:
    """Each unit's ledger from bill rows (unit_id, id, period, issue_date, due_date, principal_fen,
    late_fee_fen, charged_fen) and payment rows (unit_id, id, pay_date, amount_fen), in the order
    given; dates and amounts, which repeat, are converted once."""
    out: dict[str, UnitLedger] = defaultdict(UnitLedger)
    periods: dict[str, Period] = {}
    days: dict[object, date] = {}
    amounts: dict[int | None, Decimal] = {}

    def day(value: object) -> date:
        found = days.get(value)
        if found is None:
            found = days[value] = as_date(value)  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def amount(fen: int | None) -> Decimal:
        found = amounts.get(fen)
        if found is None:
            found = amounts[fen] = money(fen)
        return found

    for unit_id, bill_id, period, issue, due, principal, late_fee, charged in bills:
        p = periods.get(period)
        if p is None:
            p = periods[period] = Period.parse(period)
        out[unit_id].bills.append(
            LedgerBill(
                bill_id=bill_id,
                period=p,
                issue_date=day(issue),
                due_date=day(due),
                principal=amount(principal),
                late_fee_line=amount(late_fee),
                late_fee_charged=amount(charged),
            )
        )
    for unit_id, payment_id, paid_on, fen in payments:
        out[unit_id].payments.append(
            LedgerPayment(payment_id=payment_id, pay_date=day(paid_on), amount=amount(fen))
        )
    return out


# An IN list longer than this reads every unit's rows and filters (SQLite's limit is 32766).
_IN_LIMIT = 5000
