"""Late fees (滞纳金): the exact accrual A_b(D), the fee F_b(D), and what a run at D charges.

A_b(D) = Σ over days d with due_b + grace_days < d ≤ D and d after b's issue date, of
daily_rate × (P_b − principal of b paid by pieces dated on or before d);
F_b(D) = round_money(min(A_b(D), P_b × cap_ratio)), and 0 when P_b ≤ 0 (CONTRACT §3).

The sum is taken by stretches of days with the same unpaid principal (it changes only on a
date some money was applied to b's principal), never day by day, in Decimal with enough
precision to be exact. Only principal bears a fee: late fees never bear late fees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

from billing.domain.money import ZERO, round_money
from billing.domain.period import ONE_DAY
from billing.ledger.allocation import Allocation, allocate
from billing.ledger.records import LateFeePolicy, LedgerBill, LedgerPayment

# Enough digits that rate × principal × days and their sum are never rounded.
_PRECISION = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class LateFeeStretch:
    """Days `first`..`last` (both included) on which `unpaid` principal bore the daily rate."""

    first: date
    last: date
    days: int
    unpaid: Decimal
    amount: Decimal  # exact: days × daily_rate × unpaid


@dataclass(frozen=True, slots=True, kw_only=True)
class LateFeeWorking:
    """The working of F_b(as_of), for `billing explain` and the arrears notice.

    `days` counts the days that bore a fee (stretches with unpaid principal > 0); `accrued` is
    the exact A_b; `capped` says the cap P_b × cap_ratio was reached; `fee` is F_b; `charged`
    is C_b as given; `to_charge` is F_b − C_b, never below 0.
    """

    bill_id: int
    as_of: date
    principal: Decimal
    first_day: date  # the first day that can bear a fee: after the due date + grace and the issue date
    daily_rate: Decimal
    cap: Decimal
    stretches: tuple[LateFeeStretch, ...]
    days: int
    accrued: Decimal
    capped: bool
    fee: Decimal
    charged: Decimal
    to_charge: Decimal


def accrue_late_fee(
    bill: LedgerBill, allocation: Allocation, as_of: date, policy: LateFeePolicy
) -> LateFeeWorking:
    """F_b(as_of) for one bill, with its working. `allocation` must include the bill.

    Only pieces dated on or before `as_of` are looked at, so an allocation made with later
    payments gives the same answer.
    """
    principal = bill.principal
    first_day = max(bill.due_date + timedelta(days=policy.grace_days), bill.issue_date) + ONE_DAY
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        cap = max(principal, ZERO) * policy.cap_ratio
        stretches = _stretches(bill, allocation, first_day, as_of, policy.daily_rate) if principal > 0 else ()
        accrued = sum((s.amount for s in stretches), ZERO)
        capped = accrued > cap
        fee = round_money(min(accrued, cap), policy.rounding) if principal > 0 else ZERO
    return LateFeeWorking(
        bill_id=bill.bill_id,
        as_of=as_of,
        principal=principal,
        first_day=first_day,
        daily_rate=policy.daily_rate,
        cap=cap,
        stretches=stretches,
        days=sum(s.days for s in stretches),
        accrued=accrued,
        capped=capped,
        fee=fee,
        charged=bill.late_fee_charged,
        to_charge=max(fee - bill.late_fee_charged, ZERO),
    )


def _stretches(
    bill: LedgerBill, allocation: Allocation, first_day: date, as_of: date, rate: Decimal
) -> tuple[LateFeeStretch, ...]:
    if first_day > as_of:
        return ()
    pieces = allocation.bills[bill.bill_id].principal
    # Money applied on or before the first day already counts on that day.
    unpaid = bill.principal - sum((p.amount for p in pieces if p.on <= first_day), ZERO)
    changes: dict[date, Decimal] = {}
    for p in pieces:
        if first_day < p.on <= as_of:
            changes[p.on] = changes.get(p.on, ZERO) + p.amount
    out: list[LateFeeStretch] = []
    start = first_day
    for on in sorted(changes):
        out.append(_stretch(start, on - ONE_DAY, unpaid, rate))
        unpaid -= changes[on]
        start = on
    out.append(_stretch(start, as_of, unpaid, rate))
    return tuple(s for s in out if s.unpaid > 0)


def _stretch(first: date, last: date, unpaid: Decimal, rate: Decimal) -> LateFeeStretch:
    days = (last - first).days + 1
    return LateFeeStretch(first=first, last=last, days=days, unpaid=unpaid, amount=rate * unpaid * days)


def late_fee_to_charge(
    bills: Iterable[LedgerBill], payments: Iterable[LedgerPayment], as_of: date, policy: LateFeePolicy
) -> tuple[tuple[int, Decimal], ...]:
    """What a run at `as_of` charges, per bill: (bill_id, F_b(as_of) − C_b), positive ones only.

    Computed from the bills issued before `as_of` and the payments dated on or before it: the
    bill that this run issues (and whose `late_fee` line is the sum of these) is not there yet;
    once issued, its late-fee line is part of it and is paid after its principal. After the
    run the caller sets C_b = C_b + increment (= F_b(as_of)); calling again then gives nothing,
    so nothing is charged twice. When F_b(as_of) < C_b (a payment recorded late but dated
    earlier), nothing is charged and nothing is refunded.
    """
    return tuple((w.bill_id, w.to_charge) for w in late_fee_workings(bills, payments, as_of, policy))


def late_fee_workings(
    bills: Iterable[LedgerBill], payments: Iterable[LedgerPayment], as_of: date, policy: LateFeePolicy
) -> tuple[LateFeeWorking, ...]:
    """The working of every charge `late_fee_to_charge` makes, for the late_fee line and `explain`."""
    before = tuple(b for b in bills if b.issue_date < as_of)
    allocation = allocate(before, (p for p in payments if p.pay_date <= as_of))
    out = []
    for bill in sorted(before, key=lambda b: (b.period, b.bill_id)):
        working = accrue_late_fee(bill, allocation, as_of, policy)
        if working.to_charge > 0:
            out.append(working)
    return tuple(out)
