"""Shared fixtures: a fresh workspace on SQLite, and on the PostgreSQL server `make test` starts.

`BILLING_TEST_PG_URL` (set by scripts/with-postgres.sh) names a server database; each test
that asks for PostgreSQL gets a database of its own, dropped afterwards. Without the variable
the PostgreSQL cases are skipped, so a plain `pytest` still runs the rest.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from billing.pipeline.context import Context, open_context
from billing.pipeline.workspace import init_workspace

ACCEPTANCE = Path(__file__).resolve().parents[2] / "shared" / "acceptance" / "estate_p"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PG_URL = os.environ.get("BILLING_TEST_PG_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None for the workspace's own SQLite file; a fresh PostgreSQL database otherwise."""
    if request.param == "sqlite":
        yield None
        return
    if not PG_URL:
        pytest.skip("BILLING_TEST_PG_URL not set (make test starts a PostgreSQL server)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def workspace(tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised workspace (on SQLite and on PostgreSQL) with BILLING_DATABASE_URL set to match."""
    root = tmp_path / "ws"
    if database_url:
        monkeypatch.setenv("BILLING_DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("BILLING_DATABASE_URL", raising=False)
    init_workspace(root)
    return root


@pytest.fixture
def sqlite_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace on its own SQLite file only (for tests that are not about the database)."""
    monkeypatch.delenv("BILLING_DATABASE_URL", raising=False)
    root = tmp_path / "ws"
    init_workspace(root)
    return root


@pytest.fixture
def ctx(workspace: Path) -> Iterator[Context]:
    c = open_context(workspace, lang="en")
    yield c
    c.engine.dispose()
