"""Tiered prices (阶梯价): a monthly quantity split over cumulative tiers, priced exactly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from billing.domain.money import ZERO
from billing.domain.tariff import Tier


@dataclass(frozen=True, slots=True, kw_only=True)
class TierPart:
    """The quantity that fell in one tier, from `lower` (exclusive) up to `upper` (inclusive)."""

    lower: Decimal
    upper: Decimal | None
    quantity: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class TierBreakdown:
    """`amount` is exact (Σ quantity in tier × price); the bill line rounds it once."""

    quantity: Decimal
    amount: Decimal
    parts: tuple[TierPart, ...]


def price_tiers(quantity: Decimal, tiers: Sequence[Tier]) -> TierBreakdown:
    """Price `quantity` over `tiers`, whose `upto` are cumulative and whose last tier is open.

    A quantity exactly at a tier's `upto` is all in that (lower) tier. Only tiers that received
    some quantity appear in `parts`. A shop's flat price is a single open tier.

    >>> from billing.domain.tariff import Tier
    >>> t = (Tier(upto=Decimal(15), price=Decimal("5.00")), Tier(upto=None, price=Decimal("9.00")))
    >>> price_tiers(Decimal(17), t).amount    # 15 × 5.00 + 2 × 9.00
    Decimal('93.00')
    """
    if quantity < 0:
        raise ValueError(f"cannot price a negative quantity {quantity}")
    parts: list[TierPart] = []
    total = ZERO
    lower = ZERO
    for tier in tiers:
        if quantity <= lower:
            break
        upper = tier.upto
        if upper is not None and upper <= lower:
            raise ValueError(f"tiers must rise: {upper} after {lower}")
        top = quantity if upper is None or quantity < upper else upper
        in_tier = top - lower
        amount = in_tier * tier.price
        parts.append(TierPart(lower=lower, upper=upper, quantity=in_tier, price=tier.price, amount=amount))
        total += amount
        lower = top
    if quantity > lower:
        raise ValueError(f"quantity {quantity} is beyond the last tier (it must be open)")
    return TierBreakdown(quantity=quantity, amount=total, parts=tuple(parts))
