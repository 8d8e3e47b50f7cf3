"""Reports for the supervisor and finance: PDF (Jinja2 → WeasyPrint) and XLSX from one view.

A report is a `ReportView`: a title, a few facts about it, key figures, tables of finished
numbers and charts. The same view is written as a PDF (`render_report_pdf`, with the shared
look of `billing.render.pdf` and templates/reports/report.css) and as a workbook
(`write_report_xlsx`, one sheet per table, amounts as numbers), so both show the same figures.
The arrears notices and the deposit slip have their own views and templates.

For reports too long for a table (the arrears ledger, a row per unit and period), the same
view can be written as a PDF of text lines cut into pages here (`render_ledger_pdf`: layout
linear in the rows) and as a workbook filled row by row as the rows are made
(`ReportWorkbook(..., constant_memory=True)`: memory independent of the rows).

Nothing here computes a figure: totals and subtotals are rows of the view. Cells only get
their printed form: amounts with two decimals and thousands separators, rates as percents.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import xlsxwriter

from billing.render.charts import ChartView
from billing.render.pdf import (
    BASE_CSS,
    FONT_SHA256,
    REPORT_CSS,
    TEMPLATES_DIR,
    files_digest,
    grid,
    html_to_pdf,
    money,
    renderer,
    write_pdf,
)
from billing.render.textgrid import TextGrid
from billing.render.views import CompanyView
from billing.runtime import collector_paused

REPORTS_CSS = "reports/report.css"
REPORT_TEMPLATE = "reports/report.html.j2"
ARREARS_TEMPLATE = "reports/arrears-notice.html.j2"
ARREARS_CSS = "reports/arrears-notice.css"
DEPOSIT_SLIP_TEMPLATE = "reports/deposit-slip.html.j2"

Cell = str | int | Decimal | date | None


class Kind(StrEnum):
    """How a column's values print: text, whole number, amount (yuan), quantity, rate (fraction)."""

    TEXT = "text"
    INT = "int"
    MONEY = "money"
    QTY = "qty"
    RATE = "rate"
    DATE = "date"


class Style(StrEnum):
    DATA = ""
    GROUP = "group"  # a heading row inside a table (e.g. a building)
    SUBTOTAL = "subtotal"
    TOTAL = "total"
    FLAG = "flag"  # a row that needs attention (a loss over the limit)


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    title: str
    kind: Kind = Kind.TEXT
    width: int = 10  # relative; characters in the workbook
    blank_zero: bool = False  # a 0 in a data row prints as a dash in the PDF (the workbook keeps 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    cells: tuple[Cell, ...]
    style: Style = Style.DATA


@dataclass(frozen=True, slots=True, kw_only=True)
class TableView:
    title: str
    sheet: str  # the worksheet's name (≤ 31 characters)
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    note: str = ""

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row.cells) != len(self.columns) and row.style is not Style.GROUP:
                raise ValueError(
                    f"{self.title}: a row has {len(row.cells)} cells for {len(self.columns)} columns"
                )


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyFigure:
    label: str
    value: Cell
    kind: Kind = Kind.MONEY
    alert: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportView:
    company: str
    title: str
    meta: tuple[tuple[str, str], ...]  # e.g. ("账期", "2026年10月"), printed under the title
    generated_at: datetime
    tables: tuple[TableView, ...]
    figures: tuple[KeyFigure, ...] = ()
    charts: tuple[ChartView, ...] = ()
    notes: tuple[str, ...] = ()
    landscape: bool = False
    charts_after: int = -1  # the charts go after this many tables (-1: after all of them)


# --- printed form of a cell -------------------------------------------------------------------------


def cell_text(value: Cell, kind: Kind) -> str:
    """>>> cell_text(Decimal("1234.5"), Kind.MONEY), cell_text(Decimal("0.95125"), Kind.RATE)
    ('1,234.50', '95.13%')
    """
    if value is None:
        return "—" if kind is Kind.RATE else ""
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if kind is Kind.MONEY and isinstance(value, Decimal):
        return money(value)
    if kind is Kind.QTY and isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01')):,.2f}"
    if kind is Kind.RATE and isinstance(value, Decimal):
        return f"{(value * 100).quantize(Decimal('0.01')):,.2f}%"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def generated_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _numeric(kind: Kind) -> bool:
    return kind in (Kind.INT, Kind.MONEY, Kind.QTY, Kind.RATE)


