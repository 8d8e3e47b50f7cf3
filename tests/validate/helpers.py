"""Builders for validation tests: a CSV text through read_table, problems as (line, code) pairs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from billing.domain.problem import Problem
from billing.domain.records import Meter, Scope, Utility
from billing.ingest import ColumnSpec, Table, read_table

D = Decimal


def table(tmp_path: Path, text: str, columns: Sequence[ColumnSpec], name: str = "in.csv") -> Table:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_table(path, columns)


def found(problems: Iterable[Problem]) -> list[tuple[int | None, str]]:
    return [(p.line, p.code) for p in problems]


def params(problem: Problem) -> dict[str, str]:
    return dict(problem.params)


def meter(
    meter_id: str,
    utility: Utility = Utility.WATER,
    scope: Scope = Scope.UNIT,
    *,
    unit_id: str | None = "A1",
    parent_id: str | None = None,
    multiplier: str = "1",
    digits: int | None = None,
    initial: str = "0",
) -> Meter:
    return Meter(
        meter_id=meter_id,
        utility=utility,
        scope=scope,
        unit_id=unit_id if scope is Scope.UNIT else None,
        parent_id=parent_id,
        multiplier=D(multiplier),
        digits=digits,
        initial_reading=D(initial),
    )
