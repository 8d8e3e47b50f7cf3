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


def test_a_workspace_made_before_the_newest_migration_is_brought_up_to_date(sqlite_workspace: Path) -> None:
    from alembic import command

    from billing.pipeline.context import open_context
    from billing.store.engine import alembic_config, make_engine

    db = sqlite_workspace / "old.db"
    url = f"sqlite:///{db}"
    command.upgrade(alembic_config(url), "0001")  # as a workspace made by the first release
    old = make_engine(url)
    assert "job_runs" not in inspect(old).get_table_names()
    old.dispose()
    settings = sqlite_workspace / "config" / "settings.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace('"sqlite:///billing.db"', '"sqlite:///old.db"'),
        encoding="utf-8",
    )
    ctx = open_context(sqlite_workspace)
    try:
        assert "job_runs" in inspect(ctx.engine).get_table_names()
    finally:
        ctx.engine.dispose()
