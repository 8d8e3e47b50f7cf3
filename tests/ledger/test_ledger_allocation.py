"""Payments to bills: oldest period first, principal before the bill's own late-fee line, credits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.ledger import Part, accrue_late_fee, allocate

from .builders import CONTRACT_DEFAULTS, bill, d, pay

JANUARY = bill(1, "2026-01", "100.00", issued="2026-02-03", due="2026-02-15")
FEBRUARY = bill(2, "2026-02", "500.00", issued="2026-03-03", due="2026-03-15", late_fee_line="2.40")


def test_principal_is_paid_before_the_late_fee_line() -> None:
    allocation = allocate((FEBRUARY,), (pay(1, "2026-03-10", "501.00"),))
    february = allocation.bills[2]
    # 501.00 = 500.00 principal + 1.00 of the 2.40 late-fee line; 1.40 left
    assert [(p.part, p.amount) for p in february.principal + february.late_fee] == [
        (Part.PRINCIPAL, Decimal("500.00")),
        (Part.LATE_FEE, Decimal("1.00")),
    ]
    assert february.unpaid_late_fee() == Decimal("1.40")
    assert allocation.outstanding(2) == Decimal("1.40")


def test_the_oldest_period_is_paid_first_including_its_late_fee_line() -> None:
    # January owes 100.00; February 500.00 + 2.40. 150.00 → January 100.00, February principal 50.00
    allocation = allocate((FEBRUARY, JANUARY), (pay(1, "2026-03-10", "150.00"),))
    assert list(allocation.bills) == [1, 2]  # period order
    assert allocation.outstanding(1) == Decimal("0")
    assert allocation.principal_paid(2) == Decimal("50.00")
    assert allocation.bills[2].late_fee_paid() == Decimal("0")
    # 602.40 all told: 100.00 + 500.00 + 2.40; paying 500.00 more leaves 2.40 of the fee line
    allocation = allocate(
        (JANUARY, FEBRUARY), (pay(1, "2026-03-10", "150.00"), pay(2, "2026-03-11", "450.00"))
    )
    assert allocation.outstanding(2) == Decimal("2.40")


def test_payments_of_one_day_go_in_payment_id_order() -> None:
    allocation = allocate(
        (JANUARY, FEBRUARY), (pay(7, "2026-03-10", "100.00"), pay(3, "2026-03-10", "60.00"))
    )
    # payment 3 first: 60.00 to January; then payment 7: 40.00 to January, 60.00 to February
    assert [(p.payment_id, p.amount) for p in allocation.bills[1].principal] == [
        (3, Decimal("60.00")),
        (7, Decimal("40.00")),
    ]
    assert [(p.payment_id, p.amount) for p in allocation.bills[2].principal] == [(7, Decimal("60.00"))]


def test_an_overpayment_is_a_credit_used_by_the_next_bill_on_its_issue_date() -> None:
    payments = (pay(1, "2026-02-10", "150.00"),)
    # before February exists: 100.00 to January, 50.00 credit
    assert allocate((JANUARY,), payments).credit == Decimal("50.00")

    february = bill(2, "2026-02", "80.00", issued="2026-03-03", due="2026-03-15")
    allocation = allocate((JANUARY, february), payments)
    assert allocation.credit == Decimal("0")
    # the 50.00 reaches February as a payment dated on its issue date 03-03, not on 02-10
    [piece] = allocation.bills[2].principal
    assert (piece.on, piece.amount, piece.payment_id) == (d("2026-03-03"), Decimal("50.00"), 1)
    assert allocation.principal_paid(2, d("2026-03-02")) == Decimal("0")
    # February's fee at 03-31: 03-16 .. 03-31 = 16 days × 0.0005 × (80 − 50) = 0.24
    assert accrue_late_fee(february, allocation, d("2026-03-31"), CONTRACT_DEFAULTS).fee == Decimal("0.24")


def test_a_bill_issued_on_the_day_of_a_payment_comes_first() -> None:
    february = bill(2, "2026-02", "80.00", issued="2026-03-03", due="2026-03-15")
    # January paid; February issued 03-03; a payment of 03-03 goes straight to February
    allocation = allocate(
        (JANUARY, february), (pay(1, "2026-02-10", "100.00"), pay(2, "2026-03-03", "80.00"))
    )
    [piece] = allocation.bills[2].principal
    assert (piece.on, piece.payment_id) == (d("2026-03-03"), 2)
    assert allocation.credit == Decimal("0")


def test_a_credit_bill_pays_older_bills_as_of_its_issue_date() -> None:
    # a credit adjustment of −30.00 bigger than February's charges: February's principal is −30.00
    credit_note = bill(2, "2026-02", "-30.00", issued="2026-03-03", due="2026-03-15")
    allocation = allocate((JANUARY, credit_note), ())
    [piece] = allocation.bills[1].principal
    assert (piece.on, piece.amount, piece.payment_id, piece.credit_bill_id) == (
        d("2026-03-03"),
        Decimal("30.00"),
        None,
        2,
    )
    assert allocation.outstanding(1) == Decimal("70.00")
    assert allocation.outstanding(2) == Decimal("0")


def test_the_allocation_up_to_a_date_does_not_depend_on_later_events() -> None:
    february = bill(2, "2026-02", "80.00", issued="2026-03-03", due="2026-03-15")
    early = allocate((JANUARY,), (pay(1, "2026-02-10", "60.00"),))
    full = allocate((JANUARY, february), (pay(1, "2026-02-10", "60.00"), pay(2, "2026-03-20", "120.00")))
    assert early.principal_paid(1) == full.principal_paid(1, d("2026-02-28")) == Decimal("60.00")


def test_bad_input_is_a_bug_not_a_problem() -> None:
    with pytest.raises(ValueError, match="negative"):
        allocate((JANUARY,), (pay(1, "2026-02-10", "-1.00"),))
    with pytest.raises(ValueError, match="duplicate bill_id"):
        allocate((JANUARY, JANUARY), ())
