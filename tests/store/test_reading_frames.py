"""The readings import's frames: each meter's previous reading and history as text, and the bulk
write of a period, on SQLite and PostgreSQL, agreeing with the row-by-row repositories."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl
from sqlalchemy import Connection, text

from billing.domain.period import Period
from billing.domain.records import Meter, Scope, Utility
from billing.pipeline.context import Context
from billing.store import repo
from tests.pipeline.estate import master_data

AUG, SEP, OCT, NOV = Period(2026, 8), Period(2026, 9), Period(2026, 10), Period(2026, 11)


def _import_id(conn: Connection, period: Period, sha: str = "") -> int:
    return repo.record_import(
        conn,
        kind="readings",
        scope=str(period),
        file_name="x.csv",
        sha256=str(period) + sha,
        rows=0,
        now=datetime(2026, 1, 1),
    )


def _as_text(previous: dict[str, tuple[Decimal, date | None]]) -> dict[str, str]:
    return {k: str(v) for k, (v, _) in previous.items()}


def _basis(conn: Connection, period: Period) -> dict[str, str]:
    frame = repo.reading_basis(conn, period, None, None, None)
    assert frame.columns == ["meter_id", "multiplier", "previous"]
    return dict(zip(frame.get_column("meter_id"), frame.get_column("previous"), strict=True))


def test_the_previous_reading_is_what_previous_readings_gives(ctx: Context) -> None:
    master_data(ctx)
    with ctx.engine.begin() as conn:
        meters = sorted(repo.load_meters(conn))
        assert _basis(conn, OCT) == _as_text(repo.previous_readings(conn, OCT))  # the initial readings
        # August for all, September for half, October for all but two: some meters' previous
        # reading for November is October's, some September's, some August's, two their initial
        for period, ids, value in (
            (AUG, meters, "1.5"),
            (SEP, meters[::2], "2.25"),
            (OCT, meters[2:], "310.80"),
        ):
            repo.replace_readings(
                conn,
                period,
                [{"meter_id": m, "reading": Decimal(value), "read_date": None} for m in ids],
                import_id=_import_id(conn, period),
            )
        for period in (SEP, OCT, NOV, Period(2027, 1)):
            assert _basis(conn, period) == _as_text(repo.previous_readings(conn, period))
        basis = repo.reading_basis(conn, NOV, None, None, None)
        assert dict(zip(basis["meter_id"], basis["multiplier"], strict=True))["E1-SH01"] == "20"
        history = repo.history_frame(conn, [AUG, SEP, OCT], None, None, None)
        assert history.columns == ["meter_id", "2026-08", "2026-09", "2026-10"]
        row = history.filter(pl.col("meter_id") == meters[0]).row(0)
        assert row == (meters[0], "1.5", "2.25", None)
        conn.rollback()


def test_an_id_holding_the_separator_is_read_row_by_row(ctx: Context) -> None:
    master_data(ctx)
    odd = Meter(
        meter_id="X\x1eY",
        utility=Utility.WATER,
        scope=Scope.COMMON,
        unit_id=None,
        parent_id=None,
        multiplier=Decimal(1),
        digits=None,
        initial_reading=Decimal("4.5"),
    )
    with ctx.engine.begin() as conn:
        repo.upsert_meters(conn, [odd], import_id=_import_id(conn, OCT))
        assert _basis(conn, OCT)["X\x1eY"] == "4.5"
        conn.rollback()


def test_a_period_is_written_and_rewritten_exactly(ctx: Context) -> None:
    master_data(ctx)
    with ctx.engine.connect() as conn:
        meters = sorted(repo.load_meters(conn))
        frame = pl.DataFrame(
            {
                "meter_id": meters,
                "reading": ["310.8", "0", "12345678901.123456", *["7"] * (len(meters) - 3)],
                "read_date": ["2026-10-31", None, *["2026-11-01"] * (len(meters) - 2)],
            }
        )
        with repo.references_checked(conn), conn.begin():
            assert repo.insert_period_readings(conn, OCT, frame, import_id=_import_id(conn, OCT)) == 0
        with conn.begin():
            fix = pl.DataFrame(
                {"meter_id": meters[:1], "reading": ["311"], "read_date": [None]}, schema=frame.schema
            )
            assert repo.insert_period_readings(conn, OCT, fix, import_id=_import_id(conn, OCT, "fix")) == 1
        stored = repo.readings_of(conn, OCT)
        if conn.dialect.name == "sqlite":  # foreign keys are enforced again after the block
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert (
                conn.execute(text("SELECT count(*) FROM pragma_foreign_key_check('readings')")).scalar() == 0
            )
    assert stored[meters[0]] == (Decimal("311"), None)
    assert stored[meters[1]] == (Decimal("0"), None)
    assert stored[meters[2]] == (Decimal("12345678901.123456"), date(2026, 11, 1))
    assert len(stored) == len(meters)
