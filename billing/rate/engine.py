"""Rating one period: every billable unit's metered, shared and management lines."""

from __future__ import annotations

import json
from collections.abc import Iterable
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
from billing.rate.shared import SharedMember, apportion_shared
from billing.rate.tiers import TierBreakdown, price_tiers

_UTILITIES = (Utility.WATER, Utility.ELECTRICITY)
_METERED = {Utility.WATER: Item.WATER, Utility.ELECTRICITY: Item.ELECTRICITY}
_SHARED = {Utility.WATER: Item.SHARED_WATER, Utility.ELECTRICITY: Item.SHARED_ELECTRICITY}

# One unit's share of one master meter: quantity, amount, exact, its detail as JSON text.
_Share = tuple[Decimal, Decimal, Decimal, str]

# One proposed line as `rate_period_rows` gives it: unit_id, item, quantity, amount, exact, and
# the detail as JSON text (compact, keys sorted, non-ASCII as is): what the bill run stores.
LineRow = tuple[str, Item, Decimal | None, Decimal, Decimal, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class RatedRows:
    """`rate_period_rows`: the proposed lines as rows (see `LineRow`) and the problems found."""

    rows: list[LineRow]
    problems: tuple[Problem, ...]


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
    out). Each line is rounded once, its exact amount kept; its detail is the working as plain
    JSON values (strings for Decimals).

    Problems: meter problems (ROLLOVER warnings included) with the unit of a unit meter attached
    (the meter id as `unit` for a master meter, as MISSING_READING does), MASTER_BELOW_UNITS,
    SHARED_NOT_COMPUTED for units whose shared consumption depends on a broken reading,
    UNIT_FAILED for an unexpected failure; one unit's problem stops only that unit.
    """
    rated = rate_period_rows(
        period=period, units=units, meter_periods=meter_periods, tariff=tariff, rounding=rounding
    )
    lines = tuple(
        BillLine(unit_id=u, item=item, quantity=q, amount=a, exact=e, detail=json.loads(text))
        for u, item, q, a, e, text in rated.rows
    )
    return RatingResult(lines=lines, problems=rated.problems)


def rate_period_rows(
    *,
    period: Period,
    units: Iterable[Unit],
    meter_periods: Iterable[MeterPeriod],
    tariff: TariffVersion,
    rounding: RoundingMode,
) -> RatedRows:
    """`rate_period` for the bill run: the same lines as rows whose detail is already the JSON
    text that is stored, written from pieces worked out once per tier breakdown, master meter
    and management fee (building the dicts and encoding them took half the time of rating)."""
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
        self.tariff_json = _json(tariff.label)
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
        self._metered: dict[tuple[Utility, UnitKind, str], _Metered] = {}
        self._management: dict[tuple[UnitKind, str, date | None], tuple[Decimal, Decimal, str]] = {}
        self._iso: dict[date | None, str] = {None: "null"}

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
        # The keys in sorted order, the group's own between the unit's.
        basis = f'"basis":"{result.basis}","configured_basis":"{result.configured_basis}",'
        group = (
            f'"master_consumption":"{result.master_consumption}",'
            f'"master_meter_id":{_json(result.master_id)},"price":"{result.price}",'
        )
        totals = (
            f'"shared_quantity":"{result.quantity}","total_amount":"{result.total}",'
            f'"units_consumption":"{result.units_consumption}",'
        )
        weight_sum = f'"weight_sum":"{result.weight_sum}"}}'
        for s in result.shares:
            detail = (
                f'{{"amount":"{s.amount}",{basis}"exact":"{s.exact}",{group}'
                f'"quantity":"{s.quantity}",{totals}"weight":"{s.weight}",{weight_sum}'
            )
            self.shared.setdefault((s.unit_id, utility), []).append((s.quantity, s.amount, s.exact, detail))

    def _not_computed(self, member_ids: list[str], master_id: str, meter_id: str) -> None:
        for unit_id in member_ids:
            self.problems.append(
                Problem.error("SHARED_NOT_COMPUTED", unit=unit_id, master_id=master_id, meter_id=meter_id)
            )
            self.failed.add(unit_id)

    def bill(self) -> RatedRows:
        rows: list[LineRow] = []
        for unit_id, unit in self.billable.items():
            if unit_id in self.failed:
                continue
            try:
                rows.extend(self.unit_lines(unit))
            except Exception as exc:  # a bug or a tariff gap: report it with the unit, rate the others
                self.problems.append(
                    Problem.error("UNIT_FAILED", unit=unit_id, reason=f"{type(exc).__name__}: {exc}")
                )
        return RatedRows(rows=rows, problems=tuple(self.problems))

    def unit_lines(self, unit: Unit) -> list[LineRow]:
        unit_id = unit.unit_id
        kind = unit.kind
        lines: list[LineRow] = []
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
            metered = self.metered(utility, kind, quantity, str(quantity))
            meters = ",".join([self.meter_detail(mp, c) for mp, c in entries])
            lines.append(
                (
                    unit_id,
                    _METERED[utility],
                    quantity,
                    metered.amount,
                    metered.breakdown.amount,
                    f"{metered.head}{meters}{metered.tail}",
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
            texts = ",".join([s[3] for s in shares])
            detail = f'{{"shares":[{texts}],"tariff":{self.tariff_json}}}'
            lines.append((unit_id, _SHARED[utility], quantity, amount, exact, detail))
        exact, amount, text = self.management(unit)
        lines.append((unit_id, Item.MANAGEMENT, unit.area_m2, amount, exact, text))
        return lines

    def metered(self, utility: Utility, kind: UnitKind, quantity: Decimal, text: str) -> _Metered:
        """The tier breakdown, the rounded amount and the line's detail around its meters;
        `text` is str(quantity)."""
        key = (utility, kind, text)
        found = self._metered.get(key)
        if found is None:
            tiers = self._tiers.get((utility, kind))
            if tiers is None:
                tiers = self._tiers[(utility, kind)] = self.tariff.tiers(utility, kind)
            breakdown = price_tiers(quantity, tiers)
            parts = ",".join(
                f'{{"amount":"{p.amount}","from":"{p.lower}","price":"{p.price}",'
                f'"quantity":"{p.quantity}","to":{_quoted(p.upper)}}}'
                for p in breakdown.parts
            )
            found = self._metered[key] = _Metered(
                breakdown=breakdown,
                amount=round_money(breakdown.amount, self.rounding),
                head=f'{{"exact":"{breakdown.amount}","kind":"{kind}","meters":[',
                tail=f'],"quantity":"{text}","tariff":{self.tariff_json},"tiers":[{parts}]}}',
            )
        return found

    def management(self, unit: Unit) -> tuple[Decimal, Decimal, str]:
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
            since = "" if prorated_from is None else f'"handover_date":"{prorated_from.isoformat()}",'
            detail = (
                f'{{"area":"{area}","days_billed":{days_billed},"days_in_month":{days_in_month},'
                f'"exact":"{exact}",{since}"kind":"{unit.kind}","price":"{price}",'
                f'"tariff":{self.tariff_json}}}'
            )
            found = self._management[key] = (exact, round_money(exact, self.rounding), detail)
        return found

    def meter_detail(self, mp: MeterPeriod, c: Consumption) -> str:
        meter = mp.meter
        change = mp.change
        moved = (
            "null"
            if change is None
            else f'{{"date":"{change.change_date.isoformat()}","new_initial":"{change.new_initial}",'
            f'"old_final":"{change.old_final}"}}'
        )
        digits = "null" if meter.digits is None else meter.digits
        return (
            f'{{"change":{moved},"current":"{mp.current}","current_date":{self.iso(mp.current_date)},'
            f'"digits":{digits},"meter_id":{_json(meter.meter_id)},"multiplier":"{meter.multiplier}",'
            f'"previous":"{mp.previous}","previous_date":{self.iso(mp.previous_date)},'
            f'"quantity":"{c.quantity}","rollover":{"true" if c.rollover else "false"}}}'
        )

    def iso(self, day: date | None) -> str:
        """A date as a JSON value: its ISO text in quotes, or null."""
        text = self._iso.get(day)
        if text is None:
            text = self._iso[day] = f'"{day.isoformat()}"'  # type: ignore[union-attr]
        return text


@dataclass(frozen=True, slots=True)
class _Metered:
    """A metered line's working for one (utility, kind, quantity): the detail is head + the
    meters' details + tail."""

    breakdown: TierBreakdown
    amount: Decimal
    head: str
    tail: str


_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/ ")


def _quoted(value: Decimal | None) -> str:
    return "null" if value is None else f'"{value}"'


def _json(text: str) -> str:
    """A string as a JSON value (ids are nearly always plain: quoted as they are)."""
    if _PLAIN.issuperset(text):
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)
