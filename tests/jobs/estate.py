"""The committed fixture estate (fixtures/estate) and the files the inbox job picks up."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path

from billing.domain.period import Period
from billing.pipeline.context import Context, StepResult
from billing.pipeline.imports import KINDS, import_file, readings_kind

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "estate"
OCT = Period(2026, 10)
DEPOSITS = "date,slip_no,unit_id,payer,amount,method\n"


def ok(result: StepResult) -> StepResult:
    assert result.exit_code in (0, 1), [p.render("en") for p in result.problems]
    return result


def use_fixture_config(ctx: Context) -> None:
    for name in ("settings.toml", "tariffs.toml"):
        shutil.copyfile(FIXTURE / "config" / name, ctx.workspace.config_dir / name)


def master_data(ctx: Context) -> None:
    """Units, meters and the meter change of the fixture estate (159 units, 338 meters)."""
    use_fixture_config(ctx)
    for kind in ("units", "meters", "meter-changes"):
        ok(import_file(ctx, KINDS[kind], FIXTURE / f"{kind}.csv", today=date(2026, 10, 1)))


def october_readings(ctx: Context) -> None:
    path = FIXTURE / "readings-2026-10.csv"
    ok(import_file(ctx, readings_kind(OCT), path, today=date(2026, 11, 2), scope=str(OCT)))


def drop(folder: Path, name: str, content: str | bytes, *, age: float = 10.0) -> Path:
    """A file in an inbox folder, written `age` seconds ago (settled: not being copied any more)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    then = time.time() - age
    os.utime(path, (then, then))
    return path
