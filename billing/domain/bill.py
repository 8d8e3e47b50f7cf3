"""Bills and their lines, as the rating engine proposes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Item(StrEnum):
    WATER = "water"
    ELECTRICITY = "electricity"
    SHARED_WATER = "shared_water"
    SHARED_ELECTRICITY = "shared_electricity"
    MANAGEMENT = "management"
    LATE_FEE = "late_fee"
    ADJUSTMENT = "adjustment"


# The order lines are shown and exported in.
ITEM_ORDER: tuple[Item, ...] = tuple(Item)


@dataclass(frozen=True, slots=True, kw_only=True)
class BillLine:
    """One line: the rounded amount, the exact amount it was rounded from, and how it was made.

    `detail` holds the working for `billing explain` and the notice (readings, tiers, weights…),
    as plain JSON-able values (strings for Decimals).
    """

    unit_id: str
    item: Item
    quantity: Decimal | None
    amount: Decimal
    exact: Decimal
    detail: Mapping[str, object] = field(default_factory=dict)
