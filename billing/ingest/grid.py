"""The common shape the CSV and XLSX readers produce: every non-blank row of text, with its line."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


class GridError(Exception):
    """A file that cannot be read as a table at all; carries the problem code and its parameters."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True, eq=False)
class Grid:
    """`frame`: all columns Utf8 (positional names), the header first, blank rows already dropped;
    `lines`: the 1-based line (or sheet row) of each row of `frame`."""

    frame: pl.DataFrame
    lines: pl.Series


def drop_blank_rows(frame: pl.DataFrame, lines: pl.Series) -> Grid:
    """Keep the rows that have at least one non-blank cell (a row of only commas is blank)."""
    if frame.width == 0:
        return Grid(frame, pl.Series("line", [], dtype=pl.Int64))
    filled = pl.any_horizontal(
        [pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "") for c in frame.columns]
    )
    keep = frame.select(filled.alias("keep")).to_series()
    if keep.all():
        return Grid(frame, lines.cast(pl.Int64))
    return Grid(frame.filter(keep), lines.filter(keep).cast(pl.Int64))
