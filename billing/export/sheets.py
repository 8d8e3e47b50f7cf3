"""Reading sheets: one XLSX per building for building staff to fill in and hand back.

The sheet's headers are those `billing import readings` reads (表号, 本期读数, 抄表日期); the
other columns help the reader and are ignored on import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import xlsxwriter

HEADER = ("表号", "房号", "楼层", "类别", "范围", "倍率", "上期读数", "上期抄表日期", "本期读数", "抄表日期")
UTILITY = {"water": "水", "electricity": "电"}
SCOPE = {"unit": "户表", "common": "公用", "master": "总表"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetRow:
    meter_id: str
    unit_id: str
    floor: int | None
    utility: str
    scope: str
    multiplier: Decimal
    previous: Decimal
    previous_date: date | None


def write_sheet(path: Path, title: str, rows: Sequence[SheetRow]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(title[:31])
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    cell = book.add_format({"border": 1})
    text = book.add_format({"border": 1, "num_format": "@"})
    entry = book.add_format({"border": 1, "bg_color": "#FFF2CC"})
    sheet.write_row(0, 0, HEADER, head)
    for r, row in enumerate(rows, start=1):
        sheet.write_string(r, 0, row.meter_id, text)
        sheet.write_string(r, 1, row.unit_id, text)
        sheet.write(r, 2, row.floor if row.floor is not None else "", cell)
        sheet.write_string(r, 3, UTILITY.get(row.utility, row.utility), cell)
        sheet.write_string(r, 4, SCOPE.get(row.scope, row.scope), cell)
        sheet.write_string(r, 5, str(row.multiplier), text)
        # the previous reading as text: its exact decimal, not a double
        sheet.write_string(r, 6, str(row.previous), text)
        sheet.write_string(r, 7, row.previous_date.isoformat() if row.previous_date else "", text)
        sheet.write_blank(r, 8, None, entry)
        sheet.write_blank(r, 9, None, entry)
    sheet.set_column(0, 1, 14)
    sheet.set_column(2, 5, 7)
    sheet.set_column(6, 9, 14)
    sheet.freeze_panes(1, 0)
    book.close()
    return path
