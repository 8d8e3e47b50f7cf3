"""The migrations build exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from billing.pipeline.context import Context
from billing.store.engine import migrate
from billing.store.schema import metadata


def test_migrations_match_the_declared_schema(ctx: Context) -> None:
    with ctx.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrating_twice_changes_nothing(ctx: Context) -> None:
    before = sorted(inspect(ctx.engine).get_table_names())
    migrate(ctx.engine)
    assert sorted(inspect(ctx.engine).get_table_names()) == before
    assert set(metadata.tables) <= set(before)


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_workspace: Path) -> None:
    from billing.pipeline.context import open_context

    ctx = open_context(sqlite_workspace)
    try:
        with ctx.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        ctx.engine.dispose()
