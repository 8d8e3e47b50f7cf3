"""The reading sheet goes round: written per building, filled in by staff, imported back."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import openpyxl

from billing.pipeline.context import Context
from billing.pipeline.imports import import_file, readings_kind
from billing.pipeline.sheets import reading_sheets
from billing.store import repo
from tests.pipeline.estate import ESTATE, OCT, master_data, ok


def test_a_filled_in_sheet_is_what_import_readings_takes_back(ctx: Context) -> None:
    master_data(ctx)
    result = ok(reading_sheets(ctx, OCT))
    assert [p.name for p in result.files] == ["1.xlsx"]  # estate_p has one building
    book = openpyxl.load_workbook(result.files[0])
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["表号", "房号", "楼层"] and "本期读数" in header and "上期读数" in header
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    meters = [r[0] for r in rows]
    # unit meters first, in floor/room order, then common and master meters
    assert meters[:4] == ["E1-101", "W1-101", "E1-102", "W1-102"]
    assert meters[-3:] == ["E1-C1", "E1-M", "W1-M"]
    previous = {r[0]: r[header.index("上期读数")] for r in rows}
    assert previous["E1-SH01"] == "400" and previous["W1-M"] == "2000"  # the initial readings
    # staff fill in the readings (numbers, as Excel stores them) and hand the file back
    readings = json.loads((ESTATE / "readings.json").read_text())[str(OCT)]
    col = header.index("本期读数") + 1
    for r in range(2, sheet.max_row + 1):
        text = readings[sheet.cell(r, 1).value]
        sheet.cell(r, col).value = float(text) if "." in text else int(text)
    filled = result.files[0].with_name("filled.xlsx")
    book.save(filled)
    ok(import_file(ctx, readings_kind(OCT), filled, today=date(2026, 11, 2), scope=str(OCT)))
    with ctx.engine.connect() as conn:
        stored = repo.readings_of(conn, OCT)
    assert stored["E1-SH01"][0] == Decimal("420.5") and len(stored) == 13
