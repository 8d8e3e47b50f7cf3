"""validate_readings from frames (ReadingBasis, as the import reads a million meters) finds exactly
what it finds from mappings: the same problems, in the same order, and the same rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.domain.period import Period
from billing.domain.records import Meter, MeterChange
from billing.ingest import READINGS
from billing.pipeline.imports import trailing_average
from billing.validate import ReadingContext, validate_readings
from billing.validate.readings import Details, ReadingBasis

from .helpers import D, meter, table

NOV = Period(2026, 11)
MONTHS = ("2026-07", "2026-08", "2026-09", "2026-10")  # oldest first, ending the month before


def both(
    tmp_path: Path,
    text: str,
    meters: Mapping[str, Meter],
    previous: Mapping[str, tuple[Decimal, date | None]],
    history: Mapping[str, Mapping[str, Decimal]],
    changes: Mapping[str, MeterChange] | None = None,
) -> list[str]:
    """Validate `text` from mappings and from frames; assert they agree; the problem codes."""
    changes = changes or {}
    average = trailing_average(history, meters, NOV)
    mapped = ReadingContext(period=NOV, meters=meters, previous=previous, changes=changes, average=average)
    asked: list[Sequence[str]] = []

    def details(ids: Sequence[str]) -> Details:
        asked.append(ids)
        return Details(
            meters={m: meters[m] for m in ids},
            previous={m: previous[m] for m in ids if m in previous},
            average={m: average[m] for m in ids if m in average},
        )

    basis = ReadingBasis(
        meters=pl.DataFrame(
            {
                "meter_id": list(meters),
                "multiplier": [str(m.multiplier) for m in meters.values()],
                "previous": [
                    str(previous[k][0] if k in previous else m.initial_reading) for k, m in meters.items()
                ],
            },
            schema={"meter_id": pl.String, "multiplier": pl.String, "previous": pl.String},
        ),
        history=pl.DataFrame(
            [[k, *(str(v[p]) if p in v else None for p in MONTHS)] for k, v in history.items()],
            schema={"meter_id": pl.String, **{p: pl.String for p in MONTHS}},
            orient="row",
        ),
        months=MONTHS,
        details=details,
    )
    framed = ReadingContext(period=NOV, changes=changes, basis=basis)
    t = table(tmp_path, text, READINGS, name="readings.csv")
    a, b = validate_readings(t, mapped), validate_readings(t, framed)
    assert b.problems == a.problems
    assert b.frame.equals(a.frame)
    assert len(asked) <= 1  # the details are asked for once, for the few rows that need them
    return [p.code for p in a.problems]


def test_spikes_decreases_rollover_changes_and_junk_agree(tmp_path: Path) -> None:
    meters = {
        "W-1": meter("W-1"),
        "W-2": meter("W-2", digits=4),
        "E-3": meter("E-3", multiplier="20"),
        "E-4": meter("E-4", multiplier="2.5"),
        "W-5": meter("W-5", initial="7"),
        "W-6": meter("W-6"),
        "W-7": meter("W-7"),
    }
    previous = {
        "W-1": (D("100"), date(2026, 10, 28)),
        "W-2": (D("9990"), None),
        "E-3": (D("50"), None),
        "E-4": (D("10"), None),
        "W-6": (D("10.1234567"), None),  # finer than the fast path holds
        "W-7": (D("40"), None),
    }
    history = {
        "W-1": {"2026-08": D("70"), "2026-09": D("80"), "2026-10": D("100")},  # average 15
        "E-3": {"2026-09": D("48"), "2026-10": D("50")},  # 2 × 20 = 40
        "E-4": {"2026-09": D("8"), "2026-10": D("10")},  # 2 × 2.5 = 5
        "W-7": {"2026-07": D("1.1234567"), "2026-08": D("10"), "2026-10": D("40")},  # a gap; fine digits
        "W-6": {"2026-09": D("9"), "2026-10": D("8")},  # went down: no average
    }
    changes = {
        "W-5": MeterChange(
            meter_id="W-5", change_date=date(2026, 11, 10), old_final=D("20"), new_initial=D("0")
        )
    }
    text = (
        "meter_id,reading,read_date\n"
        "W-1,175,2026-11-28\n"  # 75 = 5 × 15: no spike
        "W-1,176,2026-11-28\n"  # duplicate
        "W-2,3,2026-11-28\n"  # rollover
        "E-3,60.0000001,\n"  # too many digits
        "E-3,52.000001,\n"  # duplicate of the line before? no: E-3 again, a duplicate
        "E-4,13,\n"  # 3 × 2.5 = 7.5 ≤ 25
        "W-5,30,2026-11-28\n"  # through the change
        "W-6,10,\n"  # decreased against 10.1234567
        "W-7,70,\n"  # 30 > 5 × ... of its only pair (30 over 2026-08..10 is no consecutive pair)
        "GHOST,1,\n"
        ",2,\n"
    )
    codes = both(tmp_path, text, meters, previous, history, changes)
    assert {"DUPLICATE_KEY", "ROLLOVER", "TOO_MANY_DIGITS", "READING_DECREASED", "UNKNOWN_METER"} <= set(
        codes
    )
    assert "CONSUMPTION_SPIKE" not in codes
    spiky = text.replace("W-1,175", "W-1,175.000001").replace("E-3,60.0000001", "E-3,60.1")
    assert codes.count("CONSUMPTION_SPIKE") < both(tmp_path, spiky, meters, previous, history, changes).count(
        "CONSUMPTION_SPIKE"
    )


readings = st.decimals(
    min_value=0, max_value=Decimal("99999"), places=3, allow_nan=False, allow_infinity=False
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["1", "3", "0.5", "1.000"]),
            st.lists(st.one_of(st.none(), readings), min_size=4, max_size=4),
            readings,
            readings,
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_history_gives_the_same_spikes(
    tmp_path: Path, rows: list[tuple[str, list[Decimal | None], Decimal, Decimal]]
) -> None:
    meters, previous, history, lines = {}, {}, {}, ["meter_id,reading"]
    for i, (mult, months, prev, cur) in enumerate(rows):
        key = f"M-{i}"
        meters[key] = meter(key, multiplier=mult)
        previous[key] = (prev, None)
        history[key] = {p: v for p, v in zip(MONTHS, months, strict=True) if v is not None}
        lines.append(f"{key},{cur:f}")
    both(tmp_path, "\n".join(lines) + "\n", meters, previous, history)


@pytest.mark.parametrize("average", ["3", "0.333333", "0.0000002"])
def test_a_consumption_right_at_five_times_the_average(tmp_path: Path, average: str) -> None:
    # one month of use u (10 → 10 + u): average u; a reading of 10 + 5u is no spike, one more is
    u = D(average)
    meters = {"W-1": meter("W-1")}
    history = {"W-1": {"2026-09": D("10") - u, "2026-10": D("10")}}
    spikes = [
        both(tmp_path, f"meter_id,reading\nW-1,{cur:f}\n", meters, {"W-1": (D("10"), None)}, history)
        for cur in (D("10") + 5 * u, D("10") + 5 * u + D("0.000001"))
    ]
    assert spikes == [[], ["CONSUMPTION_SPIKE"]]
