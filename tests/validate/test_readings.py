"""validate_readings: column checks, the previous reading, rollover, meter change, spikes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.period import Period
from billing.domain.problem import Severity
from billing.domain.records import MeterChange, Reading
from billing.ingest import LINE, READINGS
from billing.validate import ReadingContext, ValidatedReadings, validate_readings

from .helpers import D, found, meter, params, table

OCT = Period(2026, 10)
METERS = {f"W-{i}": meter(f"W-{i}", digits=4) for i in range(1, 13)}


def context(**kw: object) -> ReadingContext:
    base: dict[str, object] = {"period": OCT, "meters": METERS}
    base.update(kw)
    return ReadingContext(**base)  # type: ignore[arg-type]


def run(tmp_path: Path, text: str, ctx: ReadingContext | None = None) -> ValidatedReadings:
    return validate_readings(table(tmp_path, text, READINGS, name="readings.csv"), ctx or context())


def test_the_acceptance_feed_reports_lines_3_5_7_and_the_last(tmp_path: Path) -> None:
    good = ["meter_id,reading"] + [f"W-{i},{100 + i}" for i in range(1, 13)]
    bad = list(good)
    bad[2] = "NO-SUCH-METER,1218"  # line 3
    bad[4] = "W-4,-1"  # line 5
    bad[6] = "W-6,abc"  # line 7
    bad.append(good[9])  # line 14: a duplicate of line 10
    v = run(tmp_path, "\n".join(bad) + "\n")
    assert found(v.problems) == [
        (3, "UNKNOWN_METER"),
        (5, "OUT_OF_RANGE"),
        (7, "NOT_A_NUMBER"),
        (14, "DUPLICATE_KEY"),
    ]
    assert params(v.problems[3]) == {"key": "W-9", "first": "10"}
    assert not v.ok
    assert [p.render("en") for p in v.problems[:2]] == [
        "readings.csv:3: UNKNOWN_METER: unknown meter: NO-SUCH-METER",
        "readings.csv:5: OUT_OF_RANGE: 'reading' is out of range: -1 (expected ≥ 0)",
    ]


def test_valid_readings_come_back_as_a_frame_and_as_records(tmp_path: Path) -> None:
    text = '表号,本期读数,抄表日期\nW-1,0310.80,2026-10-31\nW-2,"1,234",\nW-3,５．５,2026-11-02\n'
    v = run(tmp_path, text)
    assert v.problems == ()
    assert v.frame.schema == pl.Schema(
        {"meter_id": pl.String, "reading": pl.String, "read_date": pl.Date, LINE: pl.Int64}
    )
    assert v.frame.rows() == [
        ("W-1", "310.8", date(2026, 10, 31), 2),
        ("W-2", "1234", None, 3),
        ("W-3", "5.5", date(2026, 11, 2), 4),  # full-width digits, as typed with a Chinese IME
    ]
    assert v.records[0] == Reading(
        meter_id="W-1", period=OCT, reading=D("310.8"), read_date=date(2026, 10, 31)
    )
    assert v.lines == (2, 3, 4)


def test_period_already_issued_is_one_problem(tmp_path: Path) -> None:
    v = run(tmp_path, "meter_id,reading\nW-1,1\nGHOST,x\n", context(issued=True))
    assert found(v.problems) == [(None, "PERIOD_ISSUED")]
    assert params(v.problems[0]) == {"period": "2026-10"}
    assert v.problems[0].file == "readings.csv"
    assert v.frame.height == 0


def test_decrease_is_an_error_and_rollover_a_warning(tmp_path: Path) -> None:
    previous = {"W-1": (D(500), None), "W-2": (D(9990), date(2026, 9, 30)), "W-3": (D(500), None)}
    # W-1: 490 < 500 on a 4-digit meter, but 500 < 0.9 × 10⁴: a plain decrease
    # W-2: 9990 ≥ 9000 and 5 < 1000: rollover, 5 + 10000 − 9990 = 15
    # W-3: 500 → 500: consumption 0, fine
    text = "meter_id,reading\nW-1,490\nW-2,5\nW-3,500\n"
    v = run(tmp_path, text, context(previous=previous))
    assert found(v.problems) == [(2, "READING_DECREASED"), (3, "ROLLOVER")]
    decreased, rollover = v.problems
    assert decreased.severity is Severity.ERROR and rollover.severity is Severity.WARNING
    assert decreased.file == "readings.csv"
    assert params(decreased)["previous"] == "500"
    assert params(rollover)["consumption"] == "15"
    assert [r[0] for r in v.frame.rows()] == ["W-2", "W-3"]  # the refused row is not in the frame


def test_without_a_stored_reading_the_initial_reading_is_the_previous(tmp_path: Path) -> None:
    meters = {"W-1": meter("W-1", initial="300")}
    v = run(tmp_path, "meter_id,reading\nW-1,299\n", context(meters=meters))
    assert found(v.problems) == [(2, "READING_DECREASED")]


def test_initial_reading_also_when_previous_holds_other_meters(tmp_path: Path) -> None:
    # as many stored readings as meters, but not W-2's: W-2 still starts from its initial 300
    meters = {"W-1": meter("W-1"), "W-2": meter("W-2", initial="300")}
    previous = {"W-1": (D(1), None), "OLD": (D(1), None)}
    v = run(tmp_path, "meter_id,reading\nW-1,2\nW-2,299\n", context(meters=meters, previous=previous))
    assert found(v.problems) == [(3, "READING_DECREASED")]


def test_a_meter_change_rates_through_the_change(tmp_path: Path) -> None:
    # previous 400; old meter ended at 418, the new one started at 0 and reads 12:
    # (418 − 400) + (12 − 0) = 30; the reading 12 < 400 is not a decrease
    change = MeterChange(meter_id="W-1", change_date=date(2026, 10, 20), old_final=D(418), new_initial=D(0))
    previous = {"W-1": (D(400), None), "W-2": (D(400), None)}
    bad = MeterChange(meter_id="W-2", change_date=date(2026, 10, 20), old_final=D(418), new_initial=D(20))
    v = run(
        tmp_path,
        "meter_id,reading\nW-1,12\nW-2,12\n",
        context(previous=previous, changes={"W-1": change, "W-2": bad}),
    )
    assert found(v.problems) == [(3, "READING_BELOW_NEW_INITIAL")]


def test_spike_over_five_times_the_average(tmp_path: Path) -> None:
    previous = {m: (D(100), None) for m in ("W-1", "W-2", "W-3", "W-4", "W-5")}
    average = {"W-1": D(10), "W-2": D(10), "W-3": D(0), "W-5": D(100) / 3}
    # W-1: 150 − 100 = 50 = 5 × 10: not over; W-2: 50.01 > 50: spike
    # W-3: average 0, W-4: no history: not checked
    # W-5: 5 × 33.333… = 166.666…; 266.6666 − 100 = 166.6666 is just under it, 266.6667 just over
    text = "meter_id,reading\nW-1,150\nW-2,150.01\nW-3,900\nW-4,900\nW-5,266.6666\n"
    v = run(tmp_path, text, context(previous=previous, average=average))
    assert found(v.problems) == [(3, "CONSUMPTION_SPIKE")]
    assert params(v.problems[0]) == {"meter_id": "W-2", "consumption": "50.01", "average": "10"}
    assert v.ok  # a warning does not refuse the file
    v = run(tmp_path, "meter_id,reading\nW-5,266.6667\n", context(previous=previous, average=average))
    assert found(v.problems) == [(2, "CONSUMPTION_SPIKE")]
    assert params(v.problems[0])["average"] == "33.333"
    # within a millionth of 5 × 33.333…: 166.666666 is under, 166.666667 over
    v = run(tmp_path, "meter_id,reading\nW-5,266.666666\n", context(previous=previous, average=average))
    assert v.problems == ()
    v = run(tmp_path, "meter_id,reading\nW-5,266.666667\n", context(previous=previous, average=average))
    assert found(v.problems) == [(2, "CONSUMPTION_SPIKE")]


def test_spike_counts_the_multiplier(tmp_path: Path) -> None:
    meters = {"E-1": meter("E-1", multiplier="40"), "E-2": meter("E-2", multiplier="2.5")}
    previous = {"E-1": (D(100), None), "E-2": (D(100), None)}
    average = {"E-1": D(400), "E-2": D(25)}
    # E-1: (111 − 100) × 40 = 440 ≤ 2000; E-2: (111 − 100) × 2.5 = 27.5 ≤ 125; then 151: 127.5 > 125
    text = "meter_id,reading\nE-1,111\nE-2,111\n"
    ctx = context(meters=meters, previous=previous, average=average)
    assert run(tmp_path, text, ctx).problems == ()
    v = run(tmp_path, "meter_id,reading\nE-1,151\nE-2,151\n", ctx)
    # E-1: 51 × 40 = 2040 > 2000; E-2: 51 × 2.5 = 127.5 > 125
    assert [(p.line, params(p)["consumption"]) for p in v.problems] == [(2, "2040"), (3, "127.5")]


def test_read_date_checks(tmp_path: Path) -> None:
    text = (
        "meter_id,reading,read_date\nW-1,1,2026-02-30\nW-2,1,2026-12-01\nW-3,1,2026-11-30\nW-4,1,31/10/2026\n"
    )
    v = run(tmp_path, text)
    # October's readings are read in October or November
    assert found(v.problems) == [(2, "NOT_A_DATE"), (3, "READING_DATE_OUTSIDE"), (5, "NOT_A_DATE")]
    assert v.problems[1].severity is Severity.WARNING


def test_reading_with_too_many_digits(tmp_path: Path) -> None:
    v = run(tmp_path, "meter_id,reading\nW-1,1.1234567\nW-2,1234567890123\nW-3,1.123456\n")
    assert found(v.problems) == [(2, "TOO_MANY_DIGITS"), (3, "TOO_MANY_DIGITS")]
    assert (
        v.problems[0].render()
        == "readings.csv:2: TOO_MANY_DIGITS: “reading”位数过多：1.1234567（整数最多 12 位，小数最多 6 位）"
    )


def test_a_stored_previous_finer_than_the_fast_path_is_still_exact(tmp_path: Path) -> None:
    previous = {"W-1": (D("100.0000001"), None)}
    v = run(tmp_path, "meter_id,reading\nW-1,100\n", context(previous=previous))
    assert found(v.problems) == [(2, "READING_DECREASED")]


@pytest.mark.parametrize("junk", ["1e3", "NaN", "inf", "--1", "1.2.3", "0x10", "١٢"])
def test_not_numbers(tmp_path: Path, junk: str) -> None:
    v = run(tmp_path, f"meter_id,reading\nW-1,{junk}\n")
    assert found(v.problems) == [(2, "NOT_A_NUMBER")]


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(
        min_value=0, max_value=Decimal("999999999999"), places=6, allow_nan=False, allow_infinity=False
    ),
    st.decimals(
        min_value=0, max_value=Decimal("999999999999"), places=6, allow_nan=False, allow_infinity=False
    ),
)
def test_the_fast_path_agrees_with_decimal(
    tmp_path_factory: pytest.TempPathFactory, prev: Decimal, cur: Decimal
) -> None:
    tmp = tmp_path_factory.mktemp("r")
    ctx = context(meters={"W-1": meter("W-1")}, previous={"W-1": (prev, None)})  # no digits: no rollover
    v = run(tmp, f"meter_id,reading\nW-1,{cur:f}\n", ctx)
    decreased = [p for p in v.problems if p.code == "READING_DECREASED"]
    assert bool(decreased) == (cur < prev)
    if not decreased:
        assert Decimal(v.frame.item(0, "reading")) == cur
