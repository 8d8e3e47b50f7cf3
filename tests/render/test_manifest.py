"""The manifest being added to while a folder's files are made."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

from billing.render.manifest import Manifest, ManifestRow, read_manifest


def made(folder: Path, name: str, building: str, key: str = "k1") -> ManifestRow:
    data = f"pdf of {building}".encode()
    (folder / name).write_bytes(data)
    return ManifestRow(
        building=building,
        file=name,
        units=2,
        total=Decimal("10.50"),
        sha256=hashlib.sha256(data).hexdigest(),
        key=key,
    )


def test_rows_are_written_every_few_seconds_and_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "manifest.csv"
    manifest = Manifest(path, every_s=3600)
    manifest.record([made(tmp_path, "1.pdf", "1")])
    assert not path.exists()  # not yet: one building does not rewrite the whole manifest
    manifest.record([made(tmp_path, "2.pdf", "2")])
    manifest.flush()
    assert sorted(read_manifest(path)) == ["1.pdf", "2.pdf"]


def test_with_no_delay_every_record_is_written_at_once(tmp_path: Path) -> None:
    path = tmp_path / "manifest.csv"
    manifest = Manifest(path, every_s=0)
    manifest.record([made(tmp_path, "1.pdf", "1")])
    assert list(read_manifest(path)) == ["1.pdf"]


def test_a_file_is_current_only_with_its_key_and_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "manifest.csv"
    first = Manifest(path)
    first.record([made(tmp_path, "1.pdf", "1")])
    first.flush()
    again = Manifest(path)  # a rerun reads what the first run wrote
    assert again.current(["1.pdf"], "k1")
    assert not again.current(["1.pdf"], "k2")  # made from other content
    assert not again.current(["1.pdf", "2.pdf"], "k1")  # a file never made
    (tmp_path / "1.pdf").write_bytes(b"edited by hand")
    assert not again.current(["1.pdf"], "k1")
