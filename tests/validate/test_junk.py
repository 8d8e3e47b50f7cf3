"""Junk fed to every validator: problems, never an exception; a broken table stops at its own problems."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.domain.period import Period
from billing.ingest import DEPOSITS, METER_CHANGES, METERS, READINGS, UNITS, ColumnSpec, Table, read_table
from billing.validate import (
    DepositContext,
    MeterChangeContext,
    MeterContext,
    ReadingContext,
    validate_deposits,
    validate_meter_changes,
    validate_meters,
    validate_readings,
    validate_units,
)

from .helpers import D, meter

METER_MAP = {"W-1": meter("W-1", digits=4)}
KINDS: list[tuple[Sequence[ColumnSpec], Callable[[Table], object]]] = [
    (UNITS, validate_units),
    (METERS, lambda t: validate_meters(t, MeterContext(units={"A1"}, meters=METER_MAP))),
    (
        READINGS,
        lambda t: validate_readings(
            t,
            ReadingContext(
                period=Period(2026, 10),
                meters=METER_MAP,
                previous={"W-1": (D(9990), None)},
                average={"W-1": D(1)},
            ),
        ),
    ),
    (METER_CHANGES, lambda t: validate_meter_changes(t, MeterChangeContext(meters=METER_MAP))),
    (DEPOSITS, lambda t: validate_deposits(t, DepositContext(units={"A1"}))),
]

cell = st.one_of(
    st.sampled_from(
        ["", " ", "W-1", "A1", "-0", "0", "1e5", "9990", "5", "2026-10-31", "yes", "水", "water", "\u3000"]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
)


@pytest.mark.parametrize(
    ("columns", "validate"), KINDS, ids=["units", "meters", "readings", "changes", "deposits"]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_cells_give_problems_not_exceptions(
    tmp_path: Path, columns: Sequence[ColumnSpec], validate: Callable[[Table], object], data: st.DataObject
) -> None:
    rows = data.draw(
        st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)), min_size=1, max_size=6)
    )
    path = tmp_path / "junk.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.name for c in columns])
        writer.writerows(rows)
    result = validate(read_table(path, columns))
    problems = result.problems  # type: ignore[attr-defined]
    assert all(p.file == "junk.csv" for p in problems)


@pytest.mark.parametrize(
    ("columns", "validate"), KINDS, ids=["units", "meters", "readings", "changes", "deposits"]
)
@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02", b"a,b\n1,2\n"])
def test_a_broken_file_stops_at_its_own_problems(
    tmp_path: Path, columns: Sequence[ColumnSpec], validate: Callable[[Table], object], data: bytes
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    table = read_table(path, columns)
    result = validate(table)
    assert result.problems == table.problems  # type: ignore[attr-defined]
    assert not result.ok  # type: ignore[attr-defined]
