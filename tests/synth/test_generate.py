"""generate_estate: the same seed gives the same bytes; the estate looks and adds up like a real one."""

from __future__ import annotations

import random
import re
import tomllib
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing.domain.period import Period
from billing.synth import Specials, generate_estate, main_synth, plan_estate, write_estate

from ._estate import CHANGES, DEPOSITS, METERS, READINGS, UNITS, Estate, Usage, consumption, load

PERIODS = ("2026-10", "2026-11")
N = 6000


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def estate_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("estate")
    generate_estate(N, 42, root)
    return root


@pytest.fixture(scope="module")
def estate(estate_dir: Path) -> Estate:
    return load(estate_dir, PERIODS)


@pytest.fixture(scope="module")
def usage(estate: Estate) -> Usage:
    return consumption(estate, PERIODS)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate_estate(500, 7, tmp_path / "a")
    generate_estate(500, 7, tmp_path / "b")
    generate_estate(500, 8, tmp_path / "c")
    a, b, c = (files_of(tmp_path / x) for x in "abc")
    assert a == b
    assert a["units.csv"] != c["units.csv"]


def test_files_and_headers(estate_dir: Path, estate: Estate) -> None:
    assert sorted(files_of(estate_dir)) == [
        "config/settings.toml",
        "config/tariffs.toml",
        "deposits-2026-11-20.csv",
        "meter-changes.csv",
        "meters.csv",
        "readings-2026-10.csv",
        "readings-2026-11.csv",
        "units.csv",
    ]
    assert estate.headers == {
        "units.csv": list(UNITS),
        "meters.csv": list(METERS),
        "meter-changes.csv": list(CHANGES),
        "readings-2026-10.csv": list(READINGS),
        "readings-2026-11.csv": list(READINGS),
        "deposits-2026-11-20.csv": list(DEPOSITS),
    }
    tariffs = tomllib.loads((estate_dir / "config/tariffs.toml").read_text(encoding="utf-8"))
    assert tariffs["version"][0]["water"]["shop"]["price"] == "8.00"
    settings = tomllib.loads((estate_dir / "config/settings.toml").read_text(encoding="utf-8"))
    assert settings["due_day"] == 15


def test_exactly_n_units_in_buildings_of_100_to_400(estate: Estate) -> None:
    assert len(estate.units) == N
    assert len({u["unit_id"] for u in estate.units}) == N
    homes = Counter(u["building"] for u in estate.units if u["kind"] == "residence")
    assert all(100 <= size <= 400 for size in homes.values()), homes
    floors: dict[str, set[int]] = defaultdict(set)
    for u in estate.units:
        if u["kind"] == "residence":
            floors[u["building"]].add(int(u["floor"]))
            building, room = u["unit_id"].split("-")
            assert building == u["building"]
            assert room[:-2] == u["floor"], u  # 3-1502: floor 15, room 02
    for building, fs in floors.items():
        assert fs == set(range(1, max(fs) + 1)), building
        assert 6 <= max(fs) <= 33, building


def test_five_percent_shops_in_rows(estate: Estate) -> None:
    shops = [u for u in estate.units if u["kind"] == "shop"]
    assert len(shops) == N // 20  # 5%
    rows = Counter(u["building"] for u in shops)
    assert all(re.fullmatch(r"S\d+", b) for b in rows)
    assert all(size <= 20 for size in rows.values())
    assert sum(size >= 10 for size in rows.values()) >= len(rows) - 1  # only the last row may be short
    assert all(u["floor"] == "1" and re.fullmatch(r"S\d+-\d\d", u["unit_id"]) for u in shops)