def _cell_texts(row: Row, columns: Sequence[Column]) -> list[str]:
    """A data, subtotal or total row's cells as printed (a blank-zero 0 of a data row as a dash)."""
    return [
        "–" if c.blank_zero and row.style is Style.DATA and v == 0 else cell_text(v, c.kind)
        for v, c in zip(row.cells, columns, strict=True)
    ]


def _table_context(table: TableView) -> dict[str, Any]:
    total = sum(c.width for c in table.columns)
    columns = [
        {"title": c.title, "num": _numeric(c.kind), "width": f"{100 * c.width / total:.2f}%"}
        for c in table.columns
    ]
    rows: list[dict[str, Any]] = []
    for row in table.rows:
        if row.style is Style.GROUP:
            rows.append({"style": "group", "group": cell_text(row.cells[0], Kind.TEXT), "cells": []})
            continue
        rows.append(
            {
                "style": str(row.style),
                "group": None,
                "cells": [
                    {"text": text, "num": _numeric(c.kind)}
                    for text, c in zip(_cell_texts(row, table.columns), table.columns, strict=True)
                ],
            }
        )
    return {"title": table.title, "note": table.note, "columns": columns, "rows": rows, "span": len(columns)}


def report_html(view: ReportView, *, templates_dir: Path = TEMPLATES_DIR) -> str:
    template = renderer(templates_dir).env.get_template(REPORT_TEMPLATE)
    return template.render(
        view=view,
        generated=generated_text(view.generated_at),
        figures=[
            {"label": f.label, "text": cell_text(f.value, f.kind), "alert": f.alert} for f in view.figures
        ],
        tables=[_table_context(t) for t in view.tables],
        charts_after=len(view.tables) if view.charts_after < 0 else view.charts_after,
    )


# A report whose tables have more rows than this prints them as lines of text (`render_ledger_pdf`),
# whose layout is linear in the rows, rather than as tables (a table of thousands of rows is the
# slowest thing WeasyPrint lays out); its workbook is written in constant memory.
LINES_FROM = 300


def _rows(view: ReportView) -> int:
    return sum(len(t.rows) for t in view.tables)


def render_report_pdf(view: ReportView, out_path: Path, *, templates_dir: Path = TEMPLATES_DIR) -> Path:
    """The report as a PDF: tables laid out as tables, or, past `LINES_FROM` rows, as text lines."""
    if _rows(view) > LINES_FROM:
        return render_ledger_pdf(view, out_path, templates_dir=templates_dir)
    html_to_pdf(
        report_html(view, templates_dir=templates_dir),
        out_path,
        templates_dir,
        stylesheets=(REPORT_CSS, REPORTS_CSS),
        templates_dir=templates_dir,
    )
    return out_path


# --- the workbook -----------------------------------------------------------------------------------

_XLSX_FORMATS = {
    Kind.TEXT: "@",
    Kind.INT: "#,##0",
    Kind.MONEY: "#,##0.00",
    Kind.QTY: "#,##0.00",
    Kind.RATE: "0.00%",
    Kind.DATE: "yyyy-mm-dd",
}
_FILL = {Style.SUBTOTAL: "#e8eef5", Style.TOTAL: "#d3deeb", Style.FLAG: "#fbe3e1", Style.GROUP: "#f3f5f8"}


def sheet_name(text: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "_", text).strip("'")[:31] or "Sheet"
    base, n = name, 2
    while name in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def write_report_xlsx(view: ReportView, out_path: Path) -> Path:
    """One sheet per table: title, facts, header, rows; amounts and rates as numbers."""
    book = ReportWorkbook(view, out_path, constant_memory=_rows(view) > LINES_FROM)
    for index, table in enumerate(view.tables):
        book.add(index, table.rows)
    return book.close()


