"""Load each unit's bills and payments, as the pure ledger sees them, as of a date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, func, select

from billing.config import Settings
from billing.domain.period import Period
from billing.ledger.records import LateFeePolicy, LedgerBill, LedgerPayment
from billing.store import schema as t
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
    payments dated on or before it, per unit; of one building's units when `building` is given."""
    carrier = t.bills.alias("carrier")
    charged = (
        select(t.late_fee_charges.c.target_bill_id, func.sum(t.late_fee_charges.c.amount_fen).label("fen"))
        .join(carrier, carrier.c.id == t.late_fee_charges.c.bill_id)
        .where(carrier.c.issue_date <= as_of)
        .group_by(t.late_fee_charges.c.target_bill_id)
        .subquery()
    )
    qb = (
        select(
            t.bills.c.id,
            t.bills.c.unit_id,
            t.bills.c.period,
            t.bills.c.issue_date,
            t.bills.c.due_date,
            t.bills.c.principal_fen,
            t.bills.c.late_fee_fen,
            charged.c.fen,
        )
        .outerjoin(charged, charged.c.target_bill_id == t.bills.c.id)
        .where(t.bills.c.issue_date <= as_of)
        .order_by(t.bills.c.unit_id, t.bills.c.period)
    )
    qp = (
        select(t.payments.c.id, t.payments.c.unit_id, t.payments.c.pay_date, t.payments.c.amount_fen)
        .where(t.payments.c.pay_date <= as_of)
        .order_by(t.payments.c.unit_id, t.payments.c.pay_date, t.payments.c.id)
    )
    if building is not None:
        in_building = select(t.units.c.unit_id).where(t.units.c.building == building)
        qb = qb.where(t.bills.c.unit_id.in_(in_building))
        qp = qp.where(t.payments.c.unit_id.in_(in_building))
    wanted = set(unit_ids) if unit_ids is not None else None
    out: dict[str, UnitLedger] = defaultdict(UnitLedger)
    for r in conn.execute(qb):
        if wanted is None or r.unit_id in wanted:
            out[r.unit_id].bills.append(
                LedgerBill(
                    bill_id=r.id,
                    period=Period.parse(r.period),
                    issue_date=r.issue_date,
                    due_date=r.due_date,
                    principal=money(r.principal_fen),
                    late_fee_line=money(r.late_fee_fen),
                    late_fee_charged=money(r.fen),
                )
            )
    for r in conn.execute(qp):
        if wanted is None or r.unit_id in wanted:
            out[r.unit_id].payments.append(
                LedgerPayment(payment_id=r.id, pay_date=r.pay_date, amount=money(r.amount_fen))
            )
    return dict(out)
