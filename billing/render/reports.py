"""Reports for the supervisor and finance: PDF (Jinja2 → WeasyPrint) and XLSX from one view.

A report is a `ReportView`: a title, a few facts about it, key figures, tables of finished
numbers and charts. The same view is written as a PDF (`render_report_pdf`, with the shared
look of `billing.render.pdf` and templates/reports/report.css) and as a workbook
(`write_report_xlsx`, one sheet per table, amounts as numbers), so both show the same figures.
The arrears notices and the deposit slip have their own views and templates.

Nothing here computes a figure: totals and subtotals are rows of the view. Cells only get
their printed form: amounts with two decimals and thousands separators, rates as percents.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import xlsxwriter

from billing.render.charts import ChartView
from billing.render.pdf import REPORT_CSS, TEMPLATES_DIR, html_to_pdf, money, renderer
from billing.render.views import CompanyView

REPORTS_CSS = "reports/report.css"
REPORT_TEMPLATE = "reports/report.html.j2"
ARREARS_TEMPLATE = "reports/arrears-notice.html.j2"
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
                    {
                        "text": "–"
                        if c.blank_zero and row.style is Style.DATA and v == 0
                        else cell_text(v, c.kind),
                        "num": _numeric(c.kind),
                    }
                    for v, c in zip(row.cells, table.columns, strict=True)
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


def render_report_pdf(view: ReportView, out_path: Path, *, templates_dir: Path = TEMPLATES_DIR) -> Path:
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
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".part")
    book = xlsxwriter.Workbook(str(tmp), {"default_date_format": "yyyy-mm-dd"})
    book.set_properties(
        {
            "title": view.title,
            "company": view.company,
            "created": view.generated_at,
            "comments": "estate-billing",
        }
    )
    formats = _Formats(book)
    taken: set[str] = set()
    for table in view.tables:
        _write_sheet(book, formats, view, table, sheet_name(table.sheet, taken))
    book.close()
    os.replace(tmp, out_path)
    return out_path


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


def _write_sheet(book: Any, formats: _Formats, view: ReportView, table: TableView, name: str) -> None:
    sheet = book.add_worksheet(name)
    last_col = max(len(table.columns) - 1, 1)
    sheet.merge_range(0, 0, 0, last_col, f"{view.title} — {table.title}", formats.get("title"))
    facts = "　".join(f"{k}：{v}" for k, v in view.meta)
    sheet.merge_range(1, 0, 1, last_col, f"{view.company}　{facts}", formats.get("meta"))
    sheet.merge_range(
        2, 0, 2, last_col, f"生成时间：{generated_text(view.generated_at)}", formats.get("meta")
    )
    header = 4
    sheet.set_row(header, 30)
    for c, column in enumerate(table.columns):
        sheet.write_string(header, c, column.title, formats.get("header"))
        sheet.set_column(c, c, max(column.width, len(column.title) * 2 + 2))
    r = header
    for row in table.rows:
        r += 1
        if row.style is Style.GROUP:
            sheet.merge_range(r, 0, r, last_col, str(row.cells[0] or ""), formats.get(Kind.TEXT, Style.GROUP))
            continue
        for c, (value, column) in enumerate(zip(row.cells, table.columns, strict=True)):
            fmt = formats.get(column.kind, row.style)
            _write_cell(sheet, r, c, value, column.kind, fmt)
    if table.note:
        sheet.merge_range(r + 2, 0, r + 2, last_col, table.note, formats.get("meta"))
    sheet.freeze_panes(header + 1, 0)
    sheet.repeat_rows(header)
    if view.landscape or len(table.columns) > 8:
        sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_footer("&C第 &P 页 / 共 &N 页")


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
    """One PDF of the notices given (one building's, in print order), one notice per page."""
    html_to_pdf(
        arrears_notices_html(notices, templates_dir=templates_dir),
        out_path,
        templates_dir,
        stylesheets=(REPORT_CSS, REPORTS_CSS),
        templates_dir=templates_dir,
    )
    return out_path


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