class ReportWorkbook:
    """A report's workbook written as its rows arrive: `add(table, rows)` any number of times
    (rows of each table in order), then `close()`.

    The view gives the title, facts and the tables' columns (its rows are written too). With
    `constant_memory` (xlsxwriter's mode of that name) each row goes to disk as soon as the
    next one starts, so a sheet of a million rows needs no more memory than one of ten;
    strings are then stored inline rather than in a shared table. Written under a temporary
    name and renamed into place by `close()`.
    """

    def __init__(self, view: ReportView, out_path: Path, *, constant_memory: bool = False) -> None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        self.view = view
        self.out_path = out_path
        self._tmp = out_path.with_name(out_path.name + ".part")
        self._book = xlsxwriter.Workbook(
            str(self._tmp), {"default_date_format": "yyyy-mm-dd", "constant_memory": constant_memory}
        )
        self._book.set_properties(
            {
                "title": view.title,
                "company": view.company,
                "created": view.generated_at,
                "comments": "estate-billing",
            }
        )
        self._formats = _Formats(self._book)
        taken: set[str] = set()
        self._sheets = [self._open_sheet(table, sheet_name(table.sheet, taken)) for table in view.tables]
        self._next = [_HEADER_ROW + 1 for _ in view.tables]

    def add(self, table: int, rows: Iterable[Row]) -> None:
        """Append rows to the sheet of `view.tables[table]`."""
        sheet, columns = self._sheets[table], self.view.tables[table].columns
        last_col = max(len(columns) - 1, 1)
        r = self._next[table]
        for row in rows:
            if row.style is Style.GROUP:
                sheet.merge_range(
                    r, 0, r, last_col, str(row.cells[0] or ""), self._formats.get(Kind.TEXT, Style.GROUP)
                )
            else:
                if len(row.cells) != len(columns):
                    raise ValueError(f"a row has {len(row.cells)} cells for {len(columns)} columns")
                for c, (value, column) in enumerate(zip(row.cells, columns, strict=True)):
                    _write_cell(sheet, r, c, value, column.kind, self._formats.get(column.kind, row.style))
            r += 1
        self._next[table] = r

    def close(self) -> Path:
        for index, table in enumerate(self.view.tables):
            if table.note:
                last_col = max(len(table.columns) - 1, 1)
                r = self._next[index] + 1
                self._sheets[index].merge_range(r, 0, r, last_col, table.note, self._formats.get("meta"))
        self._book.close()
        os.replace(self._tmp, self.out_path)
        return self.out_path

    def _open_sheet(self, table: TableView, name: str) -> Any:
        view, formats = self.view, self._formats
        sheet = self._book.add_worksheet(name)
        last_col = max(len(table.columns) - 1, 1)
        sheet.merge_range(0, 0, 0, last_col, f"{view.title} — {table.title}", formats.get("title"))
        facts = "　".join(f"{k}：{v}" for k, v in view.meta)
        sheet.merge_range(1, 0, 1, last_col, f"{view.company}　{facts}", formats.get("meta"))
        sheet.merge_range(
            2, 0, 2, last_col, f"生成时间：{generated_text(view.generated_at)}", formats.get("meta")
        )
        sheet.set_row(_HEADER_ROW, 30)
        for c, column in enumerate(table.columns):
            sheet.write_string(_HEADER_ROW, c, column.title, formats.get("header"))
            sheet.set_column(c, c, max(column.width, len(column.title) * 2 + 2))
        sheet.freeze_panes(_HEADER_ROW + 1, 0)
        sheet.repeat_rows(_HEADER_ROW)
        if view.landscape or len(table.columns) > 8:
            sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.set_footer("&C第 &P 页 / 共 &N 页")
        return sheet


_HEADER_ROW = 4  # the sheet's column titles (title, facts and generated-at above)


@dataclass(slots=True)
class _Formats:
    book: Any
    cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    def get(self, kind: Kind | str, style: Style | str = Style.DATA) -> Any:
        key = (str(kind), str(style))
        found = self.cache.get(key)
        if found is None:
            spec: dict[str, Any] = {"font_name": "Microsoft YaHei", "font_size": 10, "valign": "vcenter"}
            if kind in _XLSX_FORMATS:
                spec["num_format"] = _XLSX_FORMATS[Kind(kind)]
            if kind == "title":
                spec.update(font_size=14, font_color="#14365d")
            elif kind == "meta":
                spec.update(font_color="#5f6b7a")
            elif kind == "header":
                spec.update(
                    bg_color="#14365d",
                    font_color="#ffffff",
                    text_wrap=True,
                    align="center",
                    border=1,
                    border_color="#9aa5b1",
                )
            else:
                spec.update(border=1, border_color="#c9d1db")
            if style in _FILL:
                spec["bg_color"] = _FILL[Style(style)]
            if style in (Style.SUBTOTAL, Style.TOTAL, Style.GROUP):
                spec["bold"] = True
            if style is Style.FLAG:
                spec["font_color"] = "#b3261e"
            found = self.cache[key] = self.book.add_format(spec)
        return found


