"""Reading what the reports wrote: PDF text (pdftotext), workbook cells (openpyxl), page images."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl


def pdf_text(path: Path) -> str:
    """The text of a PDF, spaces kept (pdftotext -layout)."""
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def flat(text: str) -> str:
    """Without spaces and line breaks, for text a layout may break or space out."""
    return "".join(text.split())


def xlsx_rows(path: Path, sheet: str | None = None) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, data_only=True)
    sheets = [book[sheet]] if sheet else book.worksheets
    return [row for ws in sheets for row in ws.iter_rows(values_only=True)]


def xlsx_numbers(path: Path) -> set[Decimal]:
    """Every numeric cell of the workbook, as a Decimal to the fen (as the acceptance reads it)."""
    out = set()
    for row in xlsx_rows(path):
        for cell in row:
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                out.add(Decimal(str(cell)).quantize(Decimal("0.01")))
    return out


def row_starting(path: Path, sheet: str, first: object) -> tuple[object, ...]:
    found = [r for r in xlsx_rows(path, sheet) if r and r[0] == first]
    assert len(found) == 1, f"{first!r} in {sheet}: {found}"
    return found[0]


def page_png(pdf: Path, out: Path, page: int = 1, dpi: int = 60) -> Path:
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(out.with_suffix("")),
        ],
        check=True,
    )
    return out
