"""XLSX files (first sheet) via fastexcel/calamine, every cell read as its text.

A number cell comes out as the shortest decimal text that gives the same double (calamine formats
the f64 that way: 310.8, never 310.80000000000001; 2118.0 as 2118). This is the one place a float
exists, inside fastexcel; we never see it. A date cell comes out as "YYYY-MM-DD HH:MM:SS", which we
cut to its date — only where the cell really is a date (a second read of those columns as
datetimes tells), so a text cell that happens to look like one is left alone.
"""

from __future__ import annotations

import fastexcel
import polars as pl

from billing.ingest.grid import Grid, GridError, drop_blank_rows

_DATETIME_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$"


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_xlsx_grid(raw: bytes) -> Grid:
    if not raw:
        raise GridError("FILE_EMPTY")
    # calamine parses untrusted bytes; whatever it raises (zip, XML, cell errors) means the file
    # is not a workbook we can read, so every exception becomes NOT_XLSX rather than a traceback.
    try:
        reader = fastexcel.read_excel(raw)
        if not reader.sheet_names:
            raise GridError("FILE_EMPTY")
        frame = _load(reader)
    except GridError:
        raise
    except Exception as exc:
        raise GridError("NOT_XLSX", reason=_reason(exc)) from None
    if frame.width == 0 or frame.height == 0:
        raise GridError("FILE_EMPTY")
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    frame = _dates_as_dates(reader, frame)
    # header_row=None with skip_rows=0 keeps the empty rows above the data, so row i is sheet row i+1
    lines = pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64)
    return drop_blank_rows(frame, lines)


def _load(reader: fastexcel.ExcelReader, columns: list[int] | None = None) -> pl.DataFrame:
    """Every cell as text, or (with `columns`) those columns as datetimes, from sheet row 1 on."""
    if columns is None:
        sheet = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
    else:
        sheet = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="datetime", use_columns=columns)
    return sheet.to_polars()


def _dates_as_dates(reader: fastexcel.ExcelReader, frame: pl.DataFrame) -> pl.DataFrame:
    looks_like = frame.select(pl.all().str.contains(_DATETIME_TEXT).any()).row(0)
    suspects = [i for i, hit in enumerate(looks_like) if hit]
    if not suspects:
        return frame
    try:
        dated = _load(reader, suspects)
    except Exception:  # same reason as above: calamine on untrusted input; keep the text
        dated = None
    if dated is None or dated.height != frame.height or dated.width != len(suspects):
        return frame
    updates = []
    for i, name in zip(suspects, dated.columns, strict=True):
        text = pl.col(f"c{i}")
        is_date = text.str.contains(_DATETIME_TEXT) & dated.get_column(name).is_not_null()
        updates.append(pl.when(is_date).then(text.str.slice(0, 10)).otherwise(text).alias(f"c{i}"))
    return frame.with_columns(updates)
