"""Write a header and rows as CSV (UTF-8, `,`, CONTRACT §4) or, for a `.xlsx` name, as a sheet."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

import xlsxwriter


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """CSV unless the name ends in .xlsx. Written to a temporary name, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(tmp, header, rows)
    else:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    os.replace(tmp, path)
    return path


def _write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "0.00"})
    sheet.write_row(0, 0, list(header), bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, Decimal):
                # Excel stores numbers as doubles; the cell shows the exact decimal text's value
                sheet.write_number(r, c, float(value), money)  # float-ok: display cell only
            elif value is None:
                continue
            else:
                sheet.write(r, c, value)
    book.close()
