"""validate_meter_changes: known meter, a date in an open period, numbers, one change per month."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from billing.domain.period import Period
from billing.domain.records import MeterChange
from billing.ingest import METER_CHANGES
from billing.validate import MeterChangeContext, validate_meter_changes

from .helpers import D, found, meter, params, table

HEADER = "meter_id,date,old_final,new_initial\n"
CONTEXT = MeterChangeContext(
    meters={m: meter(m) for m in ("W-1", "W-2", "W-3")},
    issued=frozenset({Period(2026, 9)}),
    previous={"W-3": D("500.5")},
)


def test_a_good_change(tmp_path: Path) -> None:
    text = "表号,换表日期,旧表止码,新表起码\nW-1,2026-10-20,418,0\nW-1,2026-11-03,25.5,0\n"
    v = validate_meter_changes(table(tmp_path, text, METER_CHANGES), CONTEXT)
    assert v.problems == ()
    assert v.records == (
        MeterChange(meter_id="W-1", change_date=date(2026, 10, 20), old_final=D(418), new_initial=D(0)),
        MeterChange(meter_id="W-1", change_date=date(2026, 11, 3), old_final=D("25.5"), new_initial=D(0)),
    )
    assert v.lines == (2, 3)


def test_every_rule(tmp_path: Path) -> None:
    text = HEADER + (
        "GHOST,2026-10-20,1,0\n"  # 2 unknown meter
        "W-1,2026-10-32,1,0\n"  # 3 not a date
        "W-1,2026-09-30,1,0\n"  # 4 in an issued period
        "W-2,2026-10-05,-1,x\n"  # 5 negative, not a number
        "W-2,2026-10-25,5,0\n"  # 6 a second change of W-2 in October
        "W-3,2026-10-25,500,0\n"  # 7 old meter's final below the previous reading 500.5
        "W-3,,,\n"  # 8 nothing given
    )
    v = validate_meter_changes(table(tmp_path, text, METER_CHANGES), CONTEXT)
    assert found(v.problems) == [
        (2, "UNKNOWN_METER"),
        (3, "NOT_A_DATE"),
        (4, "CHANGE_NOT_IN_OPEN_PERIOD"),
        (5, "OUT_OF_RANGE"),
        (5, "NOT_A_NUMBER"),
        (6, "DUPLICATE_KEY"),
        (7, "CHANGE_BELOW_PREVIOUS"),
        (8, "MISSING_VALUE"),
        (8, "MISSING_VALUE"),
        (8, "MISSING_VALUE"),
    ]
    assert params(v.problems[5]) == {"key": "W-2 2026-10", "first": "5"}
    assert params(v.problems[6]) == {"old_final": "500", "previous": "500.5"}
    assert v.records == ()
