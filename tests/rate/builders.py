"""Small builders for rating tests: units, meters, readings, and the tariff of CONTRACT §5."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.domain.records import Meter, MeterChange, MeterPeriod, Scope, Unit, UnitKind, Utility
from billing.domain.tariff import Basis, SharedPrice, TariffVersion, Tier

D = Decimal
W = Utility.WATER
E = Utility.ELECTRICITY


def d(text: str) -> date:
    return date.fromisoformat(text)


def unit(
    unit_id: str,
    area: str,
    handover: str | None = "2020-01-01",
    kind: UnitKind = UnitKind.RESIDENCE,
    building: str = "1",
) -> Unit:
    return Unit(
        unit_id=unit_id,
        building=building,
        floor=None,
        kind=kind,
        area_m2=D(area),
        handover_date=None if handover is None else d(handover),
        owner_name=None if handover is None else "业主",
    )


def meter_period(
    meter_id: str,
    utility: Utility,
    previous: str,
    current: str,
    *,
    scope: Scope = Scope.UNIT,
    unit_id: str | None = None,
    parent: str | None = None,
    multiplier: str = "1",
    digits: int | None = None,
    change: tuple[str, str, str] | None = None,  # (date, old_final, new_initial)
) -> MeterPeriod:
    meter = Meter(
        meter_id=meter_id,
        utility=utility,
        scope=scope,
        unit_id=unit_id,
        parent_id=parent,
        multiplier=D(multiplier),
        digits=digits,
    )
    return MeterPeriod(
        meter=meter,
        previous=D(previous),
        previous_date=d("2026-09-30"),
        current=D(current),
        current_date=d("2026-10-31"),
        change=None
        if change is None
        else MeterChange(
            meter_id=meter_id, change_date=d(change[0]), old_final=D(change[1]), new_initial=D(change[2])
        ),
    )


def contract_tariff(
    effective_from: str = "2026-01-01",
    water_basis: Basis = Basis.AREA,
    electricity_basis: Basis = Basis.AREA,
) -> TariffVersion:
    """The example of CONTRACT §5."""
    return TariffVersion(
        effective_from=d(effective_from),
        metered={
            (W, UnitKind.RESIDENCE): (
                Tier(upto=D("15"), price=D("5.00")),
                Tier(upto=D("22"), price=D("7.00")),
                Tier(upto=None, price=D("9.00")),
            ),
            (W, UnitKind.SHOP): (Tier(upto=None, price=D("8.00")),),
            (E, UnitKind.RESIDENCE): (
                Tier(upto=D("240"), price=D("0.4883")),
                Tier(upto=D("400"), price=D("0.5383")),
                Tier(upto=None, price=D("0.7883")),
            ),
            (E, UnitKind.SHOP): (Tier(upto=None, price=D("0.9000")),),
        },
        management={UnitKind.RESIDENCE: D("2.20"), UnitKind.SHOP: D("6.50")},
        shared={
            W: SharedPrice(price=D("5.00"), basis=water_basis),
            E: SharedPrice(price=D("0.6000"), basis=electricity_basis),
        },
    )


def acceptance_estate() -> tuple[list[Unit], list[MeterPeriod]]:
    """Building 1 of the acceptance estate in 2026-10: one electricity master with a common meter,
    five unit meters (one of a unit not handed over, one of a shop ×20), and a replaced water meter."""
    units = [
        unit("1-101", "95"),
        unit("1-102", "110.40"),
        unit("1-201", "95", handover="2026-10-10"),
        unit("1-202", "110.40", handover=None),
        unit("SH-01", "60", kind=UnitKind.SHOP),
    ]
    meter_periods = [
        meter_period("E1-M", E, "10000", "11340", scope=Scope.MASTER),
        meter_period("E1-C1", E, "500", "650", scope=Scope.COMMON, parent="E1-M"),
        meter_period("E-1-101", E, "2500", "2710", unit_id="1-101", parent="E1-M"),
        meter_period("E-1-102", E, "3100", "3452", unit_id="1-102", parent="E1-M"),
        meter_period("E-1-201", E, "0", "88", unit_id="1-201", parent="E1-M"),
        meter_period("E-1-202", E, "0", "11", unit_id="1-202", parent="E1-M"),
        meter_period("E-SH-01", E, "400", "420.5", unit_id="SH-01", parent="E1-M", multiplier="20"),
        meter_period("W1-102", W, "410", "7", unit_id="1-102", change=("2026-10-20", "418", "0")),
    ]
    return units, meter_periods
