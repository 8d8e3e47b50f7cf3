"""validate_meters: kinds, units, parents (master, same utility, no nesting), numbers."""

from __future__ import annotations

from pathlib import Path

from billing.domain.records import Meter, Scope, Utility
from billing.ingest import METERS
from billing.validate import MeterContext, validate_meters

from .helpers import D, found, meter, params, table

HEADER = "meter_id,utility,scope,unit_id,parent_id,multiplier,digits,initial_reading\n"
CONTEXT = MeterContext(
    units={"A1", "A2"},
    meters={
        "E-M": meter("E-M", Utility.ELECTRICITY, Scope.MASTER),
        "W-1": meter("W-1", unit_id="A1"),
    },
)


def test_a_good_file_gives_its_meters(tmp_path: Path) -> None:
    text = HEADER + (
        "W-M,水,总表,,,,,2000\n"
        "W-101,水,户表,A1,W-M,1,4,300.5\n"
        "E-101,电,户表,A2,E-M,40,,\n"  # parent stored in the database
        "W-C,water,公用,,W-M,,,\n"
    )
    v = validate_meters(table(tmp_path, text, METERS), CONTEXT)
    assert v.problems == ()
    assert v.records == (
        Meter(meter_id="W-M", utility=Utility.WATER, scope=Scope.MASTER, initial_reading=D(2000)),
        Meter(
            meter_id="W-101",
            utility=Utility.WATER,
            scope=Scope.UNIT,
            unit_id="A1",
            parent_id="W-M",
            multiplier=D(1),
            digits=4,
            initial_reading=D("300.5"),
        ),
        Meter(
            meter_id="E-101",
            utility=Utility.ELECTRICITY,
            scope=Scope.UNIT,
            unit_id="A2",
            parent_id="E-M",
            multiplier=D(40),
        ),
        Meter(meter_id="W-C", utility=Utility.WATER, scope=Scope.COMMON, parent_id="W-M"),
    )
    assert v.lines == (2, 3, 4, 5)


def test_every_rule_every_row(tmp_path: Path) -> None:
    text = HEADER + (
        "W-M,water,master,,,,,\n"  # 2 fine
        "W-2,gas,unit,A1,,,,\n"  # 3 utility
        "W-3,water,room,A1,,,,\n"  # 4 scope
        "W-4,water,unit,,,,,\n"  # 5 unit meter without unit
        "W-5,water,unit,Z9,,,,\n"  # 6 unknown unit
        "W-6,water,unit,A1,GHOST,,,\n"  # 7 unknown parent
        "W-7,water,unit,A1,W-1,,,\n"  # 8 parent (in the database) not a master
        "W-8,water,unit,A1,E-M,,,\n"  # 9 parent of another utility
        "W-9,water,master,,W-M,,,\n"  # 10 a master under a master: nesting
        "W-10,water,unit,A1,,0,,\n"  # 11 multiplier 0
        "W-11,water,unit,A1,,,4.5,\n"  # 12 digits not an integer
        "W-12,water,unit,A1,,,0,\n"  # 13 digits out of range
        "W-13,water,unit,A1,,,,-1\n"  # 14 negative initial reading
        "W-M,water,master,,,,,\n"  # 15 duplicate of line 2
        ",water,unit,A1,,abc,,\n"  # 16 meter_id missing, multiplier not a number
    )
    v = validate_meters(table(tmp_path, text, METERS), CONTEXT)
    assert found(v.problems) == [
        (3, "BAD_CHOICE"),
        (4, "BAD_CHOICE"),
        (5, "UNIT_METER_WITHOUT_UNIT"),
        (6, "UNKNOWN_UNIT"),
        (7, "UNKNOWN_PARENT"),
        (8, "PARENT_NOT_MASTER"),
        (9, "UTILITY_MISMATCH"),
        (10, "MASTER_HAS_PARENT"),
        (11, "OUT_OF_RANGE"),
        (12, "NOT_AN_INTEGER"),
        (13, "OUT_OF_RANGE"),
        (14, "OUT_OF_RANGE"),
        (15, "DUPLICATE_KEY"),
        (16, "MISSING_VALUE"),
        (16, "NOT_A_NUMBER"),
    ]
    assert params(v.problems[0])["expected"] == "water/水, electricity/电"
    assert params(v.problems[4]) == {"parent_id": "GHOST"}
    assert params(v.problems[12]) == {"key": "W-M", "first": "2"}
    assert [m.meter_id for m in v.records] == ["W-M"]


def test_a_parent_in_this_file_wins_over_the_database(tmp_path: Path) -> None:
    # W-1 is a unit meter in the database; this file makes it a master: its children are fine
    text = HEADER + "W-1,water,master,,,,,\nW-2,water,unit,A1,W-1,,,\n"
    v = validate_meters(table(tmp_path, text, METERS), CONTEXT)
    assert v.problems == ()


def test_a_parent_whose_own_row_is_wrong_is_reported_once(tmp_path: Path) -> None:
    text = HEADER + "W-M,water,mastr,,,,,\nW-2,water,unit,A1,W-M,,,\n"
    v = validate_meters(table(tmp_path, text, METERS), CONTEXT)
    assert found(v.problems) == [(2, "BAD_CHOICE"), (3, "PARENT_NOT_MASTER")]


def test_a_meter_with_readings_keeps_its_kind(tmp_path: Path) -> None:
    context = MeterContext(units={"A1", "A2"}, meters=CONTEXT.meters, with_readings={"W-1"})
    same = validate_meters(table(tmp_path, HEADER + "W-1,water,unit,A1,,2,,\n", METERS), context)
    assert same.problems == ()  # the multiplier may change
    moved = validate_meters(table(tmp_path, HEADER + "W-1,water,unit,A2,,,,\n", METERS), context)
    assert found(moved.problems) == [(2, "METER_CHANGED_KIND")]
