"""XLSX files: every cell written as text; read with calamine (first sheet, or the named one)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

import fastexcel
import xlsxwriter

from billing.banks.layout import FileFormat


def render(rows: Iterable[Sequence[str]], ff: FileFormat, created: date) -> bytes:
    """The workbook's bytes; the same rows and date give the same bytes."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"created": datetime(created.year, created.month, created.day)})
    sheet = book.add_worksheet(ff.sheet or None)
    write = sheet.write_string
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            write(r, c, value)
    book.close()
    return buf.getvalue()


def records(path: Path, ff: FileFormat) -> list[tuple[int, list[str]]]:
    """(row number, cell texts) of every non-blank row. Raises ValueError when it is not XLSX.

    A number cell reads as the shortest decimal giving the same double (what Excel shows);
    a date cell as `YYYY-MM-DD 00:00:00`, which the date parser accepts.
    """
    try:
        reader = fastexcel.read_excel(path)
        sheet = reader.load_sheet(ff.sheet if ff.sheet else 0, header_row=None, skip_rows=0, dtypes="string")
        rows = sheet.to_polars().rows()
    except Exception as exc:  # calamine raises its own error types; all mean "not a usable workbook"
        raise ValueError(str(exc).splitlines()[0]) from exc
    out = []
    for n, row in enumerate(rows, 1):
        values = ["" if v is None else str(v) for v in row]
        while values and not values[-1].strip():  # the sheet is as wide as its widest row
            values.pop()
        if values:
            out.append((n, values))
    return out
