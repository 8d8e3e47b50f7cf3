"""Shared consumption (公摊) of one master meter: Q = master − its unit meters, apportioned."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from billing.domain.money import ZERO, RoundingMode, round_money
from billing.domain.problem import Problem
from billing.domain.records import Utility
from billing.domain.tariff import Basis, SharedPrice
from billing.rate.apportion import apportion

_ONE = Decimal(1)
_MILLI = Decimal("0.001")


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedMember:
    """A billable unit with a meter of the utility under the master meter."""

    unit_id: str
    area: Decimal
    usage: Decimal  # its own consumption of the utility in the period (all its meters)


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedShare:
    """One unit's share: `amount` apportioned from the rounded total, `exact` = total × w ÷ Σw,
    `quantity` = Q × w ÷ Σw rounded half up to 0.001."""

    unit_id: str
    weight: Decimal
    quantity: Decimal
    amount: Decimal
    exact: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedResult:
    master_id: str
    utility: Utility
    master_consumption: Decimal
    units_consumption: Decimal
    quantity: Decimal  # Q
    price: Decimal
    total: Decimal  # round(Q × price); 0 when nothing is apportioned
    basis: Basis  # the basis used (area when usage weights add up to 0)
    configured_basis: Basis
    weight_sum: Decimal
    shares: tuple[SharedShare, ...]  # in unit_id order; zero-amount shares left out
    problem: Problem | None = None


def apportion_shared(
    *,
    master_id: str,
    utility: Utility,
    master_consumption: Decimal,
    unit_consumptions: Iterable[Decimal],
    members: Sequence[SharedMember],
    price: SharedPrice,
    rounding: RoundingMode,
) -> SharedResult:
    """Apportion the shared consumption of master meter `master_id` (CONTRACT §3).

    `unit_consumptions` are those of every unit-scope meter under it, billable or not; common
    meters are not among them (they are part of Q). Q < 0 gives the warning MASTER_BELOW_UNITS
    (no unit attached) and no shares.
    """
    units_consumption = sum(unit_consumptions, ZERO)
    q = master_consumption - units_consumption
    configured = price.basis
    if q < 0:
        problem = Problem.warning(
            "MASTER_BELOW_UNITS", meter_id=master_id, master=master_consumption, units=units_consumption
        )
        return SharedResult(
            master_id=master_id,
            utility=utility,
            master_consumption=master_consumption,
            units_consumption=units_consumption,
            quantity=q,
            price=price.price,
            total=ZERO,
            basis=configured,
            configured_basis=configured,
            weight_sum=ZERO,
            shares=(),
            problem=problem,
        )

    ordered = sorted(members, key=lambda m: m.unit_id)
    basis, weights = _weights(configured, ordered)
    weight_sum = sum((w for _, w in weights), ZERO)
    total = round_money(q * price.price, rounding)
    shares: list[SharedShare] = []
    if total > 0 and weight_sum > 0:
        by_unit = dict(weights)
        for unit_id, amount in apportion(total, weights):
            if amount == 0:
                continue
            w = by_unit[unit_id]
            shares.append(
                SharedShare(
                    unit_id=unit_id,
                    weight=w,
                    quantity=(q * w / weight_sum).quantize(_MILLI, rounding=ROUND_HALF_UP),
                    amount=amount,
                    exact=total * w / weight_sum,
                )
            )
    return SharedResult(
        master_id=master_id,
        utility=utility,
        master_consumption=master_consumption,
        units_consumption=units_consumption,
        quantity=q,
        price=price.price,
        total=total,
        basis=basis,
        configured_basis=configured,
        weight_sum=weight_sum,
        shares=tuple(shares),
    )


def _weights(basis: Basis, members: Sequence[SharedMember]) -> tuple[Basis, list[tuple[str, Decimal]]]:
    if basis is Basis.USAGE:
        weights = [(m.unit_id, m.usage) for m in members]
        if any(w for _, w in weights):
            return basis, weights
        basis = Basis.AREA
    if basis is Basis.AREA:
        weights = [(m.unit_id, m.area) for m in members]
        if any(w for _, w in weights) or not members:
            return basis, weights
        # Areas are > 0 by import validation; should they all be 0, share equally rather than lose Q.
    return Basis.EQUAL, [(m.unit_id, _ONE) for m in members]