def _write_cell(sheet: Any, r: int, c: int, value: Cell, kind: Kind, fmt: Any) -> None:
    if value is None:
        sheet.write_blank(r, c, None, fmt)
    elif isinstance(value, Decimal):
        # Excel keeps numbers as doubles; the cell shows the exact decimal's value
        sheet.write_number(r, c, float(value), fmt)  # float-ok: display cell only
    elif isinstance(value, bool):
        sheet.write_string(r, c, "是" if value else "", fmt)
    elif isinstance(value, int):
        sheet.write_number(r, c, value, fmt)
    elif isinstance(value, datetime | date):
        sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt)
    else:
        sheet.write_string(r, c, str(value), fmt)


# --- arrears notices --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ArrearsLine:
    """One unpaid bill on an arrears notice."""

    period: str  # 2026年10月
    due_date: date
    days_past_due: int
    principal: Decimal  # unpaid principal
    late_fee: Decimal  # unpaid late fee already charged on this bill
    accrued: Decimal  # late fee accrued for this bill to as-of, not yet charged
    total: Decimal
    overdue: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ArrearsNoticeView:
    company: CompanyView
    unit_id: str
    building: str
    floor: int | None
    kind: str  # 住宅 / 商铺
    owner_name: str
    as_of: date
    deadline: date
    lines: tuple[ArrearsLine, ...]
    principal: Decimal
    late_fee: Decimal
    accrued: Decimal
    total: Decimal
    daily_rate: str  # as printed, e.g. 0.05%
    debit_failure: str | None  # the reason the last direct debit failed, as printed
    generated_at: datetime
    pending_note: str | None = None  # bills of the unit not yet due, left out of the notice
    debit_agreement: bool = False  # the owner signed a direct-debit agreement

    def __post_init__(self) -> None:
        if sum((ln.total for ln in self.lines), Decimal(0)) != self.total:
            raise ValueError(f"{self.unit_id}: the lines do not add up to the notice's total")
        if self.principal + self.late_fee + self.accrued != self.total:
            raise ValueError(f"{self.unit_id}: principal, late fees and accrued do not add up to the total")


def arrears_notices_html(notices: Sequence[ArrearsNoticeView], *, templates_dir: Path = TEMPLATES_DIR) -> str:
    template = renderer(templates_dir).env.get_template(ARREARS_TEMPLATE)
    first = notices[0]
    return template.render(
        notices=notices,
        company=first.company,
        building=first.building,
        as_of=first.as_of,
        generated=generated_text(first.generated_at),
    )


def render_arrears_notices(
    notices: Sequence[ArrearsNoticeView], out_path: Path, *, templates_dir: Path = TEMPLATES_DIR
) -> Path:
    """One PDF of the notices given (one building's, in print order), one notice per page.

    Laid out like the payment notices: every paragraph is text-grid lines (no table, no line
    breaking left to WeasyPrint), the page has no margin boxes, and the markup is parsed as
    XML without the user-agent rules for lists and notes.
    """
    html = arrears_notices_html(notices, templates_dir=templates_dir)
    with collector_paused():
        # plain: well-formed XML of our own, laid out without the user-agent rules for lists and notes
        write_pdf(renderer(templates_dir).document(html, (ARREARS_CSS,), plain=True), out_path)
    return out_path


# --- the arrears ledger as lines ----------------------------------------------------------------------
#
# The ledger's tables are long (a row per unit and period), and a table of thousands of rows
# over many pages is the slowest thing WeasyPrint lays out. Here each row is one paragraph
# whose columns are aligned by the text grid (billing/render/textgrid.py), each a fixed
# height, and the pages are cut in Python, each starting with the column titles: layout is
# then linear in the rows, and cheap. The lengths below are those of reports/arrears-ledger.css.