def test_meters_per_unit_and_master_per_building(estate: Estate) -> None:
    meters = {m["meter_id"]: m for m in estate.meters}
    assert len(meters) == len(estate.meters)
    building_of = {u["unit_id"]: u["building"] for u in estate.units}
    per_unit = Counter((m["unit_id"], m["utility"]) for m in estate.meters if m["scope"] == "unit")
    assert set(per_unit) == {(u, k) for u in building_of for k in ("water", "electricity")}
    assert set(per_unit.values()) == {1}
    masters = {
        (m["meter_id"][1:-2], m["utility"]): m["meter_id"] for m in estate.meters if m["scope"] == "master"
    }
    assert len(masters) == 2 * len(set(building_of.values()))
    for m in estate.meters:
        if m["scope"] == "master":
            assert m["parent_id"] == ""
        elif m["scope"] == "unit":
            assert m["parent_id"] == masters[(building_of[m["unit_id"]], m["utility"])]
        else:
            assert meters[m["parent_id"]]["scope"] == "master"
            assert meters[m["parent_id"]]["utility"] == m["utility"]
    commons = Counter(m["parent_id"] for m in estate.meters if m["scope"] == "common")
    assert all(commons[f"E{b}-M"] >= 1 for b in set(building_of.values()))
    assert any(m["meter_id"].endswith("-LIFT1") for m in estate.meters)
    assert any(m["meter_id"].endswith("-CLEAN") for m in estate.meters)
    multipliers = Counter(m["multiplier"] for m in estate.meters)
    assert set(multipliers) == {"1", "20", "50"}
    for m in estate.meters:
        if m["multiplier"] != "1":
            assert m["utility"] == "electricity" and m["unit_id"].startswith("S"), m


def test_every_meter_read_every_period(estate: Estate) -> None:
    ids = {m["meter_id"] for m in estate.meters}
    for p in PERIODS:
        assert set(estate.readings[p]) == ids
        assert all(Period.parse(p).contains(date.fromisoformat(d)) for d in estate.read_dates[p].values())


def test_readings_never_decrease_but_for_planned_rollovers(estate: Estate, usage: Usage) -> None:
    assert usage.rollovers, "no rollover in the estate"
    assert {p for _, p in usage.rollovers} == set(PERIODS)
    digits = {m["meter_id"]: m["digits"] for m in estate.meters}
    assert {digits[m] for m, _ in usage.rollovers} == {"4"}
    assert sorted(m for m in digits if digits[m] == "4") == sorted(m for m, _ in usage.rollovers)
    # previous "near 9990"
    for m, p in usage.rollovers:
        before = Period.parse(p).prev()
        previous = estate.readings[str(before)][m] if str(before) in PERIODS else None
        if previous is None:
            previous = Decimal(next(x for x in estate.meters if x["meter_id"] == m)["initial_reading"])
        assert previous >= 9950


def test_meter_changes_in_first_period_continue_from_new_initial(estate: Estate, usage: Usage) -> None:
    assert len(estate.changes) == N * 95 // 100 // 1000
    for c in estate.changes:
        assert c["date"][:7] == PERIODS[0]
        assert estate.readings[PERIODS[0]][c["meter_id"]] >= Decimal(c["new_initial"])
        assert estate.readings[PERIODS[1]][c["meter_id"]] >= estate.readings[PERIODS[0]][c["meter_id"]]


def test_masters_cover_their_meters_with_a_small_loss(estate: Estate, usage: Usage) -> None:
    under: dict[str, list[str]] = defaultdict(list)
    for m in estate.meters:
        if m["parent_id"]:
            under[m["parent_id"]].append(m["meter_id"])
    scope = {m["meter_id"]: m["scope"] for m in estate.meters}
    for master, below in under.items():
        for p in PERIODS:
            total = usage.consumption[master][p]
            units = sum(usage.consumption[m][p] for m in below if scope[m] == "unit")
            everything = sum(usage.consumption[m][p] for m in below)
            assert total > units, (master, p)  # the shared quantity is positive
            loss = total - everything
            assert everything / 100 <= loss <= everything * 4 / 100 + 1, (master, p, loss)


