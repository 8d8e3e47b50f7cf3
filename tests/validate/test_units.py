"""validate_units: every rule of the units file, every bad row reported in one pass."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from billing.domain.records import Unit, UnitKind
from billing.ingest import UNITS
from billing.validate import validate_units

from .helpers import D, found, params, table

HEADER = ",".join(spec.name for spec in UNITS) + "\n"


def test_the_four_bad_lines_of_the_acceptance_check_are_all_reported(tmp_path: Path) -> None:
    text = (
        "unit_id,building,floor,kind,area_m2,handover_date,owner_name\n"
        "ZZ-0101,ZZ,1,residence,-5,2025-01-01,甲\n"
        "ZZ-0102,ZZ,1,castle,80,2025-01-01,乙\n"
        ",ZZ,1,residence,80,2025-01-01,丙\n"
        "ZZ-0104,ZZ,1,residence,80,2025-02-30,丁\n"
    )
    v = validate_units(table(tmp_path, text, UNITS))
    assert found(v.problems) == [
        (2, "OUT_OF_RANGE"),
        (3, "BAD_CHOICE"),
        (4, "MISSING_VALUE"),
        (5, "NOT_A_DATE"),
    ]
    assert not v.ok
    assert v.records == ()
    assert params(v.problems[0]) == {"column": "area_m2", "value": "-5", "expected": "> 0"}
    assert params(v.problems[1])["value"] == "castle"
    assert params(v.problems[3]) == {"column": "handover_date", "value": "2025-02-30"}
    assert (
        v.problems[0].render("en") == "in.csv:2: OUT_OF_RANGE: 'area_m2' is out of range: -5 (expected > 0)"
    )


def test_a_good_file_gives_its_units(tmp_path: Path) -> None:
    text = HEADER + (
        "A1-0301,A1,3,residence,95.50,2025-03-01,王五,13800000000,工商银行,6222 0212 3456 7890,王五,yes\n"
        'S-01,S,,商铺,"1,234.50",,,,,,,\n'
        "A1-0302,A1,3.0,住宅,80,2025-03-01,赵六,,,6222021234567890,赵六,否\n"
    )
    v = validate_units(table(tmp_path, text, UNITS))
    assert v.problems == ()
    assert v.ok
    assert v.lines == (2, 3, 4)
    assert v.records[0] == Unit(
        unit_id="A1-0301",
        building="A1",
        floor=3,
        kind=UnitKind.RESIDENCE,
        area_m2=D("95.5"),
        handover_date=date(2025, 3, 1),
        owner_name="王五",
        phone="13800000000",
        bank_name="工商银行",
        bank_account="6222021234567890",  # the spaces grouping the digits are dropped
        account_name="王五",
        debit=True,
    )
    shop = v.records[1]
    assert (shop.kind, shop.area_m2, shop.floor, shop.handover_date, shop.debit) == (
        UnitKind.SHOP,
        D("1234.5"),
        None,
        None,
        False,
    )
    assert (v.records[2].floor, v.records[2].debit) == (3, False)


def test_chinese_headers_name_the_column_in_messages(tmp_path: Path) -> None:
    text = "房号,楼栋,类型,建筑面积\nA-1,A,住宅,abc\n"
    v = validate_units(table(tmp_path, text, UNITS))
    assert [p.render() for p in v.problems] == ["in.csv:2: NOT_A_NUMBER: “建筑面积”不是数字：abc"]


def test_every_rule(tmp_path: Path) -> None:
    text = HEADER + (
        "A-1,,x,residence,0,2025-01-01,,,,,,\n"  # 2: building missing, floor, area 0, owner missing
        "A-2,A,1,residence,80,,,,,123,,\n"  # 3: account too short and no account name
        "A-3,A,1,residence,80,,,,,6222abc12345,户名,maybe\n"  # 4: account not digits, debit not a choice
        "A-4,A,1,residence,80,,,,,,,yes\n"  # 5: debit without account
        "A-1,A,1,residence,80.12345,2025-13-01,某,,,,,\n"  # 6: duplicate of 2, area too precise, bad date
        "A-6,A,1234,residence,80,,,,,1234567890123456789012345678901,某,\n"  # 7: floor range, account > 30
    )
    v = validate_units(table(tmp_path, text, UNITS))
    assert found(v.problems) == [
        (2, "MISSING_VALUE"),
        (2, "NOT_AN_INTEGER"),
        (2, "OUT_OF_RANGE"),
        (2, "OWNER_MISSING"),
        (3, "BAD_ACCOUNT"),
        (3, "ACCOUNT_NAME_MISSING"),
        (4, "BAD_ACCOUNT"),
        (4, "BAD_CHOICE"),
        (5, "DEBIT_WITHOUT_ACCOUNT"),
        (6, "DUPLICATE_KEY"),
        (6, "TOO_MANY_DIGITS"),
        (6, "NOT_A_DATE"),
        (7, "OUT_OF_RANGE"),
        (7, "BAD_ACCOUNT"),
    ]
    assert params(v.problems[9]) == {"key": "A-1", "first": "2"}
    assert v.records == ()


def test_rows_without_errors_still_come_back_when_others_fail(tmp_path: Path) -> None:
    text = HEADER + "A-1,A,1,residence,80,,,,,,,\nA-2,A,1,castle,80,,,,,,,\nA-3,A,1,shop,80,,,,,,,\n"
    v = validate_units(table(tmp_path, text, UNITS))
    assert not v.ok
    assert [u.unit_id for u in v.records] == ["A-1", "A-3"]
    assert v.lines == (2, 4)


def test_text_too_long_for_the_database(tmp_path: Path) -> None:
    text = HEADER + f"{'X' * 41},A,1,residence,80,,,,,,,\n"
    v = validate_units(table(tmp_path, text, UNITS))
    assert found(v.problems) == [(2, "TOO_LONG")]
    assert v.problems[0].render("en").endswith("(at most 40 characters)")


def test_a_missing_column_is_the_only_problem(tmp_path: Path) -> None:
    v = validate_units(table(tmp_path, "unit_id,building,kind\nA-1,A,shop\n", UNITS))
    assert found(v.problems) == [(1, "MISSING_COLUMN")]
    assert v.records == ()
