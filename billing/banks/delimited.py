"""Delimited text files (CSV, pipe-separated…): lines out, records in."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from billing.banks.layout import FileFormat, Quoting


def render(rows: Iterable[Sequence[str]], ff: FileFormat, *, plain: bool = False) -> str:
    """The text of the rows, every line ended by the layout's newline.

    `plain`: the caller knows no value needs CSV quoting, so joining gives the same text.
    """
    if ff.quoting is Quoting.CSV and not plain:
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=ff.delimiter, lineterminator=ff.newline, quoting=csv.QUOTE_MINIMAL)
        writer.writerows((*r, "") for r in rows) if ff.trailing_delimiter else writer.writerows(rows)
        return buf.getvalue()
    d = ff.delimiter
    end = (d if ff.trailing_delimiter else "") + ff.newline
    lines = [d.join(r) for r in rows]
    return end.join(lines) + end if lines else ""


def records(text: str, ff: FileFormat) -> list[tuple[int, list[str]]] | list[tuple[int, str]]:
    """(line number, record) of every non-blank record: its values when CSV-quoted, else its text.

    Unquoted lines are split by the reader, one at a time, so that a million rows never sit in
    memory as a million lists.
    """
    if ff.quoting is Quoting.CSV:
        out: list[tuple[int, list[str]]] = []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=ff.delimiter, strict=False)
        start = 1
        for row in reader:
            if row and (row[0].strip() or any(v.strip() for v in row)):
                out.append((start, row))
            start = reader.line_num + 1
        return out
    lines = text.split("\n")
    return [
        (n, line[:-1] if line.endswith("\r") else line) for n, line in enumerate(lines, 1) if line.strip()
    ]
