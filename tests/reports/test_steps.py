"""The commands and steps: wiring, output paths, refusals; the same figures on PostgreSQL;
the cash ledger's running total for any payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from billing.cli import app
from billing.domain.money import ZERO
from billing.domain.period import Period
from billing.pipeline.arrears import make_arrears
from billing.pipeline.context import open_context
from billing.pipeline.journal import export_journal
from billing.pipeline.queries import PaymentRow, natural
from billing.pipeline.reports import balance_report, cash_ledger, cash_ledger_view, collection_report
from billing.render.reports import Style
from tests.reports.conftest import AS_OF, GENERATED, P1, Outputs
from tests.reports.estate import build_estate
from tests.reports.helpers import row_starting, xlsx_numbers


def test_commands_write_where_the_contract_says(estate: Outputs) -> None:
    runner = CliRunner()
    base = ["-w", str(estate.root), "--lang", "en"]
    out = estate.root / "out"
    for args, files in (
        (
            ["report", "collection", "2026-11", "--as-of", "2026-12-31"],
            ["reports/2026-11/collection.pdf", "reports/2026-11/collection.xlsx"],
        ),
        (["report", "balance", "2026-11"], ["reports/2026-11/balance.pdf", "reports/2026-11/balance.xlsx"]),
        (
            ["report", "cash-ledger", "--from", "2026-11-12", "--to", "2026-11-12"],
            [
                "reports/cash-ledger-2026-11-12-2026-11-12.pdf",
                "reports/cash-ledger-2026-11-12-2026-11-12.xlsx",
            ],
        ),
        (["report", "deposit-slip", "2026-11-25"], ["reports/deposit-slip-2026-11-25.pdf"]),
        (
            ["arrears", "--as-of", "2026-11-30"],
            ["arrears/2026-11-30/1.pdf", "arrears/2026-11-30/欠费台账.xlsx"],
        ),
    ):
        run = runner.invoke(app, [*base, *args])
        assert run.exit_code in (0, 1), run.output
        for f in files:
            assert (out / f).is_file(), f
    journal = estate.root / "j.beancount"
    run = runner.invoke(
        app, [*base, "export", "journal", "2026-10", "--format", "beancount", "-o", str(journal)]
    )
    assert run.exit_code == 0, run.output
    assert "receivable: billed 2195.59 − received 1928.85 = 266.74" in run.output
    # as of 2026-11-30 only 1-201 is overdue (its 2026-10 bill, 266.74, 15 days past due)
    assert row_starting(out / "arrears/2026-11-30/欠费台账.xlsx", "明细", "总计")[1] == "1 户"
    bad = runner.invoke(app, [*base, "report", "cash-ledger", "--from", "2026-12-01", "--to", "2026-11-01"])
    assert bad.exit_code == 2 and "DATE_RANGE" in bad.output


def test_refusals_write_nothing(estate: Outputs, tmp_path: Path) -> None:
    ctx = estate.ctx
    result = collection_report(ctx, Period(2026, 12), AS_OF, GENERATED)
    assert result.exit_code == 2 and [p.code for p in result.problems] == ["PERIOD_NOT_ISSUED"]
    result = balance_report(ctx, Period(2026, 12), GENERATED)
    assert result.exit_code == 2 and [p.code for p in result.problems] == ["NO_READINGS"]
    result = cash_ledger(ctx, date(2026, 12, 2), date(2026, 12, 1), GENERATED)
    assert result.exit_code == 2 and not result.files
    assert not (ctx.workspace.out_dir / "reports" / "2026-12").exists()


def test_nothing_overdue_still_gives_an_empty_ledger(estate: Outputs) -> None:
    # on 2026-11-15 every 2026-10 bill is on its due date: nothing is past due yet
    result = make_arrears(estate.ctx, date(2026, 11, 15), GENERATED)
    assert [p.code for p in result.problems] == ["NOTHING_OVERDUE"] and result.exit_code == 1
    assert [f.name for f in result.files] == ["欠费台账.pdf", "欠费台账.xlsx"]
    assert row_starting(result.files[1], "明细", "总计")[1] == "0 户"


def test_same_figures_on_either_database(workspace: Path) -> None:
    """On SQLite and, under `make test`, PostgreSQL."""
    ctx = build_estate(workspace)
    ctx.engine.dispose()
    ctx = open_context(workspace, lang="en")
    try:
        arrears = make_arrears(ctx, AS_OF, GENERATED)
        assert {Decimal("2526.19"), Decimal("2547.97")} <= xlsx_numbers(arrears.files[-1])
        coll = collection_report(ctx, P1, AS_OF, GENERATED)
        assert Decimal("2195.59") in xlsx_numbers(coll.files[1])
        cash = cash_ledger(ctx, date(2026, 11, 1), AS_OF, GENERATED)
        assert Decimal("1928.85") in xlsx_numbers(cash.files[1])
        journal = export_journal(ctx, P1, "csv", workspace / "j.csv")
        assert journal.exit_code == 0
        lines = (workspace / "j.csv").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 11 and lines[1].startswith("2026-11-03,记-0001,1,")
    finally:
        ctx.engine.dispose()


def test_natural_order() -> None:
    assert sorted(["A1-1001", "A1-902", "A1-90", "B-1"], key=natural) == ["A1-90", "A1-902", "A1-1001", "B-1"]


methods = st.sampled_from(["cash", "transfer", "pos", "debit"])
payments = st.lists(st.tuples(st.integers(1, 5), methods, st.integers(1, 10**8)), max_size=30)


@given(payments)
def test_cash_ledger_adds_up(rows: list[tuple[int, str, int]]) -> None:
    """The running total ends at the sum; day subtotals, the day × method table and the method
    table all add up to it."""
    rows_in = sorted(rows, key=lambda r: r[0])
    paid = tuple(
        PaymentRow(
            payment_id=i,
            pay_date=date(2026, 11, day),
            unit_id=f"U{i}",
            building="1",
            payer="x",
            method=m,
            amount=Decimal(fen) / 100,
            slip_no=None if m == "debit" else f"S{i}",
            batch_no="B1" if m == "debit" else None,
            bank=None,
        )
        for i, (day, m, fen) in enumerate(rows_in)
    )
    total = sum((p.amount for p in paid), ZERO)
    view = cash_ledger_view(paid, "c", date(2026, 11, 1), date(2026, 11, 30), datetime(2026, 12, 1))
    detail, by_day, by_method = view.tables
    assert detail.rows[-1].cells[-2:] == (total, total)
    subtotals = [r.cells[6] for r in detail.rows if r.style is Style.SUBTOTAL]
    assert sum((s for s in subtotals if isinstance(s, Decimal)), ZERO) == total
    assert all(isinstance(s, Decimal) for s in subtotals)
    data = [r for r in detail.rows if r.style is Style.DATA]
    assert len(data) == len(paid)
    assert by_day.rows[-1].cells[-1] == total
    day_totals = [r.cells[-1] for r in by_day.rows[:-1]]
    assert sum((d for d in day_totals if isinstance(d, Decimal)), ZERO) == total
    assert by_method.rows[-1].cells == ("合计", len(paid), total)


@pytest.mark.parametrize("rate", ["0.0005", "0.001"])
def test_daily_rate_printed(rate: str) -> None:
    from billing.pipeline.arrears import _rate_text

    assert _rate_text(Decimal(rate)) == {"0.0005": "0.05%", "0.001": "0.1%"}[rate]
