"""Fixed-width text files: every field a given number of BYTES of the file's encoding."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence

from billing.banks.layout import NUMERIC, Align, Field, FileFormat
from billing.banks.text import read_codec


def render(rows: Iterable[Sequence[str]], ff: FileFormat) -> str:
    """The text of the rows; each value is already padded to its width in bytes."""
    lines = ["".join(r) for r in rows]
    return ff.newline.join(lines) + ff.newline if lines else ""


def lines(data: bytes) -> list[tuple[int, bytes]]:
    """(line number, bytes) of every non-blank line.

    Splitting the bytes is safe in GBK and GB18030: no byte of a multi-byte character is a newline.
    """
    out = []
    for n, line in enumerate(data.split(b"\n"), 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.strip():
            out.append((n, line))
    return out


def _stripper(f: Field) -> Callable[[str], str]:
    """Removes the padding: spaces always, and a text's own pad character on its padded side."""
    pad = f.pad
    if f.source in NUMERIC or pad == " ":
        return str.strip
    if f.align is Align.RIGHT:
        return lambda s: s.strip().lstrip(pad)
    return lambda s: s.strip().rstrip(pad)


Splitter = Callable[[bytes], "list[str] | str"]


def splitter(fields: Sequence[Field], ff: FileFormat) -> Splitter:
    """A function cutting one line into the text of each field, or returning why it cannot."""
    width = sum(f.width or 0 for f in fields)
    unpack = struct.Struct("".join(f"{f.width}s" for f in fields)).unpack
    codec = read_codec(ff.encoding)
    # (position, how to strip it) of the fields to read; an `ignore` field is never decoded
    wanted = tuple((i, _stripper(f)) for i, f in enumerate(fields) if f.source != "ignore")
    n = len(fields)

    def split(line: bytes) -> list[str] | str:
        if len(line) != width:
            if len(line) > width and not line[width:].strip():
                line = line[:width]
            elif len(line) > width:
                return f"{len(line)} bytes, expected {width}"
            else:
                line = line.ljust(width)
        parts = unpack(line)
        values = [""] * n
        try:
            for i, strip in wanted:
                p = parts[i]
                values[i] = strip(p.decode("ascii") if p.isascii() else p.decode(codec))
        except UnicodeDecodeError:
            return "encoding"
        return values

    return split


def columns(
    lines: Sequence[bytes], fields: Sequence[Field], ff: FileFormat, wanted: Sequence[int]
) -> dict[int, list[str]] | None:
    """The stripped text of the wanted fields over all lines, in bulk; None when any line is
    not exactly as wide as the record or does not decode (the caller then goes line by line)."""
    width = sum(f.width or 0 for f in fields)
    if set(map(len, lines)) != {width}:
        return None
    unpack = struct.Struct("".join(f"{f.width}s" for f in fields)).unpack
    cells = list(zip(*map(unpack, lines), strict=True))
    codec = read_codec(ff.encoding)
    out = {}
    for p in wanted:
        joined = b"\n".join(cells[p])  # no byte of a GBK/GB18030 character is a newline
        try:
            text = joined.decode("ascii") if joined.isascii() else joined.decode(codec)
        except UnicodeDecodeError:
            return None
        values = text.split("\n")
        if len(values) != len(lines):
            return None
        strip = _stripper(fields[p])
        out[p] = list(map(strip, values))
    return out
