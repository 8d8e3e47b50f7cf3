"""CSV files: detect the encoding, then let polars split the rows, keeping each row's line number.

Encodings tried in order: UTF-8 (a BOM is dropped), then GB18030, a superset of GBK and GB2312. A
byte sequence neither accepts, or a control character no text file has (NUL, …), is BAD_ENCODING.

Line numbers: polars gives one row per CSV record (blank lines included, as all-null rows), so
the line a record starts on is 1 + the newlines before it. Records are found without a Python
loop: a newline ends a record unless an odd number of quotes precede it (RFC 4180 quoting keeps
the parity of a quoted field even). Should polars ever disagree with that count, the file is read
again with the standard csv module, which is slower but tracks lines itself.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import polars as pl

from billing.ingest.grid import Grid, GridError, drop_blank_rows

_BOM = b"\xef\xbb\xbf"
# Bytes that are never part of a UTF-8 or GB18030 multi-byte sequence and never in a text table.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINE = 0x0A
_QUOTE = 0x22


def decode(raw: bytes) -> bytes:
    """The file as UTF-8 bytes without BOM; GridError("BAD_ENCODING") when it is not text we know."""
    raw = raw.rstrip(b"\x1a")  # DOS end-of-file marker some old exporters still write
    if _CONTROL.search(raw):
        raise GridError("BAD_ENCODING")
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        raw.decode("utf-8")
        return raw
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise GridError("BAD_ENCODING") from None
    return text.lstrip("\ufeff").encode("utf-8")


def read_csv_grid(raw: bytes) -> Grid:
    if not raw:
        raise GridError("FILE_EMPTY")
    body = decode(raw)
    offset, skipped = _skip_blank_head(body)
    if offset >= len(body):
        raise GridError("FILE_EMPTY")
    body = body[offset:]
    starts = _record_start_lines(body) + 1 + skipped
    try:
        frame = pl.read_csv(
            body,
            has_header=False,
            infer_schema=False,
            truncate_ragged_lines=True,
            quote_char='"',
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return _read_with_csv_module(body, skipped)
    if frame.height != len(starts):
        return _read_with_csv_module(body, skipped)
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    return drop_blank_rows(frame, pl.Series("line", starts, dtype=pl.Int64))


def _skip_blank_head(body: bytes) -> tuple[int, int]:
    """Byte offset of the first line with content, and how many lines come before it."""
    offset = 0
    skipped = 0
    while offset < len(body):
        end = body.find(b"\n", offset)
        stop = len(body) if end < 0 else end
        if body[offset:stop].decode("utf-8").replace(",", "").strip():
            break
        skipped += 1
        offset = stop + 1
    return offset, skipped


def _record_start_lines(body: bytes) -> np.ndarray:
    """0-based line index, within `body`, of the first line of each CSV record."""
    data = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(data == _NEWLINE)
    if body.find(b'"') >= 0:
        # uint8 wraps around, which keeps the parity we need while using 1 byte per input byte
        quotes = np.cumsum(data == _QUOTE, dtype=np.uint8)
        ends = newlines[(quotes[newlines] & 1) == 0]
    else:
        ends = newlines
    starts = np.concatenate((np.zeros(1, dtype=np.int64), ends.astype(np.int64) + 1))
    if starts[-1] >= len(body):
        starts = starts[:-1]  # the file ends with a newline: no record after it
    return np.searchsorted(newlines, starts).astype(np.int64)


def _read_with_csv_module(body: bytes, skipped: int) -> Grid:
    text = body.decode("utf-8")
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    last = 0
    try:
        for row in reader:
            rows.append(row)
            lines.append(last + 1 + skipped)
            last = reader.line_num
    except csv.Error as exc:
        raise GridError("FILE_UNREADABLE", reason=str(exc)) from None
    if not rows:
        raise GridError("FILE_EMPTY")
    width = len(rows[0])
    names = [f"c{i}" for i in range(width)]
    columns = {name: [row[i] if i < len(row) else None for row in rows] for i, name in enumerate(names)}
    frame = pl.DataFrame(columns, schema={n: pl.String for n in names})
    return drop_blank_rows(frame, pl.Series("line", lines, dtype=pl.Int64))