LEDGER_TEMPLATE = "reports/arrears-ledger.html.j2"
LEDGER_CSS = "reports/arrears-ledger.css"
LINE_MM = 4.5  # every line of a table: column titles, rows, subtotals
_BODY_MM = {True: 180.0, False: 261.0}  # the page's content height: landscape, portrait
_WIDTH_MM = {True: 273.0, False: 182.0}  # and width
_INSET_MM = 1.0  # left and right of the text of a line
_TITLE_MM = 24.0  # company, title and facts on the first page
_FIGURES_MM = 18.0
_CHART_MM = 62.0
_HEADING_MM = 9.0  # a table's title
_SLACK_LINES = 1  # a page is cut one line before it is full
_GAP_MM = 1.6
_ROW_PT = 7.5
_COLHEAD_PT = 7.0


@dataclass(frozen=True, slots=True)
class LedgerLine:
    style: str  # CSS classes: colhead, group, subtotal, total, flag, even; more = the row goes on
    text: str


@dataclass(frozen=True, slots=True)
class LedgerPage:
    heading: str  # the title of the table that starts on this page
    lines: tuple[LedgerLine, ...]
    note: str  # the note of the table that ends on this page


def ledger_pages(view: ReportView) -> list[LedgerPage]:
    """The view's tables as pages of text lines, each page starting with the column titles.

    The first page also holds the title, the key figures and the charts; each table starts a
    page of its own after the first. A row's lines (a long owner name wraps) stay together.
    """
    body, width = _BODY_MM[view.landscape], _WIDTH_MM[view.landscape] - 2 * _INSET_MM
    used = _TITLE_MM + (_FIGURES_MM if view.figures else 0.0) + _CHART_MM * len(view.charts)
    pages: list[LedgerPage] = []
    for index, table in enumerate(view.tables):
        if index:
            used = 0.0
        rows_grid, head_grid = _grids(table.columns, width)
        titles = head_grid.lines(*(c.title for c in table.columns))
        head = [
            LedgerLine("colhead last" if i == len(titles) - 1 else "colhead", text)
            for i, text in enumerate(titles)
        ]
        capacity = int((body - used - _HEADING_MM) / LINE_MM) - _SLACK_LINES
        if capacity < len(head) + 2 and used:  # no room left under the cover: start on the next page
            pages.append(LedgerPage("", (), ""))
            capacity = int((body - _HEADING_MM) / LINE_MM) - _SLACK_LINES
        heading, lines, rows_here, data = table.title, list(head), 0, 0
        for row in table.rows:
            row_lines = _row_lines(row, table.columns, rows_grid)
            if rows_here and len(lines) + len(row_lines) > capacity:
                pages.append(LedgerPage(heading, tuple(lines), ""))
                heading, lines, rows_here = "", list(head), 0
                capacity = int(body / LINE_MM) - _SLACK_LINES
            style = str(row.style)
            if row.style is Style.DATA:
                data += 1
                style = "even" if data % 2 == 0 else ""
            lines.extend(
                LedgerLine(f"{style} more".strip() if i < len(row_lines) - 1 else style, text)
                for i, text in enumerate(row_lines)
            )
            rows_here += 1
        pages.append(LedgerPage(heading, tuple(lines), table.note))
    return pages


def _grids(columns: Sequence[Column], width_mm: float) -> tuple[TextGrid, TextGrid]:
    """The grids of a table's rows and of its column titles, columns sized by their widths."""
    room = width_mm - _GAP_MM * (len(columns) - 1)
    total = sum(c.width for c in columns)
    spec = [(room * c.width / total, "right" if _numeric(c.kind) else "left") for c in columns]
    return grid(_ROW_PT, spec, _GAP_MM), grid(_COLHEAD_PT, spec, _GAP_MM)


def _row_lines(row: Row, columns: Sequence[Column], rows_grid: TextGrid) -> list[str]:
    if row.style is Style.GROUP:
        return rows_grid.lines(cell_text(row.cells[0], Kind.TEXT), *([None] * (len(columns) - 1)))
    return rows_grid.lines(*_cell_texts(row, columns))


def ledger_html(view: ReportView, *, templates_dir: Path = TEMPLATES_DIR) -> str:
    template = renderer(templates_dir).env.get_template(LEDGER_TEMPLATE)
    return template.render(
        view=view,
        generated=generated_text(view.generated_at),
        figures=[
            {"label": f.label, "text": cell_text(f.value, f.kind), "alert": f.alert} for f in view.figures
        ],
        pages=ledger_pages(view),
    )


