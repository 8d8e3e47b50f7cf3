"""A readings file checked in slices of meter ids (side by side on a process pool) gives exactly
the problems and rows of one pass over the whole file, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from billing.domain.period import Period
from billing.ingest.columns import READINGS
from billing.ingest.table import read_table
from billing.pipeline import imports
from billing.pipeline.context import Context
from billing.pipeline.imports import KINDS, import_file, readings_kind
from billing.synth import generate_estate

OCT, NOV = Period(2026, 10), Period(2026, 11)


def test_slices_on_a_pool_find_what_one_pass_finds(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    estate = generate_estate(420, 5, tmp_path / "estate")
    for kind in ("units", "meters", "meter-changes"):
        assert (
            import_file(ctx, KINDS[kind], estate.root / f"{kind}.csv", today=date(2026, 10, 1)).exit_code < 2
        )
    oct_file = estate.readings_for(str(OCT))
    assert (
        import_file(ctx, readings_kind(OCT), oct_file, today=date(2026, 11, 2), scope=str(OCT)).exit_code < 2
    )
    # November with junk: a duplicate, an unknown meter, a row without a meter, a bad reading
    rows = estate.readings_for(str(NOV)).read_text(encoding="utf-8").splitlines()
    junk = ["W1-101,9999,2026-11-28", "NOPE-1,5,2026-11-28", ",7,2026-11-28", "E1-102,abc,2026-11-28"]
    path = tmp_path / "readings-2026-11.csv"
    path.write_text("\n".join(rows[:300] + junk + rows[300:]) + "\n", encoding="utf-8")
    table = read_table(path, READINGS)
    kind = readings_kind(NOV)
    with ctx.engine.begin() as conn:  # as the import holds it: the workers read beside it
        whole = kind.check(conn, table)
        monkeypatch.setattr(imports, "READINGS_SLICE", 97)
        sliced = kind.check(conn, table)
    assert {p.code for p in whole.problems} >= {
        "DUPLICATE_KEY",
        "UNKNOWN_METER",
        "MISSING_VALUE",
        "NOT_A_NUMBER",
    }
    assert sliced.problems == whole.problems
    assert sliced.frame.equals(whole.frame)
