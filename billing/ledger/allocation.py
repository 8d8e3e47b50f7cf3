"""Payments to bills: oldest period first, principal before the bill's own late-fee line.

Events are taken in date order: a bill on its issue date, before the payments of that day;
payments by date, then payment_id. Money that finds no unpaid bill is a credit; it is held
in arrival order and used by the next bill issued, as a payment dated on that bill's issue
date (CONTRACT §3). Allocation is causal: what is allocated on or before a date depends only on
the bills and payments of those dates, so the pieces dated ≤ D are the same whether or not
later bills and payments are given.

A bill whose principal (or late-fee line) is negative — a credit adjustment larger than the
month's charges — owes nothing for that part; the negative amount joins the credit on its
issue date, and so pays older unpaid bills first, like a payment.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from billing.domain.money import ZERO
from billing.domain.period import Period
from billing.ledger.records import LedgerBill, LedgerPayment


class Part(StrEnum):
    PRINCIPAL = "principal"
    LATE_FEE = "late_fee"


@dataclass(frozen=True, slots=True, kw_only=True)
class AppliedAmount:
    """Money applied to one part of one bill, dated.

    The date is the payment's date, or the bill's issue date when a credit was used. The money
    came from `payment_id`, or (`payment_id` None) from the negative amount of `credit_bill_id`.
    """

    bill_id: int
    part: Part
    on: date
    amount: Decimal
    payment_id: int | None
    credit_bill_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BillAllocation:
    """What one bill owes (`principal_due`, `late_fee_due`: its amounts, never below 0) and what paid it."""

    bill_id: int
    period: Period
    principal_due: Decimal
    late_fee_due: Decimal
    principal: tuple[AppliedAmount, ...]
    late_fee: tuple[AppliedAmount, ...]

    def principal_paid(self, on_or_before: date | None = None) -> Decimal:
        return _paid(self.principal, on_or_before)

    def late_fee_paid(self, on_or_before: date | None = None) -> Decimal:
        return _paid(self.late_fee, on_or_before)

    def unpaid_principal(self, on_or_before: date | None = None) -> Decimal:
        return self.principal_due - self.principal_paid(on_or_before)

    def unpaid_late_fee(self, on_or_before: date | None = None) -> Decimal:
        return self.late_fee_due - self.late_fee_paid(on_or_before)

    def outstanding(self, on_or_before: date | None = None) -> Decimal:
        return self.unpaid_principal(on_or_before) + self.unpaid_late_fee(on_or_before)


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """Per bill (in period order) the dated pieces applied to it, and the credit left at the end."""

    bills: Mapping[int, BillAllocation]
    credit: Decimal

    def principal_paid(self, bill_id: int, on_or_before: date | None = None) -> Decimal:
        """Paid to the bill's principal by pieces dated on or before the date (all, if None)."""
        return self.bills[bill_id].principal_paid(on_or_before)

    def outstanding(self, bill_id: int, on_or_before: date | None = None) -> Decimal:
        """What the bill still owes (principal and its own late-fee line) after pieces dated ≤ the date."""
        return self.bills[bill_id].outstanding(on_or_before)

    @property
    def allocated(self) -> Decimal:
        return sum((b.principal_paid() + b.late_fee_paid() for b in self.bills.values()), ZERO)

    @property
    def pieces(self) -> tuple[AppliedAmount, ...]:
        return tuple(p for b in self.bills.values() for p in (*b.principal, *b.late_fee))


def _paid(pieces: tuple[AppliedAmount, ...], on_or_before: date | None) -> Decimal:
    return sum((p.amount for p in pieces if on_or_before is None or p.on <= on_or_before), ZERO)


@dataclass(slots=True, kw_only=True)
class _Source:
    remaining: Decimal
    payment_id: int | None
    credit_bill_id: int | None = None


@dataclass(slots=True, kw_only=True)
class _Open:
    bill: LedgerBill
    principal_left: Decimal
    late_fee_left: Decimal
    principal: list[AppliedAmount] = field(default_factory=list)
    late_fee: list[AppliedAmount] = field(default_factory=list)

    @property
    def key(self) -> tuple[Period, int]:
        return (self.bill.period, self.bill.bill_id)


