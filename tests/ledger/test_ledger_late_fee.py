"""Late fees: A_b(D) by stretches of unpaid principal, the cap, grace days, charging once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from billing.domain.money import RoundingMode
from billing.ledger import LateFeePolicy, LedgerBill, accrue_late_fee, allocate, late_fee_to_charge

from .builders import CONTRACT_DEFAULTS, bill, d, pay

JANUARY = bill(1, "2026-01", "1000.00", issued="2026-02-03", due="2026-02-15")


def fee_at(target, bills, payments, as_of: str, policy: LateFeePolicy = CONTRACT_DEFAULTS):
    return accrue_late_fee(target, allocate(bills, payments), d(as_of), policy)


def test_grace_days_push_the_first_day_back() -> None:
    graced = replace(CONTRACT_DEFAULTS, grace_days=5)
    # days d with 02-15 + 5 < d ≤ 02-28: 02-21 .. 02-28 = 8 days; 8 × 0.0005 × 1000 = 4.00
    working = fee_at(JANUARY, (JANUARY,), (), "2026-02-28", graced)
    assert (working.first_day, working.days, working.fee) == (d("2026-02-21"), 8, Decimal("4.00"))
    # without grace: 02-16 .. 02-28 = 13 days; 13 × 0.5 = 6.50
    assert fee_at(JANUARY, (JANUARY,), (), "2026-02-28").fee == Decimal("6.50")
    # still inside the grace: nothing
    assert fee_at(JANUARY, (JANUARY,), (), "2026-02-20", graced).fee == Decimal("0")


def test_partial_payment_in_the_middle_of_the_accrual() -> None:
    january = bill(1, "2026-01", "333.33", issued="2026-02-03", due="2026-02-15")
    payments = (pay(1, "2026-03-01", "100.00"),)
    working = fee_at(january, (january,), payments, "2026-03-10")
    # 02-16 .. 02-28: 13 days × 0.0005 × 333.33 = 2.166645
    # 03-01 .. 03-10: 10 days × 0.0005 × 233.33 = 1.16665   (the payment counts on its own day)
    # A = 3.333295 → 3.33
    assert [(s.first, s.last, s.days, s.unpaid, s.amount) for s in working.stretches] == [
        (d("2026-02-16"), d("2026-02-28"), 13, Decimal("333.33"), Decimal("2.166645")),
        (d("2026-03-01"), d("2026-03-10"), 10, Decimal("233.33"), Decimal("1.16665")),
    ]
    assert working.days == 23
    assert working.accrued == Decimal("3.333295")
    assert working.fee == Decimal("3.33")


def test_the_cap_is_reached() -> None:
    small = bill(1, "2026-01", "100.00", issued="2026-02-03", due="2026-02-15")
    capped = replace(CONTRACT_DEFAULTS, cap_ratio=Decimal("0.1"))
    # cap = 100.00 × 0.1 = 10.00; 0.0005 × 100 = 0.05 a day, so 200 days reach it exactly
    # 02-16 .. 09-03 = 13+31+30+31+30+31+31+3 = 200 days → A = 10.00, not above the cap
    at_cap = fee_at(small, (small,), (), "2026-09-03", capped)
    assert (at_cap.days, at_cap.accrued, at_cap.capped, at_cap.fee) == (
        200,
        Decimal("10.00"),
        False,
        Decimal("10.00"),
    )
    # 02-16 .. 12-31 = 319 days → A = 15.95 > 10.00 → F = 10.00
    over = fee_at(small, (small,), (), "2026-12-31", capped)
    assert (over.days, over.accrued, over.capped, over.fee) == (319, Decimal("15.95"), True, Decimal("10.00"))


def test_the_default_cap_is_the_principal() -> None:
    small = bill(1, "2026-01", "10.00", issued="2026-02-03", due="2026-02-15")
    # 0.0005 × 10 = 0.005 a day; 2026-02-16 .. 2032-02-15 = 2191 days → A = 10.955 > 10.00 → F = 10.00
    assert fee_at(small, (small,), (), "2032-02-15").fee == Decimal("10.00")


def test_a_payment_on_the_due_date_owes_nothing() -> None:
    january = bill(1, "2026-01", "200.00", issued="2026-02-03", due="2026-02-15")
    assert fee_at(january, (january,), (pay(1, "2026-02-15", "200.00"),), "2026-12-31").fee == Decimal("0")
    # paid on the first fee day: it counts on that day, so still nothing
    assert fee_at(january, (january,), (pay(1, "2026-02-16", "200.00"),), "2026-12-31").fee == Decimal("0")
    # paid a day later: one day, 02-16; 1 × 0.0005 × 200 = 0.10
    assert fee_at(january, (january,), (pay(1, "2026-02-17", "200.00"),), "2026-12-31").fee == Decimal("0.10")


def test_two_overdue_bills() -> None:
    january = bill(1, "2026-01", "300.00", issued="2026-02-03", due="2026-02-15")
    # run at 03-03: January 02-16 .. 03-03 = 13 + 3 = 16 days × 0.0005 × 300 = 2.40
    assert late_fee_to_charge((january,), (), d("2026-03-03"), CONTRACT_DEFAULTS) == ((1, Decimal("2.40")),)
    january = replace(january, late_fee_charged=Decimal("2.40"))
    february = bill(2, "2026-02", "500.00", issued="2026-03-03", due="2026-03-15", late_fee_line="2.40")
    payments = (pay(1, "2026-03-20", "350.00"),)  # 300 to January's principal, 50 to February's

    # run at 04-03:
    # January:  02-16 .. 03-19 = 13 + 19 = 32 days × 0.0005 × 300 = 4.80; charged 2.40 → 2.40
    # February: 03-16 .. 03-19 =  4 days × 0.0005 × 500 = 1.00
    #           03-20 .. 04-03 = 12 + 3 = 15 days × 0.0005 × 450 = 3.375; A = 4.375 → 4.38
    assert late_fee_to_charge((january, february), payments, d("2026-04-03"), CONTRACT_DEFAULTS) == (
        (1, Decimal("2.40")),
        (2, Decimal("4.38")),
    )


def test_half_even_rounding_of_the_fee() -> None:
    january = bill(1, "2026-01", "250.00", issued="2026-02-03", due="2026-02-15")
    half_even = replace(CONTRACT_DEFAULTS, rounding=RoundingMode.HALF_EVEN)
    # one day, 02-16: 1 × 0.0005 × 250 = 0.125 → half_even 0.12, half_up 0.13
    assert fee_at(january, (january,), (), "2026-02-16", half_even).fee == Decimal("0.12")
    assert fee_at(january, (january,), (), "2026-02-16").fee == Decimal("0.13")


def test_late_fees_never_bear_late_fees() -> None:
    # February's only unpaid money is its 2.40 late-fee line: no fee on it, ever
    january = bill(1, "2026-01", "300.00", issued="2026-02-03", due="2026-02-15", charged="2.40")
    february = bill(2, "2026-02", "0.00", issued="2026-03-03", due="2026-03-15", late_fee_line="2.40")
    payments = (pay(1, "2026-02-10", "300.00"),)
    assert fee_at(february, (january, february), payments, "2026-12-31").fee == Decimal("0")
    assert late_fee_to_charge((january, february), payments, d("2026-12-31"), CONTRACT_DEFAULTS) == ()


def test_a_credit_bill_bears_no_fee() -> None:
    refund = bill(1, "2026-01", "-20.00", issued="2026-02-03", due="2026-02-15")
    working = fee_at(refund, (refund,), (), "2026-12-31")
    assert (working.fee, working.stretches, working.cap) == (Decimal("0"), (), Decimal("0"))


def test_a_bill_issued_after_its_due_date_accrues_from_the_day_after_issue() -> None:
    late = bill(1, "2026-01", "100.00", issued="2026-03-01", due="2026-02-15")
    # days after 02-15 and after 03-01: 03-02 .. 03-05 = 4 × 0.05 = 0.20
    assert fee_at(late, (late,), (), "2026-03-05").fee == Decimal("0.20")


def test_repeated_runs_never_charge_twice() -> None:
    bills: tuple[LedgerBill, ...] = (bill(1, "2026-01", "300.00", issued="2026-02-03", due="2026-02-15"),)
    runs = ("2026-03-03", "2026-03-03", "2026-03-10", "2026-03-10", "2026-04-03")
    total = Decimal(0)
    for n, run in enumerate(runs, start=2):
        charges = late_fee_to_charge(bills, (), d(run), CONTRACT_DEFAULTS)
        increments = dict(charges)
        if charges:  # the run issues a bill carrying the charge; C_b becomes F_b(run)
            bills = tuple(
                replace(b, late_fee_charged=b.late_fee_charged + increments.get(b.bill_id, 0)) for b in bills
            )
            line = sum(increments.values(), Decimal(0))
            bills += (bill(n, f"2026-{n:02d}", "0", issued=run, due="2026-12-15", late_fee_line=str(line)),)
            total += line
        assert late_fee_to_charge(bills, (), d(run), CONTRACT_DEFAULTS) == ()
    # all charged = F(04-03): 02-16 .. 04-03 = 13 + 31 + 3 = 47 days × 0.15 = 7.05
    assert total == Decimal("7.05")
    assert bills[0].late_fee_charged == Decimal("7.05")


def test_a_payment_recorded_late_but_dated_earlier_refunds_nothing() -> None:
    january = bill(1, "2026-01", "300.00", issued="2026-02-03", due="2026-02-15", charged="2.40")
    # C = 2.40 was charged at 03-03; then a deposit dated 02-20 turns up: F(03-10) = 4 days × 0.15 = 0.60
    payments = (pay(1, "2026-02-20", "300.00"),)
    assert late_fee_to_charge((january,), payments, d("2026-03-10"), CONTRACT_DEFAULTS) == ()
