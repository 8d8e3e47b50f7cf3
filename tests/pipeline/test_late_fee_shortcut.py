"""The bill run skips the late-fee working of a unit only when it would charge nothing.

`billrun.charges_nothing` decides, without allocating, that `late_fee_workings` gives nothing
(one earlier bill, paid in full by its first fee-bearing day, or not yet overdue). It must never
say so when a fee is due: checked on random units against the ledger's own function.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.money import RoundingMode, from_fen
from billing.domain.period import Period
from billing.ledger import LateFeePolicy, LedgerBill, LedgerPayment
from billing.ledger.late_fee import late_fee_workings
from billing.pipeline.billrun import charges_nothing
from billing.pipeline.ledgers import UnitLedger

DAY0 = date(2026, 10, 1)


@st.composite
def ledgers(draw: st.DrawFn) -> UnitLedger:
    bills = []
    period = Period(2026, 9)
    for bill_id in range(1, draw(st.integers(0, 3)) + 1):
        after = period.next()
        bills.append(
            LedgerBill(
                bill_id=bill_id,
                period=period,
                issue_date=after.first_day + timedelta(days=draw(st.integers(0, 20))),
                due_date=period.due_date(15),
                principal=from_fen(draw(st.integers(-5_000, 60_000))),
                late_fee_line=from_fen(draw(st.integers(-500, 2_000))),
                late_fee_charged=from_fen(draw(st.integers(0, 300))),
            )
        )
        period = after
    payments = [
        LedgerPayment(
            payment_id=payment_id,
            pay_date=DAY0 + timedelta(days=draw(st.integers(0, 120))),
            amount=from_fen(draw(st.integers(1, 80_000))),
        )
        for payment_id in draw(st.lists(st.integers(1, 50), unique=True, max_size=5))
    ]
    return UnitLedger(bills=bills, payments=payments)


policies = st.builds(
    LateFeePolicy,
    daily_rate=st.sampled_from([Decimal("0.0005"), Decimal("0.003")]),
    grace_days=st.integers(0, 10),
    cap_ratio=st.sampled_from([Decimal(1), Decimal("0.05")]),
    rounding=st.sampled_from(list(RoundingMode)),
)


@settings(max_examples=600)
@given(ledgers(), policies, st.integers(0, 150).map(lambda n: DAY0 + timedelta(days=n)))
def test_it_never_skips_a_fee(ledger: UnitLedger, policy: LateFeePolicy, as_of: date) -> None:
    payments = [p for p in ledger.payments if p.pay_date <= as_of]  # as load_ledgers gives them
    ledger = UnitLedger(bills=[b for b in ledger.bills if b.issue_date <= as_of], payments=payments)
    if charges_nothing(ledger, as_of, policy):
        assert late_fee_workings(ledger.bills, ledger.payments, as_of, policy) == ()


def test_it_skips_a_bill_paid_on_time_and_not_one_paid_late() -> None:
    # October's bill 432.00, issued 11-03, due 11-15: paid 11-12 in full → nothing at 12-03
    bill = LedgerBill(
        bill_id=1,
        period=Period(2026, 10),
        issue_date=date(2026, 11, 3),
        due_date=date(2026, 11, 15),
        principal=Decimal("432.00"),
    )
    policy = LateFeePolicy()
    on_time = UnitLedger(
        bills=[bill],
        payments=[LedgerPayment(payment_id=1, pay_date=date(2026, 11, 12), amount=Decimal("432.00"))],
    )
    assert charges_nothing(on_time, date(2026, 12, 3), policy)
    # paid on 11-20: 4 days (11-16 … 11-19) × 0.0005 × 432.00 = 0.864 → 0.86 is due
    late = UnitLedger(
        bills=[bill],
        payments=[LedgerPayment(payment_id=1, pay_date=date(2026, 11, 20), amount=Decimal("432.00"))],
    )
    assert not charges_nothing(late, date(2026, 12, 3), policy)
    assert [w.to_charge for w in late_fee_workings(late.bills, late.payments, date(2026, 12, 3), policy)] == [
        Decimal("0.86")
    ]
