"""The acceptance estate's late fees and balances (daily_rate 0.0005, grace 0, cap 1, half_up)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from billing.ledger import accrue_late_fee, allocate, balance, late_fee_to_charge

from .builders import CONTRACT_DEFAULTS, bill, d, pay


def test_unit_1_102_paid_late_is_charged_for_the_nine_unpaid_days() -> None:
    october = bill(1, "2026-10", "553.99", issued="2026-11-03", due="2026-11-15")
    payments = (pay(1, "2026-11-25", "553.99"),)

    # 11-16 .. 11-24 unpaid = 9 days; 9 × 0.0005 × 553.99 = 2.492955 → 2.49; from 11-25 nothing unpaid
    assert late_fee_to_charge((october,), payments, d("2026-12-03"), CONTRACT_DEFAULTS) == (
        (1, Decimal("2.49")),
    )
    working = accrue_late_fee(october, allocate((october,), payments), d("2026-12-03"), CONTRACT_DEFAULTS)
    assert working.days == 9
    assert working.accrued == Decimal("2.492955")
    assert working.fee == Decimal("2.49")
    assert [(s.first, s.last, s.unpaid) for s in working.stretches] == [
        (d("2026-11-16"), d("2026-11-24"), Decimal("553.99"))
    ]


def test_unit_1_201_unpaid_october_then_november_bill() -> None:
    october = bill(1, "2026-10", "266.74", issued="2026-11-03", due="2026-11-15")

    # run at 12-03: 11-16 .. 12-03 = 15 + 3 = 18 days; 18 × 0.0005 × 266.74 = 2.40066 → 2.40
    assert late_fee_to_charge((october,), (), d("2026-12-03"), CONTRACT_DEFAULTS) == ((1, Decimal("2.40")),)

    # the run issues November with the late_fee line 2.40 and records C(October) = 2.40
    october = replace(october, late_fee_charged=Decimal("2.40"))
    november = bill(2, "2026-11", "355.03", issued="2026-12-03", due="2026-12-15", late_fee_line="2.40")
    bills = (october, november)

    allocation = allocate(bills, ())
    # October: 11-16 .. 12-31 = 15 + 31 = 46 days; 46 × 0.0005 × 266.74 = 6.13502 → 6.14
    oct_working = accrue_late_fee(october, allocation, d("2026-12-31"), CONTRACT_DEFAULTS)
    assert (oct_working.days, oct_working.accrued, oct_working.fee) == (
        46,
        Decimal("6.13502"),
        Decimal("6.14"),
    )
    assert oct_working.to_charge == Decimal("3.74")  # 6.14 − 2.40
    # November: 12-16 .. 12-31 = 16 days; 16 × 0.0005 × 355.03 = 2.84024 → 2.84
    # (its own 2.40 late-fee line bears nothing)
    nov_working = accrue_late_fee(november, allocation, d("2026-12-31"), CONTRACT_DEFAULTS)
    assert (nov_working.days, nov_working.accrued, nov_working.fee) == (
        16,
        Decimal("2.84024"),
        Decimal("2.84"),
    )

    result = balance(bills, (), d("2026-12-31"), CONTRACT_DEFAULTS)
    # billed 266.74 + 355.03 + 2.40 = 624.17; paid 0; late_fee_accrued 3.74 + 2.84 = 6.58
    assert result.billed == Decimal("624.17")
    assert result.paid == Decimal("0")
    assert result.outstanding == Decimal("624.17")
    assert result.late_fee_accrued == Decimal("6.58")


def test_rerun_at_the_same_date_charges_nothing_more() -> None:
    october = bill(1, "2026-10", "266.74", issued="2026-11-03", due="2026-11-15", charged="2.40")
    november = bill(2, "2026-11", "355.03", issued="2026-12-03", due="2026-12-15", late_fee_line="2.40")
    # the November bill (issued 12-03) is not "before" 12-03 and October's F(12-03) = 2.40 = C
    assert late_fee_to_charge((october, november), (), d("2026-12-03"), CONTRACT_DEFAULTS) == ()


def test_the_whole_estate_balances_at_year_end() -> None:
    # Bill totals from the acceptance estate; October's paid by debit on 11-12 (before the due
    # date) except 1-201 (failed) and 1-102 (no debit; deposit of 553.99 on 11-25).
    # November principals: 1-101 82.00 + 117.19 + 209.00 + 36.69 = 444.88
    #                      1-102 89.00 + 169.95 + 242.88 + 42.64 = 544.47 (+ late_fee 2.49)
    #                      SH-01 128.00 + 369.00 + 390.00 + 23.18 = 910.18
    # November fees at 12-31: 12-16 .. 12-31 = 16 days × 0.0005 = 0.008 × principal
    estate = {
        # unit: (october principal, its C, november principal, november late_fee line, payments)
        "1-101": ("432.00", "0", "444.88", "0", (pay(1, "2026-11-12", "432.00"),)),
        "1-102": ("553.99", "2.49", "544.47", "2.49", (pay(1, "2026-11-25", "553.99"),)),
        "1-201": ("266.74", "2.40", "355.03", "2.40", ()),
        "SH-01": ("942.86", "0", "910.18", "0", (pay(1, "2026-11-12", "942.86"),)),
    }
    expected = {
        # billed, paid, outstanding, late_fee_accrued
        "1-101": ("876.88", "432.00", "444.88", "3.56"),  # 0.008 × 444.88 = 3.55904
        "1-102": ("1100.95", "553.99", "546.96", "4.36"),  # October 2.49 − 2.49; 0.008 × 544.47 = 4.35576
        "1-201": ("624.17", "0", "624.17", "6.58"),  # 3.74 + 2.84, worked out above
        "SH-01": ("1853.04", "942.86", "910.18", "7.28"),  # 0.008 × 910.18 = 7.28144
    }
    for unit, (oct_p, oct_c, nov_p, nov_fee, payments) in estate.items():
        bills = (
            bill(1, "2026-10", oct_p, issued="2026-11-03", due="2026-11-15", charged=oct_c),
            bill(2, "2026-11", nov_p, issued="2026-12-03", due="2026-12-15", late_fee_line=nov_fee),
        )
        result = balance(bills, payments, d("2026-12-31"), CONTRACT_DEFAULTS)
        got = (result.billed, result.paid, result.outstanding, result.late_fee_accrued)
        assert got == tuple(Decimal(x) for x in expected[unit]), unit
        # and the November run (before it, nothing charged for October) charged its late_fee line
        before = replace(bills[0], late_fee_charged=Decimal(0))
        charged = late_fee_to_charge((before,), payments, d("2026-12-03"), CONTRACT_DEFAULTS)
        assert sum((amount for _, amount in charged), Decimal(0)) == Decimal(nov_fee), unit