def allocate(bills: Iterable[LedgerBill], payments: Iterable[LedgerPayment]) -> Allocation:
    """Allocate one unit's payments to its bills (CONTRACT §3, Payments)."""
    bills = tuple(bills)
    payments = tuple(payments)
    _check_unique([b.bill_id for b in bills], "bill_id")
    _check_unique([p.payment_id for p in payments], "payment_id")
    for p in payments:
        if p.amount < 0:
            raise ValueError(f"payment {p.payment_id} has a negative amount {p.amount}")
    if not payments and all(b.principal >= 0 and b.late_fee_line >= 0 for b in bills):
        # No money and no credit: nothing is applied, every bill stands as issued (most of the
        # units a late-fee run looks at; the events below would come to the same).
        return Allocation(
            bills=MappingProxyType(
                {
                    b.bill_id: BillAllocation(
                        bill_id=b.bill_id,
                        period=b.period,
                        principal_due=b.principal,
                        late_fee_due=b.late_fee_line,
                        principal=(),
                        late_fee=(),
                    )
                    for b in sorted(bills, key=lambda b: (b.period, b.bill_id))
                }
            ),
            credit=ZERO,
        )
    return _allocate_events(bills, payments)


def _allocate_events(bills: tuple[LedgerBill, ...], payments: tuple[LedgerPayment, ...]) -> Allocation:
    """`allocate` by walking bills and payments in date order (the general case)."""
    # (date, 0 for a bill / 1 for a payment, tie-break) — a bill comes before the payments of its day.
    events: list[tuple[date, int, tuple[Period, int] | int, LedgerBill | LedgerPayment]] = [
        (b.issue_date, 0, (b.period, b.bill_id), b) for b in bills
    ]
    events += [(p.pay_date, 1, p.payment_id, p) for p in payments]
    events.sort(key=lambda e: (e[0], e[1], e[2]))

    states: dict[int, _Open] = {}
    unpaid: list[_Open] = []  # bills issued and not fully paid, in period order
    pool: deque[_Source] = deque()
    for on, _, _, event in events:
        if isinstance(event, LedgerBill):
            state = _Open(
                bill=event,
                principal_left=max(event.principal, ZERO),
                late_fee_left=max(event.late_fee_line, ZERO),
            )
            states[event.bill_id] = state
            credit = -min(event.principal, ZERO) - min(event.late_fee_line, ZERO)
            if credit:
                pool.append(_Source(remaining=credit, payment_id=None, credit_bill_id=event.bill_id))
            if state.principal_left or state.late_fee_left:
                bisect.insort(unpaid, state, key=lambda s: s.key)
        elif event.amount:
            pool.append(_Source(remaining=event.amount, payment_id=event.payment_id))
        _settle(unpaid, pool, on)

    by_bill = {
        s.bill.bill_id: BillAllocation(
            bill_id=s.bill.bill_id,
            period=s.bill.period,
            principal_due=max(s.bill.principal, ZERO),
            late_fee_due=max(s.bill.late_fee_line, ZERO),
            principal=tuple(s.principal),
            late_fee=tuple(s.late_fee),
        )
        for s in sorted(states.values(), key=lambda s: s.key)
    }
    credit = sum((s.remaining for s in pool), ZERO)
    return Allocation(bills=MappingProxyType(by_bill), credit=credit)


def _settle(unpaid: list[_Open], pool: deque[_Source], on: date) -> None:
    """Use the pool, oldest money first, on the unpaid bills, oldest period first."""
    while pool and unpaid:
        state = unpaid[0]
        source = pool[0]
        if state.principal_left:
            part, pieces = Part.PRINCIPAL, state.principal
            amount = min(state.principal_left, source.remaining)
            state.principal_left -= amount
        else:
            part, pieces = Part.LATE_FEE, state.late_fee
            amount = min(state.late_fee_left, source.remaining)
            state.late_fee_left -= amount
        pieces.append(
            AppliedAmount(
                bill_id=state.bill.bill_id,
                part=part,
                on=on,
                amount=amount,
                payment_id=source.payment_id,
                credit_bill_id=source.credit_bill_id,
            )
        )
        source.remaining -= amount
        if not source.remaining:
            pool.popleft()
        if not state.principal_left and not state.late_fee_left:
            unpaid.pop(0)


def _check_unique(ids: list[int], name: str) -> None:
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate {name} in the ledger input")
