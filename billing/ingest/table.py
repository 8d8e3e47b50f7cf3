"""Read an input file into a `Table`: canonical columns of text, each row with its line in the file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from billing.domain.problem import Problem, has_errors
from billing.ingest.csv_reader import read_csv_grid
from billing.ingest.grid import Grid, GridError
from billing.ingest.xlsx_reader import read_xlsx_grid

LINE = "_line"

_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnSpec:
    """One column of a file kind: its canonical English name, its other headers, whether it must be there.

    Headers match after trimming; English names ignore case.
    """

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def label(self) -> str:
        """How a missing column is named to the user: every header it may have."""
        return "/".join((self.name, *self.aliases))


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Table:
    """The rows of one file.

    `frame` has one Utf8 column per `ColumnSpec` (canonical name; all-null when an optional column
    is absent) and `_line` (Int64): the 1-based line of the row in the file as a person opens it
    (CSV: the physical line, header included, blank lines counted; XLSX: the sheet row). Values are
    trimmed, empty cells are null, blank rows are dropped. `headers` maps each canonical name found
    to the header text the file used (so messages can say "表号" to whoever wrote "表号").
    `problems` are file-level: FILE_NOT_FOUND, FILE_UNREADABLE, BAD_ENCODING, NOT_XLSX, FILE_EMPTY,
    NO_ROWS, MISSING_COLUMN, DUPLICATE_COLUMN.
    """

    file: str
    frame: pl.DataFrame
    headers: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)

    @property
    def height(self) -> int:
        return self.frame.height


def read_table(path: Path, columns: Sequence[ColumnSpec]) -> Table:
    """Read a CSV or XLSX file (first sheet) into a `Table` with the given columns.

    Never raises for bad user files: every trouble is a problem on the returned table.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        return _failed(name, columns, Problem.error("FILE_NOT_FOUND", file=name))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _failed(name, columns, Problem.error("FILE_UNREADABLE", file=name, reason=exc.strerror))
    try:
        if path.suffix.lower() in _EXCEL_SUFFIXES or raw.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
            grid = read_xlsx_grid(raw)
        else:
            grid = read_csv_grid(raw)
    except GridError as exc:
        params = tuple((k, str(v)) for k, v in exc.params.items())
        return _failed(name, columns, Problem(code=exc.code, params=params, file=name))
    return _to_table(name, grid, columns)


def empty_frame(columns: Sequence[ColumnSpec]) -> pl.DataFrame:
    return pl.DataFrame(
        schema={**{c.name: pl.String for c in columns}, LINE: pl.Int64},
    )


def _failed(name: str, columns: Sequence[ColumnSpec], problem: Problem) -> Table:
    return Table(file=name, frame=empty_frame(columns), problems=(problem,))


def _header_key(text: str) -> str:
    return text.strip().strip("\ufeff").strip().lower()


def _to_table(name: str, grid: Grid, columns: Sequence[ColumnSpec]) -> Table:
    frame = grid.frame
    if frame.height == 0:
        return _failed(name, columns, Problem.error("FILE_EMPTY", file=name))
    header_line = int(grid.lines[0])
    header_row = frame.row(0)

    by_header: dict[str, ColumnSpec] = {}
    for spec in columns:
        for text in (spec.name, *spec.aliases):
            by_header[_header_key(text)] = spec

    problems: list[Problem] = []
    position: dict[str, int] = {}
    headers: dict[str, str] = {}
    for i, cell in enumerate(header_row):
        if cell is None:
            continue
        found = by_header.get(_header_key(cell))
        if found is None:
            continue  # unknown columns are ignored
        if found.name in position:
            problems.append(
                Problem.error("DUPLICATE_COLUMN", file=name, line=header_line, column=cell.strip())
            )
            continue
        position[found.name] = i
        headers[found.name] = cell.strip()
    for spec in columns:
        if spec.required and spec.name not in position:
            problems.append(Problem.error("MISSING_COLUMN", file=name, line=header_line, column=spec.label))

    body = frame.slice(1)
    lines = grid.lines.slice(1)
    if body.height == 0 and not problems:
        problems.append(Problem.error("NO_ROWS", file=name))

    raw_names = frame.columns
    out = body.with_columns(lines.alias(LINE).cast(pl.Int64)).select(
        [
            _clean(pl.col(raw_names[position[spec.name]])).alias(spec.name)
            if spec.name in position
            else pl.lit(None, dtype=pl.String).alias(spec.name)
            for spec in columns
        ]
        + [pl.col(LINE)]
    )
    return Table(file=name, frame=out, headers=headers, problems=tuple(problems))


def _clean(col: pl.Expr) -> pl.Expr:
    stripped = col.str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)
