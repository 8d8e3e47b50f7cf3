"""`billing run`: the acceptance estate's October, rated and issued on SQLite and PostgreSQL.

Tariff (CONTRACT §5 example): water residence 0–15 at 5.00, 15–22 at 7.00, above at 9.00;
shop water 8.00; electricity residence 0–240 at 0.4883, 240–400 at 0.5383, above at 0.7883;
shop electricity 0.9000; management 2.20 (homes) / 6.50 (shops) per m²; shared water 5.00,
shared electricity 0.6000, both by area. Rounding half up, once per line.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from billing.domain.period import Period
from billing.pipeline.billrun import issue_bills
from billing.pipeline.context import Context
from billing.pipeline.explain import explain
from billing.pipeline.exports import export_bills
from billing.pipeline.imports import import_file, readings_kind
from billing.pipeline.inquiry import adjust
from billing.store import schema as t
from tests.pipeline.estate import NOV, OCT, master_data, october, ok, readings_file, use_estate_config

D = Decimal

# Every line of October, worked out by hand from the readings of estate_p:
OCTOBER = {
    # water: 1-101 300→314 = 14 m³ × 5.00 = 70.00
    ("1-101", "water"): ("14", "70.00"),
    # 1-102 replaced on 10-20: (418 − 410) + (7 − 0) = 15 m³, all in tier 1: 75.00
    ("1-102", "water"): ("15", "75.00"),
    ("1-201", "water"): ("5", "25.00"),  # 0→5, 5 × 5.00
    ("SH-01", "water"): ("19", "152.00"),  # shop 120→139 = 19 × 8.00
    ("1-101", "electricity"): ("210", "102.54"),  # 210 × 0.4883 = 102.543
    # 352 = 240 × 0.4883 (117.192) + 112 × 0.5383 (60.2896) = 177.4816
    ("1-102", "electricity"): ("352", "177.48"),
    ("1-201", "electricity"): ("88", "42.97"),  # 88 × 0.4883 = 42.9704
    ("SH-01", "electricity"): ("410.0", "369.00"),  # (420.5 − 400) × 20 = 410.0 × 0.9
    ("1-101", "management"): ("95.00", "209.00"),  # 95 × 2.20
    ("1-102", "management"): ("110.40", "242.88"),  # 110.40 × 2.20
    # handed over 2026-10-10: 95 × 2.20 × 22/31 = 148.3225…
    ("1-201", "management"): ("95.00", "148.32"),
    ("SH-01", "management"): ("60.00", "390.00"),  # 60 × 6.50
    # shared water: W1-M 2000→2061 = 61 − (14+15+5+2+19 = 55) = 6 m³ × 5.00 = 30.00, by area
    # over 1-101 95, 1-102 110.4, 1-201 95, SH-01 60 (Σ 360.4; 1-202 not handed over):
    # 7.9079 → 7.90, 9.1898 → 9.18, 7.90, 4.9944 → 4.99; floors add to 29.97; the 3 fens left
    # go to the largest remainders: 1-102 (.0098), then 1-101 and 1-201 (.0079, tie → unit_id)
    ("1-101", "shared_water"): (None, "7.91"),
    ("1-102", "shared_water"): (None, "9.19"),
    ("1-201", "shared_water"): (None, "7.91"),
    ("SH-01", "shared_water"): (None, "4.99"),
    # shared electricity: E1-M 1340 − (210+352+88+11+410 = 1071) = 269 kWh × 0.6 = 161.40:
    # 42.5444 → 42.54, 49.4411 → 49.44, 42.54, 26.8701 → 26.87 (Σ 161.39); the fen left goes
    # to 1-101 (remainder .0044, tied with 1-201, first by unit_id)
    ("1-101", "shared_electricity"): (None, "42.55"),
    ("1-102", "shared_electricity"): (None, "49.44"),
    ("1-201", "shared_electricity"): (None, "42.54"),
    ("SH-01", "shared_electricity"): (None, "26.87"),
}


def _lines(ctx: Context, period: Period, tmp_path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    out = tmp_path / f"bills-{period}.csv"
    ok(export_bills(ctx, period, out))
    rows = [line.split(",") for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    return {(u, item): (q, a) for u, _, item, q, a in rows}


def test_october_bills_match_the_rules(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    october(ctx, tmp_path)
    got = _lines(ctx, OCT, tmp_path)
    assert set(got) == set(OCTOBER)
    for key, (qty, amount) in OCTOBER.items():
        assert got[key][1] == amount, key
        if qty is not None:
            assert D(got[key][0]) == D(qty), key
    with ctx.engine.connect() as conn:
        due = conn.execute(select(t.bills.c.due_date).distinct()).scalars().all()
        issued = conn.execute(select(t.bills.c.issue_date).distinct()).scalars().all()
    assert due == [date(2026, 11, 15)]  # due_day 15 of the month after the period
    assert issued == [date(2026, 11, 3)]  # the run's --as-of


def test_a_second_run_issues_nothing_and_says_so(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    october(ctx, tmp_path)
    before = (tmp_path / "a.csv", tmp_path / "b.csv")
    ok(export_bills(ctx, OCT, before[0]))
    again = issue_bills(ctx, OCT, date(2026, 11, 9))
    assert again.exit_code == 0
    assert any("already issued" in m for m in again.messages)
    ok(export_bills(ctx, OCT, before[1]))
    assert before[0].read_bytes() == before[1].read_bytes()


def test_dry_run_writes_nothing(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    master_data(ctx)
    ok(
        import_file(
            ctx, readings_kind(OCT), readings_file(tmp_path, OCT), today=date(2026, 11, 2), scope=str(OCT)
        )
    )
    shown = issue_bills(ctx, OCT, date(2026, 11, 3), dry_run=True)
    # 4 bills; total = Σ of OCTOBER's amounts = 2195.59
    assert any("2195.59" in m for m in shown.messages)
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.bills)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(t.bill_runs)).scalar() == 0


def test_run_refused_while_a_meter_has_no_reading(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    master_data(ctx)
    partial = tmp_path / "partial.csv"
    partial.write_text("meter_id,reading\nW1-M,2061\nW1-101,314\n", encoding="utf-8")
    ok(import_file(ctx, readings_kind(OCT), partial, today=date(2026, 11, 2), scope=str(OCT)))
    refused = issue_bills(ctx, OCT, date(2026, 11, 3))
    assert refused.exit_code == 2
    missing = {dict(p.params)["meter_id"] for p in refused.problems if p.code == "MISSING_READING"}
    assert missing == {
        "W1-102",
        "W1-201",
        "W1-202",
        "W1-SH01",
        "E1-M",
        "E1-C1",
        "E1-101",
        "E1-102",
        "E1-201",
        "E1-202",
        "E1-SH01",
    }


def test_an_adjustment_is_a_line_of_the_next_bill_with_its_reason(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    october(ctx, tmp_path)
    ok(
        adjust(
            ctx, "1-101", OCT, item="water", amount=D("-12.50"), reason="读数抄错", as_of=date(2026, 11, 20)
        )
    )
    refused = adjust(ctx, "1-202", OCT, item="water", amount=D("5"), reason="x", as_of=date(2026, 11, 20))
    assert [p.code for p in refused.problems] == ["NO_BILL"]  # 1-202 was not billed
    ok(
        import_file(
            ctx, readings_kind(NOV), readings_file(tmp_path, NOV), today=date(2026, 12, 2), scope=str(NOV)
        )
    )
    ok(issue_bills(ctx, NOV, date(2026, 12, 3)))
    got = _lines(ctx, NOV, tmp_path)
    assert got[("1-101", "adjustment")] == ("", "-12.50")
    told = explain(ctx, "1-101", NOV)
    assert any("读数抄错" in m for m in told.messages)


def test_late_fees_are_charged_once_on_the_next_bill(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    october(ctx, tmp_path)
    ok(
        import_file(
            ctx, readings_kind(NOV), readings_file(tmp_path, NOV), today=date(2026, 12, 2), scope=str(NOV)
        )
    )
    ok(issue_bills(ctx, NOV, date(2026, 12, 3)))
    got = _lines(ctx, NOV, tmp_path)
    # nobody paid October: 18 days (11-16 … 12-03) × 0.0005 × principal, rounded per bill:
    # 1-101 432.00 → 3.888 → 3.89; 1-102 553.99 → 4.98591 → 4.99; 1-201 266.74 → 2.40066 → 2.40;
    # SH-01 942.86 → 8.48574 → 8.49
    late = {u: a for (u, item), (_, a) in got.items() if item == "late_fee"}
    assert late == {"1-101": "3.89", "1-102": "4.99", "1-201": "2.40", "SH-01": "8.49"}


def test_explain_shows_the_working(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    october(ctx, tmp_path)
    text = "\n".join(explain(ctx, "1-102", OCT).messages)
    for fact in ("W1-102", "418", "410", "352", "0.4883", "0.5383", "110.4", "2.20", "269"):
        assert fact in text, fact
