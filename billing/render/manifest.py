"""The notices manifest: which file was made from which content, so a rerun redoes only changes.

`out/P/notices/manifest.csv`, one row per file: `building,file,units,total,sha256,key`.
`sha256` is the file's own hash (a file edited or damaged on disk is made again), `key` the
hash of what it was made from (the building's views, the layout, the template version and the
template files). Written whole to a temporary file and renamed (`write_manifest`); while files
are being made, `Manifest` writes it at most every few seconds and at the end, so a crash loses
at most the files of those seconds (made again by the rerun), and an estate of 5,000
buildings does not write 5,000 ever longer manifests.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from billing.domain.money import format_money

MANIFEST_NAME = "manifest.csv"
COLUMNS = ("building", "file", "units", "total", "sha256", "key")


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestRow:
    building: str
    file: str  # the file's name, relative to the manifest's folder
    units: int
    total: Decimal
    sha256: str
    key: str


def read_manifest(path: Path) -> dict[str, ManifestRow]:
    """The rows of a manifest by file name; empty when there is none or it cannot be read.

    An unreadable manifest only costs a re-render, so it is not an error.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return {}
    rows: dict[str, ManifestRow] = {}
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        return {}
    for raw in reader:
        try:
            row = ManifestRow(
                building=raw["building"],
                file=raw["file"],
                units=int(raw["units"]),
                total=Decimal(raw["total"]),
                sha256=raw["sha256"],
                key=raw["key"],
            )
        except (ValueError, ArithmeticError, KeyError, TypeError):
            continue
        rows[row.file] = row
    return rows


def write_manifest(path: Path, rows: Mapping[str, ManifestRow] | Iterable[ManifestRow]) -> None:
    """Write the manifest, rows sorted by building then file, atomically."""
    items = rows.values() if isinstance(rows, Mapping) else rows
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in sorted(items, key=lambda r: (r.building, r.file)):
        writer.writerow((r.building, r.file, r.units, format_money(r.total), r.sha256, r.key))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(out.getvalue())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_current(row: ManifestRow | None, folder: Path, key: str) -> bool:
    """True when the file was made from `key` and is still on disk, unchanged."""
    if row is None or row.key != key:
        return False
    path = folder / row.file
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return hashlib.sha256(data).hexdigest() == row.sha256


class Manifest:
    """The manifest of a folder while its files are being made."""

    def __init__(self, path: Path, *, every_s: float = 5.0) -> None:
        self.path = path
        self.rows = read_manifest(path)
        self.every_s = every_s
        self._dirty = False
        self._written = time.monotonic()

    def current(self, names: Sequence[str], key: str) -> bool:
        """True when every one of `names` was made from `key` and is on disk unchanged."""
        return all(is_current(self.rows.get(name), self.path.parent, key) for name in names)

    def record(self, rows: Iterable[ManifestRow]) -> None:
        """Files just made; the manifest is written when the last write is `every_s` old."""
        for row in rows:
            self.rows[row.file] = row
            self._dirty = True
        if time.monotonic() - self._written >= self.every_s:
            self.flush()

    def flush(self) -> None:
        """Write what was recorded since the last write (nothing when nothing was)."""
        if self._dirty:
            write_manifest(self.path, self.rows)
            self._dirty = False
        self._written = time.monotonic()
