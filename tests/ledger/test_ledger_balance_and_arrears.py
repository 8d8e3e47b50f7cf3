"""Balances (export balances) and arrears (age buckets)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.ledger import AgeBucket, age_bucket, balance, days_past_due, unit_arrears

from .builders import CONTRACT_DEFAULTS, bill, d, pay


def test_an_overpayment_shows_as_a_negative_outstanding() -> None:
    bills = (bill(1, "2026-01", "100.00", issued="2026-02-03", due="2026-02-15"),)
    result = balance(bills, (pay(1, "2026-02-10", "150.00"),), d("2026-02-28"), CONTRACT_DEFAULTS)
    assert (result.billed, result.paid, result.outstanding, result.late_fee_accrued) == (
        Decimal("100.00"),
        Decimal("150.00"),
        Decimal("-50.00"),
        Decimal("0"),
    )


def test_the_balance_counts_only_what_is_dated_on_or_before_as_of() -> None:
    bills = (
        bill(1, "2026-01", "100.00", issued="2026-02-03", due="2026-02-15"),
        bill(2, "2026-02", "80.00", issued="2026-03-03", due="2026-03-15"),
    )
    payments = (pay(1, "2026-02-20", "100.00"), pay(2, "2026-03-05", "80.00"))
    result = balance(bills, payments, d("2026-02-28"), CONTRACT_DEFAULTS)
    # only January billed and paid; its fee: 02-16 .. 02-19 = 4 days × 0.0005 × 100 = 0.20
    assert (result.billed, result.paid, result.outstanding, result.late_fee_accrued) == (
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("0.20"),
    )


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, None),
        (1, AgeBucket.DAYS_1_30),
        (30, AgeBucket.DAYS_1_30),
        (31, AgeBucket.DAYS_31_90),
        (90, AgeBucket.DAYS_31_90),
        (91, AgeBucket.DAYS_91_180),
        (180, AgeBucket.DAYS_91_180),
        (181, AgeBucket.OVER_180),
    ],
)
def test_age_buckets(days: int, bucket: AgeBucket | None) -> None:
    assert age_bucket(days) is bucket


def test_days_past_due() -> None:
    assert days_past_due(d("2026-11-15"), d("2026-11-15")) == 0
    assert days_past_due(d("2026-11-15"), d("2026-12-31")) == 46
    assert days_past_due(d("2026-11-15"), d("2026-11-01")) == 0


def test_arrears_of_unit_1_201_at_year_end() -> None:
    bills = (
        bill(1, "2026-10", "266.74", issued="2026-11-03", due="2026-11-15", charged="2.40"),
        bill(2, "2026-11", "355.03", issued="2026-12-03", due="2026-12-15", late_fee_line="2.40"),
        bill(3, "2026-12", "300.00", issued="2027-01-03", due="2027-01-15"),  # not issued yet at 12-31
    )
    arrears = unit_arrears("1-201", bills, (), d("2026-12-31"), CONTRACT_DEFAULTS)
    october, november = arrears.bills
    # October: due 11-15, 46 days past due; fee 6.14 − 2.40 charged = 3.74 not yet charged
    assert (october.unpaid_principal, october.unpaid_late_fee, october.days_past_due, october.bucket) == (
        Decimal("266.74"),
        Decimal("0"),
        46,
        AgeBucket.DAYS_31_90,
    )
    assert october.late_fee_accrued == Decimal("3.74")
    # November: due 12-15, 16 days past due; its 2.40 line is unpaid; fee 2.84 not yet charged
    assert (november.unpaid_principal, november.unpaid_late_fee, november.days_past_due, november.bucket) == (
        Decimal("355.03"),
        Decimal("2.40"),
        16,
        AgeBucket.DAYS_1_30,
    )
    assert november.late_fee_accrued == Decimal("2.84")
    # totals: 266.74 + 355.03 = 621.77 principal, 2.40 fee line, 3.74 + 2.84 = 6.58 accrued
    assert (arrears.unpaid_principal, arrears.unpaid_late_fee, arrears.late_fee_accrued) == (
        Decimal("621.77"),
        Decimal("2.40"),
        Decimal("6.58"),
    )
    assert arrears.oldest_bucket is AgeBucket.DAYS_31_90
    assert dict(arrears.unpaid_by_bucket()) == {
        AgeBucket.DAYS_1_30: Decimal("357.43"),  # 355.03 + 2.40
        AgeBucket.DAYS_31_90: Decimal("266.74"),
        AgeBucket.DAYS_91_180: Decimal("0"),
        AgeBucket.OVER_180: Decimal("0"),
    }


def test_a_bill_not_yet_due_or_paid_is_not_in_arrears() -> None:
    bills = (
        bill(1, "2026-10", "100.00", issued="2026-11-03", due="2026-11-15"),
        bill(2, "2026-11", "80.00", issued="2026-12-03", due="2026-12-15"),
    )
    # October paid late (11-20): 11-16 .. 11-19 = 4 days × 0.05 = 0.20 accrued, but nothing unpaid
    arrears = unit_arrears(
        "1-101", bills, (pay(1, "2026-11-20", "100.00"),), d("2026-12-10"), CONTRACT_DEFAULTS
    )
    assert arrears.bills == ()
    assert arrears.oldest_bucket is None
    assert arrears.late_fee_accrued == Decimal("0.20")
