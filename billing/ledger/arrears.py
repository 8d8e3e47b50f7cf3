"""Arrears (欠费) of one unit as of a date: what each overdue bill still owes, and how old it is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.domain.money import ZERO
from billing.domain.period import Period
from billing.ledger.allocation import allocate
from billing.ledger.late_fee import accrue_late_fee
from billing.ledger.records import LateFeePolicy, LedgerBill, LedgerPayment


class AgeBucket(StrEnum):
    """Days past due: 1–30, 31–90, 91–180, more than 180."""

    DAYS_1_30 = "1-30"
    DAYS_31_90 = "31-90"
    DAYS_91_180 = "91-180"
    OVER_180 = "180+"


def days_past_due(due_date: date, as_of: date) -> int:
    """Days from the due date to `as_of`; 0 on or before the due date (grace days do not count here)."""
    return max(0, (as_of - due_date).days)


def age_bucket(days: int) -> AgeBucket | None:
    """The bucket of a number of days past due; None when not past due."""
    if days <= 0:
        return None
    if days <= 30:
        return AgeBucket.DAYS_1_30
    if days <= 90:
        return AgeBucket.DAYS_31_90
    if days <= 180:
        return AgeBucket.DAYS_91_180
    return AgeBucket.OVER_180


@dataclass(frozen=True, slots=True, kw_only=True)
class BillArrears:
    """One overdue bill at `as_of`: its unpaid principal and unpaid late-fee line (what it printed),
    and the late fee accrued for it and not yet charged (F_b − C_b, at least 0)."""

    bill_id: int
    period: Period
    due_date: date
    unpaid_principal: Decimal
    unpaid_late_fee: Decimal
    late_fee_accrued: Decimal
    days_past_due: int
    bucket: AgeBucket

    @property
    def unpaid(self) -> Decimal:
        return self.unpaid_principal + self.unpaid_late_fee


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitArrears:
    """A unit's overdue bills (period order) and totals.

    `late_fee_accrued` is the unit's whole accrued-not-charged late fee (bills already paid
    late included), the same as `balance(...).late_fee_accrued`.
    """

    unit_id: str
    as_of: date
    bills: tuple[BillArrears, ...]
    unpaid_principal: Decimal
    unpaid_late_fee: Decimal
    late_fee_accrued: Decimal

    @property
    def unpaid(self) -> Decimal:
        return self.unpaid_principal + self.unpaid_late_fee

    @property
    def oldest_bucket(self) -> AgeBucket | None:
        return max((b.bucket for b in self.bills), key=list(AgeBucket).index, default=None)

    def unpaid_by_bucket(self) -> tuple[tuple[AgeBucket, Decimal], ...]:
        """Unpaid amount per bucket, every bucket listed in order (0 when empty)."""
        return tuple(
            (bucket, sum((b.unpaid for b in self.bills if b.bucket is bucket), ZERO)) for bucket in AgeBucket
        )


def unit_arrears(
    unit_id: str,
    bills: Iterable[LedgerBill],
    payments: Iterable[LedgerPayment],
    as_of: date,
    policy: LateFeePolicy,
) -> UnitArrears:
    """The bills issued on or before `as_of`, past their due date, with something unpaid
    (principal or their own late-fee line) after the payments dated on or before `as_of`."""
    issued = sorted((b for b in bills if b.issue_date <= as_of), key=lambda b: (b.period, b.bill_id))
    allocation = allocate(issued, (p for p in payments if p.pay_date <= as_of))
    rows = []
    accrued_total = ZERO
    for bill in issued:
        accrued = accrue_late_fee(bill, allocation, as_of, policy).to_charge
        accrued_total += accrued
        share = allocation.bills[bill.bill_id]
        days = days_past_due(bill.due_date, as_of)
        bucket = age_bucket(days)
        if bucket is None or not share.outstanding():
            continue
        rows.append(
            BillArrears(
                bill_id=bill.bill_id,
                period=bill.period,
                due_date=bill.due_date,
                unpaid_principal=share.unpaid_principal(),
                unpaid_late_fee=share.unpaid_late_fee(),
                late_fee_accrued=accrued,
                days_past_due=days,
                bucket=bucket,
            )
        )
    return UnitArrears(
        unit_id=unit_id,
        as_of=as_of,
        bills=tuple(rows),
        unpaid_principal=sum((r.unpaid_principal for r in rows), ZERO),
        unpaid_late_fee=sum((r.unpaid_late_fee for r in rows), ZERO),
        late_fee_accrued=accrued_total,
    )
