"""Tiered prices: cumulative monthly tiers, exact amounts, boundaries (CONTRACT §3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain.records import UnitKind
from billing.domain.tariff import Tier
from billing.rate import TierPart, price_tiers

from .builders import E, W, contract_tariff

D = Decimal
WATER = contract_tariff().tiers(W, UnitKind.RESIDENCE)  # 0–15 at 5.00, 15–22 at 7.00, > 22 at 9.00
ELECTRICITY = contract_tariff().tiers(E, UnitKind.RESIDENCE)  # 0–240 at 0.4883, –400 at 0.5383, 0.7883


def test_quantity_exactly_at_upto_is_all_in_the_lower_tier() -> None:
    # 15 × 5.00 = 75.00, nothing in the 7.00 tier
    b = price_tiers(D(15), WATER)
    assert b.amount == D("75.00")
    assert b.parts == (TierPart(lower=D(0), upper=D(15), quantity=D(15), price=D("5.00"), amount=D("75.00")),)


def test_one_past_the_boundary() -> None:
    # 15 × 5.00 + 1 × 7.00 = 75 + 7 = 82
    b = price_tiers(D(16), WATER)
    assert b.amount == D(82)
    assert [(p.lower, p.upper, p.quantity) for p in b.parts] == [(D(0), D(15), D(15)), (D(15), D(22), D(1))]


def test_second_boundary_and_the_open_tier() -> None:
    # 22: 75 + 7 × 7.00 = 75 + 49 = 124
    assert price_tiers(D(22), WATER).amount == D(124)
    # 30: 75 + 49 + 8 × 9.00 = 124 + 72 = 196
    b = price_tiers(D(30), WATER)
    assert b.amount == D(196)
    assert b.parts[-1] == TierPart(lower=D(22), upper=None, quantity=D(8), price=D("9.00"), amount=D("72.00"))


def test_fractional_quantity() -> None:
    # 15.5: 75 + 0.5 × 7.00 = 78.5
    assert price_tiers(D("15.5"), WATER).amount == D("78.5")


def test_amount_is_exact_not_rounded() -> None:
    # 352 kWh: 240 × 0.4883 + 112 × 0.5383 = 117.192 + 60.2896 = 177.4816 (the line rounds it, once)
    b = price_tiers(D(352), ELECTRICITY)
    assert b.amount == D("177.4816")
    assert [p.amount for p in b.parts] == [D("117.192"), D("60.2896")]


def test_zero_has_no_parts() -> None:
    b = price_tiers(D(0), WATER)
    assert (b.amount, b.parts) == (0, ())


def test_shop_flat_price_is_one_open_tier() -> None:
    # 410.0 × 0.9000 = 369.00000
    b = price_tiers(D("410.0"), contract_tariff().tiers(E, UnitKind.SHOP))
    assert b.amount == D("369")
    assert len(b.parts) == 1 and b.parts[0].upper is None


def test_bad_inputs_are_bugs() -> None:
    with pytest.raises(ValueError):
        price_tiers(D(-1), WATER)
    with pytest.raises(ValueError):  # a closed last tier cannot take what is beyond it
        price_tiers(D(30), (Tier(upto=D(15), price=D(5)),))
    with pytest.raises(ValueError):  # tiers must rise
        price_tiers(
            D(30), (Tier(upto=D(15), price=D(5)), Tier(upto=D(10), price=D(7)), Tier(upto=None, price=D(9)))
        )


quantities = st.decimals(min_value=0, max_value=100_000, places=3)


@given(quantities)
def test_parts_add_up(q: Decimal) -> None:
    b = price_tiers(q, ELECTRICITY)
    assert sum((p.quantity for p in b.parts), D(0)) == q
    assert sum((p.amount for p in b.parts), D(0)) == b.amount


@given(quantities, quantities)
def test_more_consumption_never_costs_less(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert price_tiers(low, WATER).amount <= price_tiers(high, WATER).amount