def test_plausible_monthly_consumption(estate: Estate, usage: Usage) -> None:
    unit_of = {m["meter_id"]: m for m in estate.meters if m["scope"] == "unit"}
    handed = {u["unit_id"]: u["handover_date"] for u in estate.units}
    changed = {c["meter_id"] for c in estate.changes}
    homes = {u["unit_id"] for u in estate.units if u["kind"] == "residence"}
    for mid, m in unit_of.items():
        if m["unit_id"] not in homes or mid in changed or handed[m["unit_id"]][:7] in ("", PERIODS[0]):
            continue
        low, high = (5, 25) if m["utility"] == "water" else (80, 450)
        for p in PERIODS:
            assert low <= usage.consumption[mid][p] <= high, (mid, p)


def test_handovers_owners_and_banks(estate: Estate) -> None:
    first = Period.parse(PERIODS[0])
    vacant = [u for u in estate.units if not u["handover_date"]]
    assert len(vacant) == N * 95 // 100 // 100  # 1% of the homes
    assert all(u["owner_name"] == u["bank_account"] == u["debit"] == "" for u in vacant)
    handed = [u for u in estate.units if u["handover_date"]]
    mid = [u for u in handed if first.contains(date.fromisoformat(u["handover_date"]))]
    assert len(mid) == 1
    assert all(date.fromisoformat(u["handover_date"]) < first.first_day for u in handed if u not in mid)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,8}", u["owner_name"]) for u in handed)
    assert all(re.fullmatch(r"1\d{10}", u["phone"]) for u in handed)
    banked = [u for u in handed if u["bank_account"]]
    assert 0.65 < len(banked) / len(handed) < 0.75
    assert all(re.fullmatch(r"\d{16,19}", u["bank_account"]) for u in banked)
    assert {len(u["bank_account"]) for u in banked} == {16, 17, 18, 19}
    assert all(u["account_name"] == u["owner_name"] and u["bank_name"] for u in banked)
    debit = [u for u in banked if u["debit"] == "yes"]
    assert 0.55 < len(debit) / len(banked) < 0.65
    assert all(u["debit"] == "no" for u in handed if not u["bank_account"])
    assert all(re.fullmatch(r"\d+\.\d\d", u["area_m2"]) and Decimal(u["area_m2"]) > 0 for u in estate.units)


def test_deposits_are_a_day_at_the_counter(estate: Estate) -> None:
    units = {u["unit_id"]: u for u in estate.units}
    assert estate.deposits
    assert len({d["slip_no"] for d in estate.deposits}) == len(estate.deposits)
    for d in estate.deposits:
        unit = units[d["unit_id"]]
        assert d["date"] == "2026-11-20"
        assert unit["handover_date"] and unit["debit"] == "no"
        assert d["payer"] == unit["owner_name"]
        assert re.fullmatch(r"\d+\.\d\d", d["amount"]) and Decimal(d["amount"]) > 0
        assert d["method"] in {"cash", "transfer", "pos"}


@pytest.mark.parametrize("units", [1, 7, 60, 130, 401, 1234])
def test_any_size_adds_up(tmp_path: Path, units: int) -> None:
    periods = ("2026-12", "2027-01", "2027-02")
    files = generate_estate(units, 3, tmp_path, periods=periods)
    assert files.unit_count == units
    estate = load(tmp_path, periods)
    assert len(estate.units) == units
    consumption(estate, periods)  # raises on any unplanned decrease


def test_main_synth_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_synth(300, 1, tmp_path) == 0
    out = capsys.readouterr().out
    assert "300 units" in out
    assert str(tmp_path / "units.csv") in out


def test_a_special_naming_no_unit_is_refused(tmp_path: Path) -> None:
    rng = random.Random(1)
    plans = plan_estate(150, rng, first=Period.parse("2026-10"))
    with pytest.raises(ValueError, match="meter_changes"):
        write_estate(
            plans,
            rng,
            tmp_path,
            periods=PERIODS,
            specials=Specials(meter_changes={"W9-101": date(2026, 10, 5)}),
        )


def test_one_period_for_the_benchmark(tmp_path: Path) -> None:
    files = generate_estate(2500, 5, tmp_path, periods=("2026-10",))
    assert [p for p, _ in files.readings] == ["2026-10"]
    usage = consumption(load(tmp_path, ("2026-10",)), ("2026-10",))
    assert usage.rollovers