def render_ledger_pdf(view: ReportView, out_path: Path, *, templates_dir: Path = TEMPLATES_DIR) -> Path:
    """The view as a PDF whose tables are text lines (`ledger_pages`), for tables of any length."""
    _write_ledger_pdf(view, out_path, templates_dir)
    return out_path


def _write_ledger_pdf(view: ReportView, out_path: Path, templates_dir: Path) -> str:
    html = ledger_html(view, templates_dir=templates_dir)
    with collector_paused():
        return html_to_pdf(
            html,
            out_path,
            templates_dir,
            stylesheets=(REPORT_CSS, REPORTS_CSS, LEDGER_CSS),
            templates_dir=templates_dir,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ArrearsBuilding:
    """What one building adds to `billing arrears`: its notices and its pages of the ledger."""

    building: str
    notices: tuple[ArrearsNoticeView, ...]
    notices_path: Path
    ledger: ReportView
    ledger_path: Path


def render_arrears_building(
    job: ArrearsBuilding, *, templates_dir: Path = TEMPLATES_DIR
) -> tuple[tuple[Path, str], tuple[Path, str]]:
    """Write a building's notices and its ledger pages (runs in a worker process); each file
    with its sha256, for the manifest."""
    html = arrears_notices_html(job.notices, templates_dir=templates_dir)
    with collector_paused():
        notices_sha = write_pdf(
            renderer(templates_dir).document(html, (ARREARS_CSS,), plain=True), job.notices_path
        )
    del html
    ledger_sha = _write_ledger_pdf(job.ledger, job.ledger_path, templates_dir)
    return (job.notices_path, notices_sha), (job.ledger_path, ledger_sha)


_ARREARS_FILES = (
    ARREARS_TEMPLATE,
    ARREARS_CSS,
    LEDGER_TEMPLATE,
    LEDGER_CSS,
    REPORTS_CSS,
    REPORT_CSS,
    BASE_CSS,
)


@cache
def _arrears_fingerprint(templates_dir: Path) -> str:
    code = Path(__file__).parent
    return (
        files_digest(
            [
                *(templates_dir / name for name in _ARREARS_FILES),
                code / "textgrid.py",
                code / "pdf.py",
                Path(__file__),
            ]
        )
        + FONT_SHA256
    )


_NO_TIME = datetime(2000, 1, 1)


def arrears_content_key(job: ArrearsBuilding, *, templates_dir: Path = TEMPLATES_DIR) -> str:
    """The hash of everything a building's arrears files are made from: its notices and ledger
    pages (but the time they are generated at, so that a rerun finds the files it made
    before), the templates, stylesheets and rendering code, and the pinned font."""
    h = hashlib.sha256(_arrears_fingerprint(templates_dir).encode())
    # frozen dataclasses of strings, numbers, Decimals and dates: their repr is all they hold
    h.update(repr(job.building).encode())
    for notice in job.notices:
        h.update(repr(replace(notice, generated_at=_NO_TIME)).encode())
    h.update(repr(replace(job.ledger, generated_at=_NO_TIME)).encode())
    return h.hexdigest()


# --- deposit slip -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SlipLine:
    label: str  # 现金 / 银行代扣 批次 …
    detail: str
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class DepositSlipView:
    company: CompanyView
    day: date
    counter: tuple[SlipLine, ...]
    debits: tuple[SlipLine, ...]
    count: int
    total: Decimal
    generated_at: datetime

    def __post_init__(self) -> None:
        lines = self.counter + self.debits
        if (
            sum((ln.amount for ln in lines), Decimal(0)) != self.total
            or sum(ln.count for ln in lines) != self.count
        ):
            raise ValueError("the deposit slip's lines do not add up to its total")


def render_deposit_slip(
    view: DepositSlipView, out_path: Path, *, templates_dir: Path = TEMPLATES_DIR
) -> Path:
    template = renderer(templates_dir).env.get_template(DEPOSIT_SLIP_TEMPLATE)
    html = template.render(view=view, generated=generated_text(view.generated_at))
    html_to_pdf(
        html, out_path, templates_dir, stylesheets=(REPORT_CSS, REPORTS_CSS), templates_dir=templates_dir
    )
    return out_path


def file_name(text: str) -> str:
    """A building name or label made safe as a file name."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text.strip())
    return name.lstrip(".") or "_"
