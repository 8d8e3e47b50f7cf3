"""Ingest: input files → a `Table` of strings with their source lines (CSV/XLSX, encodings, header aliases).

`read_table(path, columns)` reads a CSV (UTF-8 with or without BOM, GBK, GB18030 — detected) or the
first sheet of an XLSX into a polars frame whose columns are the canonical English names, every
value its text, plus `_line`, the line (or sheet row) a person sees when opening the file. File-level
trouble (missing file, bad encoding, missing column…) comes back as problems on the table, never as
an exception. The column lists of each file kind of CONTRACT §2 are in `billing.ingest.columns`.

May import domain (problems) and touch files; knows nothing of validation, the database or rating.
"""

from billing.ingest.columns import DEPOSITS, METER_CHANGES, METERS, READINGS, UNITS
from billing.ingest.table import LINE, ColumnSpec, Table, read_table

__all__ = [
    "DEPOSITS",
    "LINE",
    "METERS",
    "METER_CHANGES",
    "READINGS",
    "UNITS",
    "ColumnSpec",
    "Table",
    "read_table",
]
