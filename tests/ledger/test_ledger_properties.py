"""Money laws of the ledger, checked on random units (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.money import RoundingMode, from_fen, round_money
from billing.domain.period import Period
from billing.ledger import (
    LateFeePolicy,
    LedgerBill,
    LedgerPayment,
    Part,
    accrue_late_fee,
    allocate,
    balance,
    late_fee_to_charge,
)

START = Period(2026, 1)
DAY0 = date(2026, 1, 1)


@st.composite
def units(
    draw: st.DrawFn, *, allow_negative: bool = False
) -> tuple[tuple[LedgerBill, ...], tuple[LedgerPayment, ...]]:
    low = -20_000 if allow_negative else 0
    bills = []
    period = START
    for bill_id in range(1, draw(st.integers(0, 6)) + 1):
        after = period.next()
        bills.append(
            LedgerBill(
                bill_id=bill_id,
                period=period,
                issue_date=after.first_day + timedelta(days=draw(st.integers(0, 20))),
                due_date=period.due_date(15),
                principal=from_fen(draw(st.integers(low, 100_000))),
                late_fee_line=from_fen(draw(st.integers(0, 2_000))),
            )
        )
        period = after
    payments = tuple(
        LedgerPayment(
            payment_id=payment_id,
            pay_date=DAY0 + timedelta(days=draw(st.integers(0, 300))),
            amount=from_fen(draw(st.integers(1, 150_000))),
        )
        for payment_id in draw(st.lists(st.integers(1, 50), unique=True, max_size=8))
    )
    return tuple(bills), payments


policies = st.builds(
    LateFeePolicy,
    daily_rate=st.sampled_from([Decimal("0.0005"), Decimal("0.001"), Decimal("0.003"), Decimal("0.01")]),
    grace_days=st.integers(0, 10),
    cap_ratio=st.sampled_from([Decimal(1), Decimal("0.5"), Decimal("0.3"), Decimal("0.05"), Decimal(2)]),
    rounding=st.sampled_from(list(RoundingMode)),
)
as_of_dates = st.integers(0, 330).map(lambda n: DAY0 + timedelta(days=n))


@given(units())
def test_allocated_plus_credit_is_what_was_paid(unit) -> None:
    bills, payments = unit
    allocation = allocate(bills, payments)
    assert allocation.allocated + allocation.credit == sum((p.amount for p in payments), Decimal(0))


@given(units(allow_negative=True))
def test_what_bills_owe_less_the_credit_is_billed_less_paid(unit) -> None:
    bills, payments = unit
    allocation = allocate(bills, payments)
    owed = sum((allocation.outstanding(b.bill_id) for b in bills), Decimal(0))
    billed = sum((b.principal + b.late_fee_line for b in bills), Decimal(0))
    assert owed - allocation.credit == billed - sum((p.amount for p in payments), Decimal(0))
    for share in allocation.bills.values():
        assert 0 <= share.principal_paid() <= share.principal_due
        assert 0 <= share.late_fee_paid() <= share.late_fee_due
        # the late-fee line takes nothing before the principal is paid in full
        for piece in share.late_fee:
            assert share.principal_paid(piece.on) == share.principal_due
            assert piece.part is Part.LATE_FEE
    # a credit is left only when nothing is owed
    assert not allocation.credit or not owed


@given(units(), policies, as_of_dates)
def test_the_fee_never_exceeds_the_cap(unit, policy, as_of) -> None:
    bills, payments = unit
    allocation = allocate(bills, payments)
    for b in bills:
        working = accrue_late_fee(b, allocation, as_of, policy)
        cap = b.principal * policy.cap_ratio
        assert 0 <= working.fee <= round_money(cap, policy.rounding)
        if cap == round_money(cap):  # a cap in whole fen (cap_ratio 1, the default) is never passed
            assert working.fee <= cap


@settings(max_examples=50)
@given(units(), policies, as_of_dates)
def test_the_stretches_add_up_to_the_day_by_day_sum(unit, policy, as_of) -> None:
    bills, payments = unit
    allocation = allocate(bills, payments)
    for b in bills:
        working = accrue_late_fee(b, allocation, as_of, policy)
        day = max(b.due_date + timedelta(days=policy.grace_days), b.issue_date) + timedelta(days=1)
        by_day = Decimal(0)
        while day <= as_of and b.principal > 0:
            by_day += policy.daily_rate * (b.principal - allocation.principal_paid(b.bill_id, day))
            day += timedelta(days=1)
        assert working.accrued == by_day


@given(units(), policies, st.lists(as_of_dates, min_size=1, max_size=4))
def test_runs_charge_each_fen_once_and_reruns_charge_nothing(unit, policy, runs) -> None:
    bills, payments = unit
    for run in sorted(runs):
        charges = dict(late_fee_to_charge(bills, payments, run, policy))
        assert all(amount > 0 for amount in charges.values())
        bills = tuple(
            replace(b, late_fee_charged=b.late_fee_charged + charges.get(b.bill_id, 0)) for b in bills
        )
        assert late_fee_to_charge(bills, payments, run, policy) == ()
        # what a run charges is what the balance showed as accrued
        assert balance(bills, payments, run, policy).late_fee_accrued == 0


@settings(max_examples=200)
@given(units(allow_negative=True))
def test_without_payments_the_shortcut_is_the_walk_through_the_events(
    unit: tuple[tuple[LedgerBill, ...], tuple[LedgerPayment, ...]],
) -> None:
    # allocate answers a unit with no payment and no credit at once; the general walk through
    # the events must come to the very same allocation (and does the work when there is credit).
    from billing.ledger.allocation import _allocate_events

    bills, _ = unit
    assert allocate(bills, ()) == _allocate_events(bills, ())
