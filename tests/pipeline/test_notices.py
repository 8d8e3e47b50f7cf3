"""`billing notices`: a notice shows everything its bill is made of (rollover, meter change,
adjustment, late fee, unpaid earlier balance), in figures and capitals; files in floor order."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing.pipeline.billrun import issue_bills
from billing.pipeline.context import Context
from billing.pipeline.imports import KINDS, import_file, readings_kind
from billing.pipeline.inquiry import adjust
from billing.pipeline.notices import make_notices
from tests.pipeline.estate import ESTATE, NOV, OCT, ok, readings_file, use_estate_config

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (make installs it)")


def _text(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return out.replace(" ", "").replace(",", "")


def _estate_with_a_rollover(folder: Path) -> Path:
    """estate_p with E1-102 a 4-digit meter that starts at 9500 (October 9500 → 9852)."""
    meters = (ESTATE / "meters.csv").read_text(encoding="utf-8")
    meters = meters.replace(
        "E1-102,electricity,unit,1-102,E1-M,1,,3100", "E1-102,electricity,unit,1-102,E1-M,1,4,9500"
    )
    (folder / "meters.csv").write_text(meters, encoding="utf-8")
    return folder / "meters.csv"


def test_a_notice_shows_everything_its_bill_is_made_of(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    ok(import_file(ctx, KINDS["units"], ESTATE / "units.csv", today=date(2026, 10, 1)))
    ok(import_file(ctx, KINDS["meters"], _estate_with_a_rollover(tmp_path), today=date(2026, 10, 1)))
    ok(import_file(ctx, KINDS["meter-changes"], ESTATE / "meter-changes.csv", today=date(2026, 10, 1)))
    # E1-102: 9500 → 9852 = 352 kWh, the same as estate_p's 3100 → 3452
    october = readings_file(tmp_path, OCT, **{"E1-102": "9852"})
    ok(import_file(ctx, readings_kind(OCT), october, today=date(2026, 11, 2), scope=str(OCT)))
    ok(issue_bills(ctx, OCT, date(2026, 11, 3)))
    ok(
        adjust(
            ctx,
            "1-102",
            OCT,
            item="water",
            amount=Decimal("-5.00"),
            reason="水表读数复核",
            as_of=date(2026, 11, 20),
        )
    )
    # November: W1-102 replaced again on 11-10 (old meter ends at 15, new one starts at 0, reads 9):
    # (15 − 7) + (9 − 0) = 17 m³; E1-102 rolls over: 190 + 10000 − 9852 = 338 kWh
    change = tmp_path / "change.csv"
    change.write_text("meter_id,date,old_final,new_initial\nW1-102,2026-11-10,15,0\n", encoding="utf-8")
    ok(import_file(ctx, KINDS["meter-changes"], change, today=date(2026, 11, 10)))
    november = readings_file(tmp_path, NOV, **{"E1-102": "190", "W1-102": "9"})
    ok(import_file(ctx, readings_kind(NOV), november, today=date(2026, 12, 2), scope=str(NOV)))
    ok(issue_bills(ctx, NOV, date(2026, 12, 3)))
    ok(make_notices(ctx, NOV))
    text = _text(ctx.workspace.out_dir / "2026-11" / "notices" / "1.pdf")
    start = text.index("1-102")
    notice = text[start : text.index("1-201", start)]
    # 1-102's November bill:
    #   water 17 m³: 15 × 5.00 + 2 × 7.00 = 89.00
    #   electricity 338 kWh: 240 × 0.4883 + 98 × 0.5383 = 117.192 + 52.7534 = 169.9454 → 169.95
    #   shared electricity 42.64 (estate_p's expected; the rollover gives the same 338 kWh)
    #   management 110.40 × 2.20 = 242.88; adjustment −5.00
    #   late fee: October's 553.99 unpaid for 11-16 … 12-03, 18 days × 0.0005 = 4.98591 → 4.99
    #   bill total 89.00 + 169.95 + 42.64 + 242.88 − 5.00 + 4.99 = 544.46
    #   earlier balance: October's 553.99 unpaid; to pay 544.46 + 553.99 = 1098.45
    for fact in (
        "W1-102",
        "换表",
        "15",
        "E1-102",
        "9852",
        "190",
        "338",
        "89.00",
        "169.95",
        "242.88",
        "-5.00",
        "水表读数复核",
        "4.99",
        "553.99",
        "1098.45",
        "壹仟零玖拾捌元肆角伍分",
    ):
        assert fact in notice, fact
    assert "走满" in notice or "翻表" in notice or "10000" in notice or "rollover" in notice.lower()


def test_notices_follow_floor_then_room_and_a_rerun_keeps_them(ctx: Context, tmp_path: Path) -> None:
    from tests.pipeline.estate import october

    use_estate_config(ctx)
    october(ctx, tmp_path)
    first = ok(make_notices(ctx, OCT))
    folder = ctx.workspace.out_dir / "2026-10" / "notices"
    text = _text(folder / "1.pdf")
    # floor 1: 1-101, 1-102, SH-01 (numbers before letters); floor 2: 1-201. 1-202 is not billed.
    positions = [text.index(u) for u in ("1-101", "1-102", "SH-01", "1-201")]
    assert positions == sorted(positions) and "1-202" not in text
    assert "签收" in _text(folder / "1-签收单.pdf")
    with open(folder / "manifest.csv", encoding="utf-8") as fh:
        rows = {r["file"]: r for r in csv.DictReader(fh)}
    # 432.00 + 553.99 + 942.86 + 266.74 = 2195.59 over 4 units
    assert rows["1.pdf"]["units"] == "4" and Decimal(rows["1.pdf"]["total"]) == Decimal("2195.59")
    again = ok(make_notices(ctx, OCT))
    assert first.files and not again.files  # nothing changed: nothing rendered again
    one = ok(make_notices(ctx, OCT, unit_id="1-201"))
    assert "266.74" in _text(one.files[0]) and "1-101" not in _text(one.files[0])
