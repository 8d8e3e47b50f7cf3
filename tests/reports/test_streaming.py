"""The month-end steps at scale go through the estate as streams and per building, never the
whole estate as Python objects: these tests fail if a report goes back to loading every
unit's ledger or every meter, or if a rerun of the arrears renders buildings again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billing.domain.money import ZERO
from billing.domain.records import Scope
from billing.pipeline import queries
from billing.pipeline.arrears import make_arrears
from billing.pipeline.ledgers import late_fee_policy
from billing.pipeline.reports import _rate_bands_chart, rate_bands
from billing.render.reports import (
    LINES_FROM,
    Column,
    Kind,
    ReportView,
    Row,
    TableView,
    ledger_pages,
    render_report_pdf,
)
from billing.store import repo
from tests.reports.conftest import AS_OF, GENERATED, P1, P2, Outputs
from tests.reports.helpers import pdf_text


def _refuse(name: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} loads the whole estate")

    return refused


def test_collection_streams_the_estate_and_agrees_with_the_standings(
    estate: Outputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = late_fee_policy(estate.ctx.settings)
    with estate.ctx.engine.connect() as conn:
        # the reference: every unit's standings at once, as the report used to be made
        reference = queries.standings(conn, AS_OF, policy)
        units = repo.load_units(conn)
        monkeypatch.setattr(queries, "standings", _refuse("standings"))
        monkeypatch.setattr(queries, "load_ledgers", _refuse("load_ledgers"))
        monkeypatch.setattr(queries.repo, "load_units", _refuse("load_units"))
        c = queries.collection(conn, P1, AS_OF, policy)
    groups: dict[tuple[str, str], queries.CollectionFigures] = defaultdict(queries.CollectionFigures)
    for unit_id, bills in reference.items():
        for b in bills:
            if b.period == P1:
                u = units[unit_id]
                groups[(u.building, str(u.kind))] += queries.CollectionFigures.of([b])
    assert {(g.building, str(g.kind)): g.figures for g in c.groups} == dict(groups)
    by_period = {
        p: queries.CollectionFigures.of(b for bs in reference.values() for b in bs if b.period == p)
        for p in (P1, P2)
    }
    assert dict(c.trend) == {P1: by_period[P1]}  # the trend stops at the report's period
    assert c.total.billed == Decimal("2195.59") and c.total.collected == Decimal("1928.85")


def test_balance_streams_the_meters_and_agrees_with_their_consumptions(
    estate: Outputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    with estate.ctx.engine.connect() as conn:
        used, bad = queries.meter_consumptions(conn, P1)
        meters = repo.load_meters(conn)
        monkeypatch.setattr(queries.repo, "load_meters", _refuse("load_meters"))
        monkeypatch.setattr(queries.repo, "readings_of", _refuse("readings_of"))
        rows = queries.meter_balance(conn, P1)
    assert not bad
    assert [b.master_id for b in rows] == ["W1-M", "E1-M"]  # water first, then meter order
    for b in rows:
        kids = [m for m in meters.values() if m.parent_id == b.master_id]
        units = [m.meter_id for m in kids if m.scope is Scope.UNIT]
        common = [m.meter_id for m in kids if m.scope is Scope.COMMON]
        assert (b.unit_meters, b.common_meters) == (len(units), len(common))
        assert b.master == used[b.master_id]
        assert b.units == sum((used[k] for k in units), ZERO)
        assert b.common == sum((used[k] for k in common), ZERO)
    # E1-M: 1340; units 1071; common 150 (tests/reports/test_reconcile.py)
    assert (rows[1].master, rows[1].units, rows[1].common) == (1340, 1071, 150)


class _Counting(Executor):
    """Runs each task at once in this process and counts them."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_arrears_rerun_renders_only_what_is_missing(estate: Outputs) -> None:
    as_of = date(2026, 12, 28)
    folder = estate.root / "out" / "arrears" / as_of.isoformat()
    first = _Counting()
    made = make_arrears(estate.ctx, as_of, GENERATED, executor=first)
    assert first.submitted == 1 and (folder / "manifest.csv").is_file()
    notices = folder / "1.pdf"
    before = notices.read_bytes()
    again = _Counting()
    rerun = make_arrears(estate.ctx, as_of, GENERATED.replace(hour=20), executor=again)
    assert again.submitted == 0  # same content: the building's files are kept
    assert notices.read_bytes() == before and [f.name for f in rerun.files] == [f.name for f in made.files]
    notices.unlink()
    third = _Counting()
    make_arrears(estate.ctx, as_of, GENERATED, executor=third)
    assert third.submitted == 1 and notices.is_file()


def test_a_long_report_prints_its_tables_as_lines(tmp_path: Path) -> None:
    rows = tuple(Row(cells=(f"{n} 栋", Decimal(n))) for n in range(LINES_FROM + 1))
    view = ReportView(
        company="示例物业",
        title="长表",
        meta=(),
        generated_at=GENERATED,
        tables=(
            TableView(
                title="各楼栋",
                sheet="表",
                columns=(Column(title="楼栋"), Column(title="金额", kind=Kind.MONEY)),
                rows=rows,
            ),
        ),
    )
    text = pdf_text(render_report_pdf(view, tmp_path / "long.pdf"))
    assert text.count("\f") == len(ledger_pages(view))  # pages cut in Python: layout linear in the rows
    assert f"{LINES_FROM} 栋" in text and "300.00" in text


def test_many_buildings_chart_their_distribution() -> None:
    rates = [
        Decimal("0.05"),
        Decimal("0.95"),
        Decimal("1"),
        None,
        Decimal("0.5"),
        Decimal("-0.1"),
        Decimal("0.1"),
    ]
    # 0.05 and -0.1 in 0–10 %; 0.1 in 10–20 %; 0.5 in 50–60 %; 0.95 and 1 in 90–100 %; None in none
    assert rate_bands(rates) == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert "<svg" in _rate_bands_chart("各楼栋收缴率分布（楼栋数）", rates).svg
