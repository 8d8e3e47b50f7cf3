"""Junk in, clear errors out: every importer, through the command line, on SQLite and PostgreSQL.

Each junk file gives exit 2 and a problem line naming the file, never a traceback, and the
database is exactly as it was.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from billing.pipeline.context import open_context
from billing.store.schema import metadata
from tests.pipeline.estate import ESTATE

IMPORTERS = {
    "units": (),
    "meters": (),
    "readings": ("--period", "2026-10"),
    "meter-changes": (),
    "deposits": (),
    "bank-return": ("--bank", "generic-csv"),
}
HEADERS = {
    "units": "unit_id,building,floor,kind,area_m2",
    "meters": "meter_id,utility,scope,unit_id",
    "readings": "meter_id,reading",
    "meter-changes": "meter_id,date,old_final,new_initial",
    "deposits": "date,slip_no,unit_id,payer,amount,method",
    "bank-return": "reference,account,amount,status,reason,date",
}


def _junk(kind: str) -> dict[str, bytes]:
    rnd = random.Random(kind)
    return {
        "random.csv": bytes(rnd.getrandbits(8) for _ in range(4096)),
        "empty.csv": b"",
        "header-only.csv": (HEADERS[kind] + "\n").encode(),
        "utf16.csv": (HEADERS[kind] + "\n1,2,3\n").encode("utf-16"),
        "not-really.xlsx": b"PK\x03\x04" + bytes(rnd.getrandbits(8) for _ in range(2000)),
    }


def billing(ws: Path, *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "billing", "-w", str(ws), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


def _snapshot(ws: Path) -> dict[str, int]:
    ctx = open_context(ws)
    try:
        with ctx.engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables
            }
    finally:
        ctx.engine.dispose()


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
def test_junk_is_refused_cleanly(workspace: Path, tmp_path: Path, kind: str) -> None:
    for name in ("units", "meters"):
        assert billing(workspace, "import", name, ESTATE / f"{name}.csv").returncode == 0
    before = _snapshot(workspace)
    for name, data in _junk(kind).items():
        path = tmp_path / name
        path.write_bytes(data)
        r = billing(workspace, "import", kind, path, *IMPORTERS[kind])
        said = r.stdout + r.stderr
        assert r.returncode == 2, (name, said)
        assert "Traceback" not in said, said
        assert f"{name}:" in said, said  # the problem names the file
    missing = billing(workspace, "import", kind, tmp_path / "no-such-file.csv", *IMPORTERS[kind])
    assert missing.returncode == 2 and "FILE_NOT_FOUND" in missing.stderr
    assert _snapshot(workspace) == before


def test_problems_are_in_english_on_request(sqlite_workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "units.csv"
    bad.write_text("unit_id,building,floor,kind,area_m2\nA-1,A,1,castle,-5\n", encoding="utf-8")
    zh = billing(sqlite_workspace, "import", "units", bad)
    en = billing(sqlite_workspace, "--lang", "en", "import", "units", bad)
    assert zh.returncode == en.returncode == 2
    assert f"{bad}:2: BAD_CHOICE" in zh.stderr or "units.csv:2: BAD_CHOICE" in zh.stderr
    assert "expected one of" in en.stderr and "应为" in zh.stderr
