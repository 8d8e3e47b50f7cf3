"""Tariffs: dated versions of metered tiers, shop prices, management and shared prices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.domain.period import Period
from billing.domain.records import UnitKind, Utility


class Basis(StrEnum):
    AREA = "area"
    USAGE = "usage"
    EQUAL = "equal"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tier:
    """Quantities up to `upto` (monthly, per unit) at `price`; `upto` None is the last tier."""

    upto: Decimal | None
    price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedPrice:
    price: Decimal
    basis: Basis = Basis.AREA


@dataclass(frozen=True, slots=True, kw_only=True)
class TariffVersion:
    effective_from: date
    # (utility, kind) -> tiers; a shop's flat price is a single open tier
    metered: Mapping[tuple[Utility, UnitKind], tuple[Tier, ...]]
    management: Mapping[UnitKind, Decimal]
    shared: Mapping[Utility, SharedPrice]

    @property
    def label(self) -> str:
        return self.effective_from.isoformat()

    def tiers(self, utility: Utility, kind: UnitKind) -> tuple[Tier, ...]:
        return self.metered[(utility, kind)]


@dataclass(frozen=True, slots=True)
class Tariffs:
    versions: tuple[TariffVersion, ...]

    def in_force(self, period: Period) -> TariffVersion | None:
        """The version in force on the first day of the period."""
        found = None
        for v in sorted(self.versions, key=lambda v: v.effective_from):
            if v.effective_from <= period.first_day:
                found = v
        return found
