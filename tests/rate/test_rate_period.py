"""rate_period: the lines of every billable unit, their working, problems, and partitions."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from decimal import Decimal
from typing import cast

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.bill import ITEM_ORDER, BillLine, Item
from billing.domain.money import RoundingMode
from billing.domain.period import Period
from billing.domain.records import MeterPeriod, Scope, Unit, UnitKind
from billing.domain.tariff import Basis, Tariffs, Tier
from billing.rate import RatingResult, rate_period, rate_period_rows

from .builders import E, W, acceptance_estate, contract_tariff, meter_period, unit

D = Decimal
OCT = Period(2026, 10)
HALF_UP = RoundingMode.HALF_UP


def rate(units, meter_periods, tariff=None, period=OCT, rounding=HALF_UP) -> RatingResult:
    return rate_period(
        period=period,
        units=units,
        meter_periods=meter_periods,
        tariff=tariff or contract_tariff(),
        rounding=rounding,
    )


def table(result: RatingResult) -> list[tuple[str, str, Decimal | None, Decimal]]:
    return [(ln.unit_id, str(ln.item), ln.quantity, ln.amount) for ln in result.lines]


def line(result: RatingResult, unit_id: str, item: Item) -> BillLine:
    (found,) = [ln for ln in result.lines if ln.unit_id == unit_id and ln.item is item]
    return found


def test_acceptance_reference() -> None:
    result = rate(*acceptance_estate())
    assert result.problems == ()
    assert table(result) == [
        # 210 kWh × 0.4883 = 102.543 → 102.54
        ("1-101", "electricity", D(210), D("102.54")),
        # Q = 1340 − (210 + 352 + 88 + 11 + 410.0) = 269; 269 × 0.6 = 161.40 by area (Σ 360.40)
        ("1-101", "shared_electricity", D("70.907"), D("42.55")),
        # 95 × 2.20 = 209.00
        ("1-101", "management", D(95), D("209.00")),
        # changed meter: (418 − 410) + (7 − 0) = 15 m³ × 5.00 = 75.00
        ("1-102", "water", D(15), D("75.00")),
        # 240 × 0.4883 + 112 × 0.5383 = 117.192 + 60.2896 = 177.4816 → 177.48
        ("1-102", "electricity", D(352), D("177.48")),
        ("1-102", "shared_electricity", D("82.402"), D("49.44")),
        # 110.40 × 2.20 = 242.88
        ("1-102", "management", D("110.40"), D("242.88")),
        # handover month: full tiers, 88 × 0.4883 = 42.9704 → 42.97
        ("1-201", "electricity", D(88), D("42.97")),
        # loses the tie for the last fen to 1-101
        ("1-201", "shared_electricity", D("70.907"), D("42.54")),
        # 95 × 2.20 × 22 / 31 = 148.3225… → 148.32
        ("1-201", "management", D(95), D("148.32")),
        # shop flat: (420.5 − 400) × 20 = 410.0 kWh × 0.9000 = 369.00
        ("SH-01", "electricity", D("410.0"), D("369.00")),
        ("SH-01", "shared_electricity", D("44.784"), D("26.87")),
        # 60 × 6.50 = 390.00
        ("SH-01", "management", D(60), D("390.00")),
    ]
    # 1-202 is not handed over: no line, but its 11 kWh were subtracted from the master.
    shared = [ln for ln in result.lines if ln.item is Item.SHARED_ELECTRICITY]
    assert sum(ln.amount for ln in shared) == D("161.40")


def test_exact_amounts_are_kept() -> None:
    result = rate(*acceptance_estate())
    assert line(result, "1-102", Item.ELECTRICITY).exact == D("177.4816")
    assert line(result, "1-201", Item.MANAGEMENT).exact == D(95) * D("2.20") * 22 / 31


def test_details_hold_the_working_and_are_json() -> None:
    result = rate(*acceptance_estate())
    for ln in result.lines:
        json.dumps(ln.detail)  # JSON-able as it stands: Decimals are strings
    water = line(result, "1-102", Item.WATER).detail
    assert water["tariff"] == "2026-01-01"
    assert water["meters"] == [
        {
            "meter_id": "W1-102",
            "previous": "410",
            "previous_date": "2026-09-30",
            "current": "7",
            "current_date": "2026-10-31",
            "multiplier": "1",
            "digits": None,
            "rollover": False,
            "change": {"date": "2026-10-20", "old_final": "418", "new_initial": "0"},
            "quantity": "15",
        }
    ]
    assert water["tiers"] == [
        {"from": "0", "to": "15", "quantity": "15", "price": "5.00", "amount": "75.00"},
    ]
    electricity = line(result, "1-102", Item.ELECTRICITY).detail
    assert [t["amount"] for t in electricity["tiers"]] == ["117.1920", "60.2896"]  # type: ignore[attr-defined]
    assert electricity["exact"] == "177.4816"

    (s,) = cast(list[dict[str, str]], line(result, "1-201", Item.SHARED_ELECTRICITY).detail["shares"])
    assert s == {
        "master_meter_id": "E1-M",
        "master_consumption": "1340",
        "units_consumption": "1071.0",
        "shared_quantity": "269.0",
        "price": "0.6000",
        "total_amount": "161.40",
        "basis": "area",
        "configured_basis": "area",
        "weight_sum": "360.40",
        "weight": "95",
        "quantity": "70.907",
        "amount": "42.54",
        "exact": s["exact"],
    }
    assert s["exact"].startswith("42.5443")

    assert line(result, "1-201", Item.MANAGEMENT).detail == {
        "tariff": "2026-01-01",
        "kind": "residence",
        "area": "95",
        "price": "2.20",
        "days_billed": 22,
        "days_in_month": 31,
        "exact": str(D(95) * D("2.20") * 22 / 31),
        "handover_date": "2026-10-10",
    }
    assert "handover_date" not in line(result, "1-101", Item.MANAGEMENT).detail


def canonical(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def test_stored_details_are_canonical_json_even_for_odd_ids() -> None:
    # The bill run stores rate_period_rows' text as it is: compact JSON with sorted keys, the
    # same text json.dumps would give, whatever a meter id holds (a quote, a backslash, CJK).
    units, mps = acceptance_estate()
    odd = 'W"1\\水表'
    mps = [*mps, meter_period(odd, W, "0", "12", unit_id="1-101")]
    rated = rate_period_rows(
        period=OCT, units=units, meter_periods=mps, tariff=contract_tariff(), rounding=HALF_UP
    )
    assert rated.rows
    for row in rated.rows:
        assert row[5] == canonical(row[5])
    (water,) = [r for r in rated.rows if r[0] == "1-101" and r[1] is Item.WATER]
    assert json.loads(water[5])["meters"][0]["meter_id"] == odd
    # 12 m³ × 5.00 = 60.00, in the first tier
    assert water[3] == D("60.00")


def test_a_units_meters_are_summed_before_the_tiers() -> None:
    # two water meters of 10 m³: 20 m³ = 15 × 5.00 + 5 × 7.00 = 110.00 (not 2 × 50.00)
    result = rate(
        [unit("A", "80")],
        [meter_period("WA1", W, "0", "10", unit_id="A"), meter_period("WA2", W, "5", "15", unit_id="A")],
    )
    water = line(result, "A", Item.WATER)
    assert (water.quantity, water.amount) == (D(20), D("110.00"))
    assert [m["meter_id"] for m in water.detail["meters"]] == ["WA1", "WA2"]  # type: ignore[attr-defined]


def test_zero_consumption_gives_no_metered_line() -> None:
    result = rate([unit("A", "80")], [meter_period("WA", W, "7", "7", unit_id="A")])
    assert table(result) == [("A", "management", D(80), D("176.00"))]  # 80 × 2.20


def test_a_line_rounding_to_zero_is_still_returned() -> None:
    # 0.001 m³ × 5.00 = 0.005: half_up 0.01, half_even 0.00 — the line stays, the export drops it
    mps = [meter_period("WA", W, "100", "100.001", unit_id="A")]
    assert line(rate([unit("A", "80")], mps), "A", Item.WATER).amount == D("0.01")
    zero = line(rate([unit("A", "80")], mps, rounding=RoundingMode.HALF_EVEN), "A", Item.WATER)
    assert (zero.quantity, zero.amount, zero.exact) == (D("0.001"), D("0.00"), D("0.00500"))


def test_rollover_is_billed_with_a_warning_for_its_unit() -> None:
    # 5 + 10000 − 9990 = 15 m³ → 75.00
    result = rate([unit("A", "80")], [meter_period("WA", W, "9990", "5", unit_id="A", digits=4)])
    assert line(result, "A", Item.WATER).amount == D("75.00")
    assert line(result, "A", Item.WATER).detail["meters"][0]["rollover"] is True  # type: ignore[index]
    (p,) = result.problems
    assert (p.code, p.unit, p.is_error) == ("ROLLOVER", "A", False)


def test_a_broken_reading_stops_only_the_units_that_depend_on_it() -> None:
    units, mps = acceptance_estate()
    units = [*units, unit("2-101", "80", building="2")]
    # 1-101's meter went down: 1-101 is not billed; Q of E1-M cannot be known, so no unit under
    # it is billed either; 2-101, elsewhere, is.
    mps = [replace(mp, current=D(2400)) if mp.meter.meter_id == "E-1-101" else mp for mp in mps]
    mps.append(meter_period("W-2-101", W, "0", "12", unit_id="2-101"))
    result = rate(units, mps)
    assert table(result) == [
        ("2-101", "water", D(12), D("60.00")),  # 12 × 5.00
        ("2-101", "management", D(80), D("176.00")),  # 80 × 2.20
    ]
    codes = [(p.code, p.unit) for p in result.problems]
    assert codes == [
        ("READING_DECREASED", "1-101"),
        ("SHARED_NOT_COMPUTED", "1-101"),
        ("SHARED_NOT_COMPUTED", "1-102"),
        ("SHARED_NOT_COMPUTED", "1-201"),
        ("SHARED_NOT_COMPUTED", "SH-01"),
    ]
    assert dict(result.problems[1].params) == {"master_id": "E1-M", "meter_id": "E-1-101"}
    for p in result.problems:
        p.message("en")  # every code has its message


def test_master_below_units_is_a_warning_and_the_rest_is_billed() -> None:
    units, mps = acceptance_estate()
    # master 10000 → 11000 = 1000 < 1071.0 below it
    mps = [replace(mp, current=D(11000)) if mp.meter.meter_id == "E1-M" else mp for mp in mps]
    result = rate(units, mps)
    (p,) = result.problems
    assert (p.code, p.unit, p.is_error) == ("MASTER_BELOW_UNITS", "E1-M", False)
    assert dict(p.params) == {"meter_id": "E1-M", "master": "1000", "units": "1071.0"}
    assert not [ln for ln in result.lines if ln.item is Item.SHARED_ELECTRICITY]
    assert len(result.lines) == 13 - 4


def test_missing_master_reading() -> None:
    units, mps = acceptance_estate()
    result = rate(units, [mp for mp in mps if mp.meter.meter_id != "E1-M"])
    assert [(p.code, p.unit) for p in result.problems] == [
        ("MISSING_READING", "E1-M"),
        ("SHARED_NOT_COMPUTED", "1-101"),
        ("SHARED_NOT_COMPUTED", "1-102"),
        ("SHARED_NOT_COMPUTED", "1-201"),
        ("SHARED_NOT_COMPUTED", "SH-01"),
    ]


def test_a_tariff_gap_fails_that_unit_only() -> None:
    tariff = contract_tariff()
    metered = {k: v for k, v in tariff.metered.items() if k != (W, UnitKind.SHOP)}
    result = rate(
        [unit("A", "80"), unit("S", "50", kind=UnitKind.SHOP)],
        [meter_period("WA", W, "0", "10", unit_id="A"), meter_period("WS", W, "0", "10", unit_id="S")],
        tariff=replace(tariff, metered=metered),
    )
    assert {ln.unit_id for ln in result.lines} == {"A"}
    (p,) = result.problems
    assert (p.code, p.unit) == ("UNIT_FAILED", "S")


def test_version_in_force_on_the_first_of_the_period() -> None:
    jan = contract_tariff("2026-01-01")
    water_6 = (
        Tier(upto=D(15), price=D("6.00")),
        Tier(upto=D(22), price=D("8.00")),
        Tier(upto=None, price=D(10)),
    )
    jul = replace(contract_tariff("2026-07-01"), metered={**jan.metered, (W, UnitKind.RESIDENCE): water_6})
    mid = replace(contract_tariff("2026-08-15"), metered={**jan.metered, (W, UnitKind.RESIDENCE): water_6})
    tariffs = Tariffs((jul, mid, jan))  # any order
    assert tariffs.in_force(Period(2025, 12)) is None
    assert tariffs.in_force(Period(2026, 6)) is jan
    assert tariffs.in_force(Period(2026, 7)) is jul
    assert tariffs.in_force(Period(2026, 8)) is jul  # the 08-15 version is not in force on 08-01
    assert tariffs.in_force(Period(2026, 9)) is mid

    def water(period: Period) -> tuple[Decimal, object]:
        tariff = tariffs.in_force(period)
        assert tariff is not None
        ln = line(
            rate([unit("A", "80")], [meter_period("WA", W, "0", "10", unit_id="A")], tariff, period),
            "A",
            Item.WATER,
        )
        return ln.amount, ln.detail["tariff"]

    assert water(Period(2026, 6)) == (D("50.00"), "2026-01-01")  # 10 × 5.00
    assert water(Period(2026, 7)) == (D("60.00"), "2026-07-01")  # 10 × 6.00
    assert water(Period(2026, 8)) == (D("60.00"), "2026-07-01")


def test_lines_come_in_unit_order_then_item_order() -> None:
    units, mps = acceptance_estate()
    result = rate(list(reversed(units)), mps)
    assert [ln.unit_id for ln in result.lines][:3] == ["SH-01"] * 3
    for u in {ln.unit_id for ln in result.lines}:
        items = [ln.item for ln in result.lines if ln.unit_id == u]
        assert items == sorted(items, key=ITEM_ORDER.index)


# --- properties ------------------------------------------------------------------------------

readings = st.integers(min_value=0, max_value=600).map(D)


@st.composite
def estates(draw: st.DrawFn) -> tuple[list[Unit], list[MeterPeriod], Basis]:
    """A few buildings, each with water and electricity masters, common meters and unit meters."""
    units: list[Unit] = []
    mps: list[MeterPeriod] = []
    for b in range(draw(st.integers(min_value=1, max_value=3))):
        masters = {u: f"{u.value[0].upper()}{b}-M" for u in (W, E)}
        below = {W: D(0), E: D(0)}
        for i in range(draw(st.integers(min_value=1, max_value=6))):
            uid = f"{b}-{i:02d}"
            handover = draw(
                st.sampled_from([None, "2020-05-01", "2026-10-01", "2026-10-17", "2026-10-31", "2026-11-02"])
            )
            kind = draw(st.sampled_from(list(UnitKind)))
            area = draw(st.decimals(min_value="20", max_value="200", places=2))
            units.append(unit(uid, str(area), handover=handover, kind=kind, building=str(b)))
            for u in (W, E):
                used = draw(readings)
                below[u] += used
                mps.append(
                    meter_period(
                        f"{u.value[0]}-{uid}", u, "1000", str(1000 + used), unit_id=uid, parent=masters[u]
                    )
                )
        for u in (W, E):
            master_use = below[u] + draw(st.integers(min_value=-5, max_value=300))
            mps.append(meter_period(masters[u], u, "0", str(master_use), scope=Scope.MASTER))
            mps.append(meter_period(f"{masters[u]}-C", u, "0", "40", scope=Scope.COMMON, parent=masters[u]))
    return units, mps, draw(st.sampled_from(list(Basis)))


def _rate_estate(units: list[Unit], mps: list[MeterPeriod], basis: Basis) -> RatingResult:
    return rate(units, mps, tariff=contract_tariff(water_basis=basis, electricity_basis=basis))


@settings(max_examples=60, deadline=None)
@given(estates())
def test_rating_the_same_input_twice_gives_identical_lines(estate) -> None:
    first = _rate_estate(*estate)
    second = _rate_estate(*estate)
    assert first == second
    # shares add up to their master's rounded total
    for utility, item in ((W, Item.SHARED_WATER), (E, Item.SHARED_ELECTRICITY)):
        by_master: dict[str, Decimal] = {}
        totals: dict[str, str] = {}
        for ln in first.lines:
            if ln.item is item:
                for s in cast(list[dict[str, str]], ln.detail["shares"]):
                    master = s["master_meter_id"]
                    by_master[master] = by_master.get(master, D(0)) + D(s["amount"])
                    totals[master] = s["total_amount"]
        assert {m: D(t) for m, t in totals.items()} == by_master, utility


@settings(max_examples=60, deadline=None)
@given(estates(), st.randoms(use_true_random=False))
def test_building_partitions_and_input_order_give_the_same_lines(estate, rnd: random.Random) -> None:
    units, mps, basis = estate
    whole = _rate_estate(units, mps, basis)
    pieces: list[BillLine] = []
    for b in sorted({u.building for u in units}):
        part_units = [u for u in units if u.building == b]
        part_meters = [
            mp
            for mp in mps
            if mp.meter.meter_id.split("-")[0][1:] == b or (mp.meter.unit_id or "").split("-")[0] == b
        ]
        rnd.shuffle(part_meters)
        pieces.extend(_rate_estate(part_units, part_meters, basis).lines)
    assert sorted(pieces, key=_key) == sorted(whole.lines, key=_key)


def _key(ln: BillLine) -> tuple[str, int]:
    return ln.unit_id, ITEM_ORDER.index(ln.item)
