"""The acceptance estate (../shared/acceptance/estate_p), played through the pipeline functions."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from billing.domain.period import Period
from billing.pipeline.billrun import issue_bills
from billing.pipeline.context import Context, StepResult
from billing.pipeline.imports import KINDS, import_file, readings_kind

ESTATE = Path(__file__).resolve().parents[2].parent / "shared" / "acceptance" / "estate_p"
OCT, NOV = Period(2026, 10), Period(2026, 11)


def use_estate_config(ctx: Context) -> None:
    for name in ("settings.toml", "tariffs.toml"):
        shutil.copyfile(ESTATE / "config" / name, ctx.workspace.config_dir / name)


def readings_file(folder: Path, period: Period, **override: str) -> Path:
    rows = {**json.loads((ESTATE / "readings.json").read_text())[str(period)], **override}
    path = folder / f"readings-{period}.csv"
    path.write_text("meter_id,reading\n" + "".join(f"{k},{v}\n" for k, v in rows.items()), encoding="utf-8")
    return path


def ok(result: StepResult) -> StepResult:
    assert result.exit_code in (0, 1), [p.render("en") for p in result.problems]
    return result


def master_data(ctx: Context) -> None:
    for kind in ("units", "meters", "meter-changes"):
        ok(import_file(ctx, KINDS[kind], ESTATE / f"{kind}.csv", today=date(2026, 10, 1)))


def october(ctx: Context, folder: Path) -> None:
    """Master data, October's readings, and October's bills issued on 2026-11-03."""
    master_data(ctx)
    ok(
        import_file(
            ctx, readings_kind(OCT), readings_file(folder, OCT), today=date(2026, 11, 2), scope=str(OCT)
        )
    )
    ok(issue_bills(ctx, OCT, date(2026, 11, 3)))
