"""Imports through the pipeline, on SQLite and PostgreSQL: all or nothing, idempotent, history kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from billing.pipeline.billrun import issue_bills
from billing.pipeline.context import Context
from billing.pipeline.imports import KINDS, import_file, readings_kind
from billing.store import repo
from billing.store import schema as t
from tests.pipeline.estate import ESTATE, OCT, master_data, ok, readings_file, use_estate_config


def _count(ctx: Context, table: object) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_master_data_is_stored_exactly(ctx: Context) -> None:
    master_data(ctx)
    with ctx.engine.connect() as conn:
        units = repo.load_units(conn)
        meters = repo.load_meters(conn)
    assert len(units) == 5 and len(meters) == 13
    assert units["1-102"].area_m2 == Decimal("110.40")
    assert units["1-201"].handover_date == date(2026, 10, 10)
    assert units["1-202"].handover_date is None
    assert units["SH-01"].debit and units["SH-01"].bank_account == "6013821234567890123"
    assert meters["E1-SH01"].multiplier == 20 and meters["E1-C1"].parent_id == "E1-M"


def test_a_changed_owner_keeps_the_old_values_in_history(ctx: Context, tmp_path: Path) -> None:
    master_data(ctx)
    changed = tmp_path / "units.csv"
    text = (ESTATE / "units.csv").read_text(encoding="utf-8").replace("吴二", "吴新")
    changed.write_text(text, encoding="utf-8")
    result = ok(import_file(ctx, KINDS["units"], changed, today=date(2026, 11, 1)))
    assert "0 new, 1 changed" in result.messages[0]
    with ctx.engine.connect() as conn:
        assert repo.load_units(conn)["1-102"].owner_name == "吴新"
        history = repo.unit_history(conn, "1-102")
    assert [(h["owner_name"], h["changed_on"]) for h in history] == [("吴二", date(2026, 11, 1))]


def test_a_file_with_an_error_writes_nothing(ctx: Context, tmp_path: Path) -> None:
    master_data(ctx)
    bad = readings_file(tmp_path, OCT, **{"W1-101": "abc"})
    result = import_file(ctx, readings_kind(OCT), bad, today=date(2026, 11, 2), scope=str(OCT))
    assert result.exit_code == 2
    assert [(p.code, p.line) for p in result.errors] == [("NOT_A_NUMBER", 3)]  # header is line 1
    assert _count(ctx, t.readings) == 0
    assert _count(ctx, t.imports) == 3  # units, meters, meter-changes: nothing of the refused file


def test_the_same_content_twice_changes_nothing(ctx: Context, tmp_path: Path) -> None:
    master_data(ctx)
    path = readings_file(tmp_path, OCT)
    ok(import_file(ctx, readings_kind(OCT), path, today=date(2026, 11, 2), scope=str(OCT)))
    again = ok(import_file(ctx, readings_kind(OCT), path, today=date(2026, 11, 2), scope=str(OCT)))
    assert "already imported" in again.messages[0]
    assert _count(ctx, t.readings) == 13 and _count(ctx, t.imports) == 4
    twice = ok(import_file(ctx, KINDS["units"], ESTATE / "units.csv", today=date(2026, 11, 2)))
    assert "already imported" in twice.messages[0]


def test_a_corrected_file_replaces_the_readings_it_holds(ctx: Context, tmp_path: Path) -> None:
    master_data(ctx)
    ok(
        import_file(
            ctx, readings_kind(OCT), readings_file(tmp_path, OCT), today=date(2026, 11, 2), scope=str(OCT)
        )
    )
    fix = tmp_path / "fix.csv"
    fix.write_text("meter_id,reading\nW1-101,315\n", encoding="utf-8")
    ok(import_file(ctx, readings_kind(OCT), fix, today=date(2026, 11, 2), scope=str(OCT)))
    with ctx.engine.connect() as conn:
        now = repo.readings_of(conn, OCT)
    assert now["W1-101"][0] == Decimal("315") and now["W1-102"][0] == Decimal("7") and len(now) == 13


def test_readings_of_an_issued_period_are_refused(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    master_data(ctx)
    ok(
        import_file(
            ctx, readings_kind(OCT), readings_file(tmp_path, OCT), today=date(2026, 11, 2), scope=str(OCT)
        )
    )
    ok(issue_bills(ctx, OCT, date(2026, 11, 3)))
    late = tmp_path / "late.csv"
    late.write_text("meter_id,reading\nW1-101,316\n", encoding="utf-8")
    refused = import_file(ctx, readings_kind(OCT), late, today=date(2026, 11, 4), scope=str(OCT))
    assert [p.code for p in refused.problems] == ["PERIOD_ISSUED"]


def test_deposit_slip_numbers_are_unique_forever(ctx: Context, tmp_path: Path) -> None:
    master_data(ctx)
    first = tmp_path / "d1.csv"
    first.write_text("date,slip_no,unit_id,payer,amount,method\n2026-11-25,JK1,1-102,业主,100.00,cash\n")
    ok(import_file(ctx, KINDS["deposits"], first, today=date(2026, 11, 25)))
    second = tmp_path / "d2.csv"
    second.write_text("date,slip_no,unit_id,payer,amount,method\n2026-11-26,JK1,1-101,业主,50.00,pos\n")
    refused = import_file(ctx, KINDS["deposits"], second, today=date(2026, 11, 26))
    assert [(p.code, p.line) for p in refused.problems] == [("DUPLICATE_SLIP", 2)]
    assert _count(ctx, t.payments) == 1
