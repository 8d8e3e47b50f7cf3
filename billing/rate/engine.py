"""Rating one period: every billable unit's metered, shared and management lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from billing.domain.bill import BillLine, Item
from billing.domain.consumption import Consumption, meter_consumption
from billing.domain.money import ZERO, RoundingMode, round_money
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.domain.records import MeterPeriod, Scope, Unit, UnitKind, Utility
from billing.domain.tariff import Basis, TariffVersion, Tier
from billing.rate.management import management_fee
from billing.rate.shared import SharedMember, SharedResult, apportion_shared
from billing.rate.tiers import TierBreakdown, price_tiers

_UTILITIES = (Utility.WATER, Utility.ELECTRICITY)
_METERED = {Utility.WATER: Item.WATER, Utility.ELECTRICITY: Item.ELECTRICITY}
_SHARED = {Utility.WATER: Item.SHARED_WATER, Utility.ELECTRICITY: Item.SHARED_ELECTRICITY}

# One unit's share of one master meter: quantity, amount, exact, detail.
_Share = tuple[Decimal, Decimal, Decimal, Mapping[str, object]]


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingResult:
    """The proposed lines (units in input order, items in ITEM_ORDER) and the problems found.

    A unit with an error problem gets no line at all, never a partial bill.
    """

    lines: tuple[BillLine, ...]
    problems: tuple[Problem, ...]


def rate_period(
    *,
    period: Period,
    units: Iterable[Unit],
    meter_periods: Iterable[MeterPeriod],
    tariff: TariffVersion,
    rounding: RoundingMode,
) -> RatingResult:
    """Rate `period` for the billable units among `units` (CONTRACT §3).

    Works on any part of the estate that holds whole master-meter groups: `meter_periods` must
    hold every meter under each master meter present (those of units not billable too), and
    `units` every billable unit with a meter under it; units not billable may be left out.
    Common meters are not needed (they are part of Q) and are not read.

    Lines: one per utility with metered consumption (the unit's meters summed, tiers priced on
    the sum), one per utility with a shared share (summed, should a unit have meters under two
    master meters), and management. Metered lines with quantity 0 and shares of 0.00 produce no
    line; any other line is returned even when it rounds to 0.00 (the bill export leaves those
    out). Each line is rounded once, its exact amount kept. Line details are JSON-able and may
    share sub-objects between lines: treat them as read-only.

    Problems: meter problems (ROLLOVER warnings included) with the unit of a unit meter attached
    (the meter id as `unit` for a master meter, as MISSING_READING does), MASTER_BELOW_UNITS,
    SHARED_NOT_COMPUTED for units whose shared consumption depends on a broken reading,
    UNIT_FAILED for an unexpected failure; one unit's problem stops only that unit.
    """
    rating = _Rating(period, tariff, rounding)
    rating.measure(meter_periods)
    rating.select_billable(units)
    for master_id in sorted(rating.children):
        rating.share(master_id)
    return rating.bill()


class _Rating:
    """The working of one `rate_period` call. Results that repeat across units (the same
    consumption on the same tiers, the same area at the same management price) are worked out once."""

    def __init__(self, period: Period, tariff: TariffVersion, rounding: RoundingMode) -> None:
        self.period = period
        self.tariff = tariff
        self.label = tariff.label
        self.rounding = rounding
        self.problems: list[Problem] = []
        self.failed: set[str] = set()  # units with an error: no line at all
        self.present: set[str] = set()
        self.consumption: dict[str, tuple[MeterPeriod, Consumption]] = {}
        self.by_unit: dict[tuple[str, Utility], list[str]] = {}
        self.children: dict[str, list[str]] = {}  # master meter id -> its unit meters
        self.billable: dict[str, Unit] = {}
        self.shared: dict[tuple[str, Utility], list[_Share]] = {}
        self._tiers: dict[tuple[Utility, UnitKind], tuple[Tier, ...]] = {}
        # Keyed by the text of the Decimals: 15 and 15.0 are equal but keep their own working.
        self._metered: dict[tuple[Utility, UnitKind, str], tuple[TierBreakdown, Decimal, object]] = {}
        self._management: dict[
            tuple[UnitKind, str, date | None], tuple[Decimal, Decimal, Mapping[str, object]]
        ]
        self._management = {}
        self._iso: dict[date | None, str | None] = {None: None}

    def measure(self, meter_periods: Iterable[MeterPeriod]) -> None:
        """Consumption of every unit and master meter, indexed by unit and by master."""
        for mp in meter_periods:
            meter = mp.meter
            meter_id = meter.meter_id
            if meter_id in self.present:
                raise ValueError(f"meter {meter_id} given twice")
            self.present.add(meter_id)
            if meter.scope is Scope.COMMON:
                continue
            c = meter_consumption(mp)
            self.consumption[meter_id] = (mp, c)
            unit_id = meter.unit_id if meter.scope is Scope.UNIT else None
            if c.problem is not None:
                # As elsewhere in the product, a problem of a meter without a unit names the meter.
                self.problems.append(replace(c.problem, unit=unit_id or meter_id))
                if c.quantity is None and unit_id is not None:
                    self.failed.add(unit_id)
            if meter.scope is Scope.UNIT:
                if unit_id is not None:
                    self.by_unit.setdefault((unit_id, meter.utility), []).append(meter_id)
                if meter.parent_id is not None:
                    self.children.setdefault(meter.parent_id, []).append(meter_id)

    def select_billable(self, units: Iterable[Unit]) -> None:
        # Unit.billable_in, with the period's last day worked out once rather than per unit.
        last_day = self.period.last_day
        seen: set[str] = set()
        for unit in units:
            if unit.unit_id in seen:
                raise ValueError(f"unit {unit.unit_id} given twice")
            seen.add(unit.unit_id)
            if unit.handover_date is not None and unit.handover_date <= last_day:
                self.billable[unit.unit_id] = unit

    def share(self, master_id: str) -> None:
        """Apportion one master meter's Q over its billable units."""
        kids = self.children[master_id]
        member_ids = sorted(
            {u for u in (self.consumption[k][0].meter.unit_id for k in kids) if u in self.billable}
        )
        entry = self.consumption.get(master_id)
        if entry is None or entry[0].meter.scope is not Scope.MASTER:
            if master_id in self.present:
                self.problems.append(Problem.error("PARENT_NOT_MASTER", unit=master_id, parent_id=master_id))
            else:
                self.problems.append(
                    Problem.error("MISSING_READING", unit=master_id, meter_id=master_id, period=self.period)
                )
            self._not_computed(member_ids, master_id, master_id)
            return
        master_mp, master_c = entry
        utility = master_mp.meter.utility
        price = self.tariff.shared.get(utility)
        if price is None:  # this tariff version charges no shared consumption for the utility
            return
        broken = master_id if master_c.quantity is None else None
        kid_quantities: list[Decimal] = []
        for k in kids:
            q = self.consumption[k][1].quantity
            if q is None:
                broken = broken or k
            else:
                kid_quantities.append(q)
        members: list[SharedMember] = []
        for unit_id in member_ids:
            own = ZERO
            if price.basis is Basis.USAGE:  # the unit's own consumption of the utility, all its meters
                for meter_id in self.by_unit.get((unit_id, utility), ()):
                    q = self.consumption[meter_id][1].quantity
                    if q is None:
                        broken = broken or meter_id
                    else:
                        own += q
            members.append(SharedMember(unit_id=unit_id, area=self.billable[unit_id].area_m2, usage=own))
        if broken is not None or master_c.quantity is None:
            self._not_computed(member_ids, master_id, broken or master_id)
            return
        result = apportion_shared(
            master_id=master_id,
            utility=utility,
            master_consumption=master_c.quantity,
            unit_consumptions=kid_quantities,
            members=members,
            price=price,
            rounding=self.rounding,
        )
        if result.problem is not None:
            self.problems.append(replace(result.problem, unit=master_id))
        if not result.shares:
            return
        common = _group_detail(result)
        for s in result.shares:
            detail = {
                **common,
                "weight": str(s.weight),
                "quantity": str(s.quantity),
                "amount": str(s.amount),
                "exact": str(s.exact),
            }
            self.shared.setdefault((s.unit_id, utility), []).append((s.quantity, s.amount, s.exact, detail))

    def _not_computed(self, member_ids: list[str], master_id: str, meter_id: str) -> None:
        for unit_id in member_ids:
            self.problems.append(
                Problem.error("SHARED_NOT_COMPUTED", unit=unit_id, master_id=master_id, meter_id=meter_id)
            )
            self.failed.add(unit_id)

    def bill(self) -> RatingResult:
        lines: list[BillLine] = []
        for unit_id, unit in self.billable.items():
            if unit_id in self.failed:
                continue
            try:
                lines.extend(self.unit_lines(unit))
            except Exception as exc:  # a bug or a tariff gap: report it with the unit, rate the others
                self.problems.append(
                    Problem.error("UNIT_FAILED", unit=unit_id, reason=f"{type(exc).__name__}: {exc}")
                )
        return RatingResult(lines=tuple(lines), problems=tuple(self.problems))

    def unit_lines(self, unit: Unit) -> list[BillLine]:
        unit_id = unit.unit_id
        kind = unit.kind
        lines: list[BillLine] = []
        for utility in _UTILITIES:
            meter_ids = self.by_unit.get((unit_id, utility))
            if not meter_ids:
                continue
            entries = [self.consumption[m] for m in (sorted(meter_ids) if len(meter_ids) > 1 else meter_ids)]
            quantity = ZERO
            for _, c in entries:
                assert c.quantity is not None  # units with a broken reading never get here
                quantity += c.quantity
            if quantity == 0:
                continue
            text = str(quantity)
            breakdown, amount, tiers_detail = self.metered(utility, kind, quantity, text)
            lines.append(
                BillLine(
                    unit_id=unit_id,
                    item=_METERED[utility],
                    quantity=quantity,
                    amount=amount,
                    exact=breakdown.amount,
                    detail={
                        "tariff": self.label,
                        "kind": str(kind),
                        "meters": [self.meter_detail(mp, c) for mp, c in entries],
                        "quantity": text,
                        "tiers": tiers_detail,
                        "exact": str(breakdown.amount),
                    },
                )
            )
        for utility in _UTILITIES:
            shares = self.shared.get((unit_id, utility))
            if not shares:
                continue
            if len(shares) == 1:
                quantity, amount, exact, _ = shares[0]
            else:
                quantity = sum((s[0] for s in shares), ZERO)
                amount = sum((s[1] for s in shares), ZERO)
                exact = sum((s[2] for s in shares), ZERO)
            lines.append(
                BillLine(
                    unit_id=unit_id,
                    item=_SHARED[utility],
                    quantity=quantity,
                    amount=amount,
                    exact=exact,
                    detail={"tariff": self.label, "shares": [s[3] for s in shares]},
                )
            )
        exact, amount, detail = self.management(unit)
        lines.append(
            BillLine(
                unit_id=unit_id,
                item=Item.MANAGEMENT,
                quantity=unit.area_m2,
                amount=amount,
                exact=exact,
                detail=detail,
            )
        )
        return lines

    def metered(
        self, utility: Utility, kind: UnitKind, quantity: Decimal, text: str
    ) -> tuple[TierBreakdown, Decimal, object]:
        """The tier breakdown, the rounded amount and the tiers' detail; `text` is str(quantity)."""
        key = (utility, kind, text)
        found = self._metered.get(key)
        if found is None:
            tiers = self._tiers.get((utility, kind))
            if tiers is None:
                tiers = self._tiers[(utility, kind)] = self.tariff.tiers(utility, kind)
            breakdown = price_tiers(quantity, tiers)
            detail = tuple(
                {
                    "from": str(p.lower),
                    "to": None if p.upper is None else str(p.upper),
                    "quantity": str(p.quantity),
                    "price": str(p.price),
                    "amount": str(p.amount),
                }
                for p in breakdown.parts
            )
            found = self._metered[key] = (breakdown, round_money(breakdown.amount, self.rounding), detail)
        return found

    def management(self, unit: Unit) -> tuple[Decimal, Decimal, Mapping[str, object]]:
        """The exact fee, the rounded fee and the detail."""
        area = str(unit.area_m2)
        handover = unit.handover_date
        # Only the handover month's proration depends on the handover date.
        prorated_from = None if handover is None or handover <= self.period.first_day else handover
        key = (unit.kind, area, prorated_from)
        found = self._management.get(key)
        if found is None:
            price = self.tariff.management[unit.kind]
            exact, days_billed, days_in_month = management_fee(unit.area_m2, price, self.period, handover)
            detail: dict[str, object] = {
                "tariff": self.label,
                "kind": str(unit.kind),
                "area": area,
                "price": str(price),
                "days_billed": days_billed,
                "days_in_month": days_in_month,
                "exact": str(exact),
            }
            if prorated_from is not None:
                detail["handover_date"] = prorated_from.isoformat()
            found = self._management[key] = (exact, round_money(exact, self.rounding), detail)
        return found

    def meter_detail(self, mp: MeterPeriod, c: Consumption) -> dict[str, object]:
        meter = mp.meter
        change = mp.change
        return {
            "meter_id": meter.meter_id,
            "previous": str(mp.previous),
            "previous_date": self.iso(mp.previous_date),
            "current": str(mp.current),
            "current_date": self.iso(mp.current_date),
            "multiplier": str(meter.multiplier),
            "digits": meter.digits,
            "rollover": c.rollover,
            "change": None
            if change is None
            else {
                "date": change.change_date.isoformat(),
                "old_final": str(change.old_final),
                "new_initial": str(change.new_initial),
            },
            "quantity": str(c.quantity),
        }

    def iso(self, day: date | None) -> str | None:
        text = self._iso.get(day)
        if text is None and day is not None:
            text = self._iso[day] = day.isoformat()
        return text


def _group_detail(r: SharedResult) -> dict[str, object]:
    return {
        "master_meter_id": r.master_id,
        "master_consumption": str(r.master_consumption),
        "units_consumption": str(r.units_consumption),
        "shared_quantity": str(r.quantity),
        "price": str(r.price),
        "total_amount": str(r.total),
        "basis": str(r.basis),
        "configured_basis": str(r.configured_basis),
        "weight_sum": str(r.weight_sum),
    }
