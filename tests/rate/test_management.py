"""Management fee: price per m² × area, pro-rated by day in the handover month (CONTRACT §3)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billing.domain.money import RoundingMode, round_money
from billing.domain.period import Period
from billing.rate import management_fee

from .builders import d

D = Decimal
OCT = Period(2026, 10)  # 31 days
PRICE = D("2.20")


def test_full_month_after_handover() -> None:
    # 95 × 2.20 = 209.00
    assert management_fee(D(95), PRICE, OCT, d("2025-03-01")) == (D("209.00"), 31, 31)


def test_handover_mid_month_is_rounded_once_at_the_end() -> None:
    # 95 × 2.20 × 22 / 31 = 4598 / 31 = 148.3225806… → 148.32 (10-10 .. 10-31 = 22 days)
    exact, billed, days = management_fee(D(95), PRICE, OCT, d("2026-10-10"))
    assert (billed, days) == (22, 31)
    assert round_money(exact) == D("148.32")
    # Rounding a daily fee first would give 209 / 31 = 6.74, × 22 = 148.28: not what we do.
    assert round_money(exact) != round_money(D(209) / 31) * 22


def test_handover_on_the_first_is_a_full_fee() -> None:
    # 10-01 .. 10-31 = 31 days: 209.00
    assert management_fee(D(95), PRICE, OCT, d("2026-10-01")) == (D("209.00"), 31, 31)


def test_handover_on_the_last_day_is_one_day() -> None:
    # 95 × 2.20 × 1 / 31 = 6.741935… → 6.74
    exact, billed, days = management_fee(D(95), PRICE, OCT, d("2026-10-31"))
    assert (billed, days, round_money(exact)) == (1, 31, D("6.74"))


def test_february_and_a_leap_day() -> None:
    # 2026-02 has 28 days; 02-15 .. 02-28 = 14: 209 × 14 / 28 = 104.50
    exact, billed, days = management_fee(D(95), PRICE, Period(2026, 2), d("2026-02-15"))
    assert (billed, days, exact) == (14, 28, D("104.5"))
    # 2028-02-29, the last of 29 days: 209 / 29 = 7.2068… → 7.21
    exact, billed, days = management_fee(D(95), PRICE, Period(2028, 2), d("2028-02-29"))
    assert (billed, days, round_money(exact)) == (1, 29, D("7.21"))


def test_shop_price() -> None:
    # 60 × 6.50 = 390.00
    assert management_fee(D(60), D("6.50"), OCT, d("2024-01-01"))[0] == D("390.00")


def test_not_handed_over_pays_nothing() -> None:
    assert management_fee(D(95), PRICE, OCT, None) == (D(0), 0, 31)
    assert management_fee(D(95), PRICE, OCT, d("2026-11-01")) == (D(0), 0, 31)


@given(
    area=st.decimals(min_value="0.01", max_value=10_000, places=2),
    price=st.decimals(min_value=0, max_value=100, places=2),
    offset=st.integers(min_value=-40, max_value=40),
    month=st.integers(min_value=1, max_value=12),
    mode=st.sampled_from(list(RoundingMode)),
)
def test_proration_never_exceeds_the_full_fee(
    area: Decimal, price: Decimal, offset: int, month: int, mode: RoundingMode
) -> None:
    period = Period(2028, month)
    handover = period.first_day + timedelta(days=offset)
    exact, billed, days = management_fee(area, price, period, handover)
    full = price * area
    assert 0 <= exact <= full
    assert 0 <= billed <= days == period.days
    assert round_money(exact, mode) <= round_money(full, mode)
    if handover <= period.first_day:
        assert exact == full
    if handover > period.last_day:
        assert exact == 0
