"""The arrears step at scale: ledger pages cut in Python, the workbook written row by row,
buildings rendered on an executor with a bounded number in flight."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from billing.pipeline.arrears import DETAIL_COLUMNS, make_arrears
from billing.render.reports import (
    ReportView,
    ReportWorkbook,
    Row,
    Style,
    TableView,
    ledger_pages,
    render_ledger_pdf,
    write_report_xlsx,
)
from tests.reports.conftest import GENERATED, Outputs
from tests.reports.helpers import pdf_text, xlsx_rows

D = Decimal


def _detail_view(units: int) -> ReportView:
    """A building's ledger of `units` units with two bills each; every 7th owner's name is long
    enough to wrap onto a second line."""
    rows: list[Row] = [Row(cells=("9 栋 · 住宅",), style=Style.GROUP)]
    for n in range(units):
        owner = "某某某某某某某某某某有限公司" if n % 7 == 3 else "王五"
        for period, due, days in (("2026-10", date(2026, 11, 15), 35), ("2026-11", date(2026, 12, 15), 5)):
            # principal, late fee, unpaid, not due, 1–30, 31–90, 91–180, >180, accrued
            amounts = (*[D("100.00"), D("0"), D("100.00"), D("0"), D("100.00")], *[D("0")] * 3, D("1.00"))
            rows.append(Row(cells=(f"9-{n + 101}", owner, period, due, days, *amounts, D("101.00"))))
    rows.append(
        Row(cells=("住宅小计", f"{units} 户", None, None, None, *([D("1")] * 10)), style=Style.SUBTOTAL)
    )
    return ReportView(
        company="示例物业",
        title="欠费台账 · 9 栋",
        meta=(("截至", "2026-12-20"),),
        generated_at=datetime(2026, 12, 20, 9, 0),
        landscape=True,
        tables=(
            TableView(title="欠费明细", sheet="明细", columns=DETAIL_COLUMNS, rows=tuple(rows), note="注"),
        ),
    )


def test_ledger_pages_each_start_with_the_column_titles(tmp_path: Path) -> None:
    view = _detail_view(150)
    pages = ledger_pages(view)
    pdf = render_ledger_pdf(view, tmp_path / "ledger.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    # the layout engine cut no page of its own: as many pages as Python made
    printed = int(next(ln.split()[1] for ln in info.splitlines() if ln.startswith("Pages:")))
    assert printed == len(pages) > 5
    texts = pdf_text(pdf).split("\f")
    for printed_page in texts[: len(pages)]:
        assert "房号" in printed_page and "合计（含应计）" in printed_page
    text = "".join(texts)
    for n in range(150):
        assert text.count(f"9-{n + 101} ") == 2  # both bills, none lost or doubled
    # a wrapped row keeps its lines on one page
    for page in pages:
        assert not page.lines[-1].style.endswith("more")


def test_streamed_workbook_is_the_same_as_the_whole(tmp_path: Path) -> None:
    view = _detail_view(30)
    whole = write_report_xlsx(view, tmp_path / "whole.xlsx")
    shape = ReportView(
        company=view.company,
        title=view.title,
        meta=view.meta,
        generated_at=view.generated_at,
        landscape=True,
        tables=(TableView(title="欠费明细", sheet="明细", columns=DETAIL_COLUMNS, rows=(), note="注"),),
    )
    book = ReportWorkbook(shape, tmp_path / "streamed.xlsx", constant_memory=True)
    rows = view.tables[0].rows
    for start in range(0, len(rows), 7):
        book.add(0, rows[start : start + 7])
    streamed = book.close()
    assert xlsx_rows(streamed) == xlsx_rows(whole)
    assert not (tmp_path / "streamed.xlsx.part").exists()


def _outputs(folder: Path) -> dict[str, Any]:
    return {
        p.name: xlsx_rows(p) if p.suffix == ".xlsx" else pdf_text(p)
        for p in sorted(folder.iterdir())
        if p.suffix in (".pdf", ".xlsx")
    }


def test_executor_gives_the_same_files(estate: Outputs) -> None:
    as_of = date(2026, 12, 30)
    serial = make_arrears(estate.ctx, as_of, GENERATED)
    folder = estate.root / "out" / "arrears" / as_of.isoformat()
    before = _outputs(folder)
    with ThreadPoolExecutor(max_workers=1) as pool:
        on_pool = make_arrears(estate.ctx, as_of, GENERATED, executor=pool, max_pending=1)
    assert [f.name for f in on_pool.files] == [f.name for f in serial.files]
    assert on_pool.exit_code == serial.exit_code == 0
    assert _outputs(folder) == before


class _Failing(Executor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(RuntimeError("worker lost"))
        return future


def test_a_building_that_fails_is_reported_and_the_ledger_still_written(estate: Outputs) -> None:
    result = make_arrears(estate.ctx, date(2026, 12, 29), GENERATED, executor=_Failing())
    assert [p.code for p in result.problems] == ["RENDER_FAILED"] and result.exit_code == 2
    assert [f.name for f in result.files] == ["欠费台账.pdf", "欠费台账.xlsx"]
