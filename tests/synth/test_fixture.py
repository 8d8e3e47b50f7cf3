"""The committed fixture estate of `billing demo`: its files, their forms, and its specials."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing.synth.fixture import DATA_FILES, build_fixture

from ._estate import CHANGES, METERS, READINGS, UNITS, Estate, Usage, consumption, load

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "estate"
PERIODS = ("2026-10", "2026-11")
GBK = {"readings-2026-10.csv": "gbk", "deposits-2026-11-20.csv": "utf-8-sig"}


@pytest.fixture(scope="module")
def estate() -> Estate:
    return load(ROOT, PERIODS, GBK)


@pytest.fixture(scope="module")
def usage(estate: Estate) -> Usage:
    return consumption(estate, PERIODS)


def test_committed_files_are_what_the_builder_makes(tmp_path: Path) -> None:
    """Change the fixture only through `python -m billing.synth.fixture fixtures/estate`."""
    build_fixture(tmp_path)
    for name in DATA_FILES:
        assert (ROOT / name).read_bytes() == (tmp_path / name).read_bytes(), name
    assert (ROOT / "README.md").is_file()


def test_headers_as_in_the_contract(estate: Estate) -> None:
    assert estate.headers == {
        "units.csv": list(UNITS),
        "meters.csv": list(METERS),
        "meter-changes.csv": list(CHANGES),
        "readings-2026-10.csv": ["表号", "本期读数", "抄表日期"],
        "readings-2026-11.csv": list(READINGS),
        "deposits-2026-11-20.csv": ["日期", "单号", "房号", "交款人", "金额", "方式"],
    }
    assert (ROOT / "deposits-2026-11-20.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    raw = (ROOT / "readings-2026-10.csv").read_bytes()
    assert raw.startswith("表号".encode("gbk"))
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert {d["method"] for d in estate.deposits} == {"现金", "转账", "刷卡"}


def test_config_parses() -> None:
    tariffs = tomllib.loads((ROOT / "config/tariffs.toml").read_text(encoding="utf-8"))
    assert tariffs["version"][0]["effective_from"] == "2026-01-01"
    settings = tomllib.loads((ROOT / "config/settings.toml").read_text(encoding="utf-8"))
    assert settings["rounding"]["mode"] == "half_up"


def test_buildings_and_shops(estate: Estate) -> None:
    assert 150 <= len(estate.units) <= 250
    homes = [u for u in estate.units if u["kind"] == "residence"]
    floors = Counter(u["building"] for u in homes if u["floor"] and u["unit_id"].endswith("01"))
    assert len(floors) >= 3 and all(6 <= f <= 18 for f in floors.values())
    per_floor = Counter((u["building"], u["floor"]) for u in homes)
    assert set(per_floor.values()) <= {2, 3, 4}
    shops = Counter(u["building"] for u in estate.units if u["kind"] == "shop")
    assert list(shops) == ["S1"] and 10 <= shops["S1"] <= 20


def test_meters(estate: Estate) -> None:
    kinds = Counter((m["scope"], m["utility"]) for m in estate.meters)
    assert kinds[("unit", "water")] == kinds[("unit", "electricity")] == len(estate.units)
    assert kinds[("master", "water")] == kinds[("master", "electricity")] == 4
    ids = {m["meter_id"] for m in estate.meters}
    assert {"E1-LIFT1", "E1-LIFT2", "E1-PUMP", "E1-LIGHT", "W1-CLEAN", "E3-LIGHT"} <= ids
    assert not any(i.startswith("E3-LIFT") for i in ids)  # the walk-up has no lift
    multipliers = {m["meter_id"]: m["multiplier"] for m in estate.meters if m["multiplier"] != "1"}
    assert multipliers == {"ES1-03": "20", "ES1-08": "50"}


def test_exactly_one_mid_month_handover_and_some_not_handed_over(estate: Estate) -> None:
    october = [u["unit_id"] for u in estate.units if u["handover_date"].startswith("2026-10")]
    assert october == ["2-803"]
    unit = next(u for u in estate.units if u["unit_id"] == "2-803")
    assert unit["handover_date"] == "2026-10-16"
    vacant = sorted(u["unit_id"] for u in estate.units if not u["handover_date"])
    assert vacant == ["1-1804", "3-602", "S1-15"]
    handed = [u for u in estate.units if u["handover_date"]]
    assert all(date.fromisoformat(u["handover_date"]) <= date(2026, 10, 16) for u in handed)


def test_banks_and_debit(estate: Estate) -> None:
    banked = [u for u in estate.units if u["bank_account"]]
    assert all(re.fullmatch(r"\d{16,19}", u["bank_account"]) for u in banked)
    assert sum(u["debit"] == "yes" for u in banked) >= 30
    assert any(u["debit"] == "no" for u in banked)  # an account without an agreement


def test_w1_502_replaced_in_october(estate: Estate, usage: Usage) -> None:
    assert estate.changes == [
        {"meter_id": "W1-502", "date": "2026-10-18", "old_final": "943", "new_initial": "0"}
    ]
    # initial 932: 943 − 932 = 11 on the old meter, then 6 − 0 = 6 on the new one
    assert usage.consumption["W1-502"]["2026-10"] == Decimal(11 + 6)
    assert usage.consumption["W1-502"]["2026-11"] == Decimal(28 - 6)


def test_e3_402_rolls_over_in_november(estate: Estate, usage: Usage) -> None:
    assert usage.rollovers == [("E3-402", "2026-11")]
    meter = next(m for m in estate.meters if m["meter_id"] == "E3-402")
    assert meter["digits"] == "4"
    assert usage.consumption["E3-402"]["2026-10"] == 9999 - 9581
    # 9999 → 292 on a 4-digit register: 292 + 10⁴ − 9999 = 293 kWh
    assert estate.readings["2026-10"]["E3-402"] == 9999
    assert estate.readings["2026-11"]["E3-402"] == 292
    assert usage.consumption["E3-402"]["2026-11"] == 293


def test_masters_exceed_the_unit_meters_below(estate: Estate, usage: Usage) -> None:
    for utility in ("W", "E"):
        for b in ("1", "2", "3", "S1"):
            master = f"{utility}{b}-M"
            units = [
                m["meter_id"] for m in estate.meters if m["parent_id"] == master and m["scope"] == "unit"
            ]
            for p in PERIODS:
                assert usage.consumption[master][p] > sum(usage.consumption[m][p] for m in units)
