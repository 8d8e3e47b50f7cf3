"""Partitions through every executor give the same result: the bill run on a process pool and on a
Dask cluster (a `distributed.LocalCluster`) issues exactly the bills of a run in one process, and
notices rendered on the cluster are the same files as on the local pool."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import Executor
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from billing.domain.period import Period
from billing.pipeline import billrun
from billing.pipeline.context import Context, open_context
from billing.pipeline.executors import DaskExecutor, InlineExecutor, make_executor
from billing.pipeline.imports import KINDS, import_file, readings_kind
from billing.pipeline.notices import _building_views
from billing.pipeline.workspace import init_workspace
from billing.render import check_font, render_notices
from billing.synth import generate_estate
from tests.conftest import PG_URL

OCT = Period(2026, 10)
UNITS = 420  # two residential buildings and two shop rows

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as lc:
        yield lc.scheduler_address


_created: list[str] = []  # PostgreSQL databases made by _workspace, dropped after each test


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """ "" : each workspace its own SQLite file; else the server's URL without a database name."""
    if request.param == "sqlite":
        yield ""
        return
    if not PG_URL:
        pytest.skip("BILLING_TEST_PG_URL not set (make test starts a PostgreSQL server)")
    yield PG_URL.rsplit("/", 1)[0]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in _created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    _created.clear()


def _workspace(
    root: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str | None = None, database: str = ""
) -> Context:
    generate_estate(UNITS, 3, root)
    settings = root / "config" / "settings.toml"
    if database:
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL or "", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        _created.append(name)
        text_ = settings.read_text(encoding="utf-8").replace(
            'url = "sqlite:///billing.db"', f'url = "{database}/{name}"'
        )
        settings.write_text(text_, encoding="utf-8")
    monkeypatch.delenv("BILLING_DATABASE_URL", raising=False)
    if scheduler:
        with settings.open("a", encoding="utf-8") as f:
            f.write(f'\n[cluster]\nscheduler = "{scheduler}"\n')
    init_workspace(root)
    ctx = open_context(root, lang="en")
    for kind in ("units", "meters", "meter-changes"):
        assert import_file(ctx, KINDS[kind], root / f"{kind}.csv", today=date(2026, 10, 1)).exit_code < 2
    readings = readings_kind(OCT)
    done = import_file(ctx, readings, root / "readings-2026-10.csv", today=date(2026, 11, 2), scope=str(OCT))
    assert done.exit_code < 2
    return ctx


def _issue(ctx: Context, monkeypatch: pytest.MonkeyPatch, *, split: bool) -> list[tuple[object, ...]]:
    if split:  # one building a task, on the executor of the settings, however small the estate
        monkeypatch.setattr(billrun, "INLINE_UNITS", 0)
        monkeypatch.setattr(billrun, "TASK_UNITS", 1)
    result = billrun.issue_bills(ctx, OCT, date(2026, 11, 3))
    assert result.exit_code < 2, [p.render("en") for p in result.problems]
    monkeypatch.undo()
    with ctx.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT b.id, b.unit_id, b.principal_fen, b.late_fee_fen, l.seq, l.item, l.quantity, "
                    "l.amount_fen, l.exact, l.detail FROM bills b JOIN bill_lines l ON l.bill_id = b.id "
                    "ORDER BY b.id, l.seq"
                )
            )
        ]


def test_the_run_on_a_pool_and_on_dask_issues_the_bills_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: str, database: str
) -> None:
    one = _workspace(tmp_path / "one", monkeypatch, database=database)
    pool = _workspace(tmp_path / "pool", monkeypatch, database=database)
    dask = _workspace(tmp_path / "dask", monkeypatch, scheduler=cluster, database=database)
    try:
        inline = _issue(one, monkeypatch, split=False)
        assert len({r[0] for r in inline}) > 400
        assert _issue(pool, monkeypatch, split=True) == inline
        assert _issue(dask, monkeypatch, split=True) == inline
    finally:
        for ctx in (one, pool, dask):
            ctx.engine.dispose()


@pytest.mark.skipif(check_font() is not None, reason="the pinned notice font (make installs it)")
def test_notices_on_dask_are_the_files_of_the_local_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: str
) -> None:
    ctx = _workspace(tmp_path / "ws", monkeypatch)
    try:
        _issue(ctx, monkeypatch, split=False)

        def render(executor: Executor, out: Path) -> dict[str, bytes]:
            with ctx.engine.connect() as conn:
                views = [_building_views(ctx, conn, OCT, b) for b in ("S1", "S2")]
            try:
                done = render_notices(views, out, executor=executor)
            finally:
                executor.shutdown(wait=True)
            assert not done.problems
            return {p.name: p.read_bytes() for p in sorted(out.iterdir())}

        local = render(make_executor(ctx.settings, workers=2), tmp_path / "local")
        on_dask = render(DaskExecutor(cluster), tmp_path / "dask")
        assert on_dask == local
        assert {"S1.pdf", "S2.pdf", "S1-签收单.pdf"} <= set(local)
        # a rerun finds every file current and renders nothing
        with ctx.engine.connect() as conn:
            views = [_building_views(ctx, conn, OCT, b) for b in ("S1", "S2")]
        again = render_notices(views, tmp_path / "dask", executor=InlineExecutor())
        assert not again.files and len(again.skipped) == 4
    finally:
        ctx.engine.dispose()
        shutil.rmtree(tmp_path / "dask", ignore_errors=True)
