"""The journal export: golden Kingdee and Yonyou files, a Beancount ledger bean-check accepts,
vouchers that always balance."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.config import AccountSettings
from billing.domain.bill import Item
from billing.domain.money import ZERO
from billing.domain.period import Period
from billing.export.journal import Account, Entry, Journal, Voucher, beancount_text
from billing.pipeline.journal import chart_of_accounts, export_journal, issue_entries
from tests.reports.conftest import P1, P2, Outputs

GOLDEN = Path(__file__).parent / "golden"
BEAN_CHECK = Path(sys.executable).parent / "bean-check"

CASES = [
    (P1, "kingdee", "csv"),
    (P1, "yonyou", "txt"),
    (P1, "csv", "csv"),
    (P2, "kingdee", "csv"),
    (P2, "yonyou", "txt"),
]


@pytest.mark.parametrize(("period", "fmt", "suffix"), CASES, ids=lambda v: str(v))
def test_journal_matches_golden(estate: Outputs, period: Period, fmt: str, suffix: str) -> None:
    """Regenerate with UPDATE_GOLDEN=1 (and look at the diff before committing it)."""
    written = estate.root / "journal" / f"{period}-{fmt}.{suffix}"
    golden = GOLDEN / f"journal-{period}-{fmt}.{suffix}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(written.read_bytes())
    assert written.read_bytes() == golden.read_bytes()


def test_kingdee_golden_reads_as_expected() -> None:
    text = (GOLDEN / f"journal-{P1}-kingdee.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[0].split(",")[:11] == [
        "日期",
        "会计期间",
        "凭证字",
        "凭证号",
        "附件数",
        "分录号",
        "摘要",
        "科目代码",
        "科目名称",
        "借方金额",
        "贷方金额",
    ]
    first = text[1].split(",")
    # voucher 记-1 on the issue date: receivable 1122 debited with everything billed
    assert first[:4] == ["2026-11-03", "11", "记", "1"] and first[7:11] == [
        "1122",
        "应收账款",
        "2195.59",
        "0.00",
    ]


def test_yonyou_golden_is_gbk_without_header() -> None:
    data = (GOLDEN / f"journal-{P1}-yonyou.txt").read_bytes()
    lines = data.decode("gbk").split("\r\n")
    assert lines[0].split(",")[:4] == ["2026-11-03", "记", "1", "0"]
    assert all(len(line.split(",")) == 8 for line in lines if line)


@pytest.mark.parametrize("fmt", ["kingdee", "yonyou"])
def test_xlsx_variant_holds_the_same_entries(estate: Outputs, fmt: str) -> None:
    book = openpyxl.load_workbook(estate.root / "journal" / f"{P1}-{fmt}.xlsx")
    rows = list(book.active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    debit, credit = header.index("借方金额"), header.index("贷方金额")
    assert len(body) == 10  # 6 entries on the issue voucher, 2 + 2 on the two receipts
    assert round(sum(r[debit] for r in body), 2) == round(sum(r[credit] for r in body), 2) == 4124.44


@pytest.mark.parametrize("period", [P1, P2], ids=str)
def test_beancount_passes_bean_check(estate: Outputs, period: Period) -> None:
    path = estate.root / "journal" / f"{period}-beancount.beancount"
    run = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    text = path.read_text(encoding="utf-8")
    assert "open Assets:Receivable CNY" in text and 'voucher: "记-0001"' in text


def test_unknown_format_and_unissued_period_are_refused(estate: Outputs, tmp_path: Path) -> None:
    result = export_journal(estate.ctx, P1, "sap", tmp_path / "j.txt")
    assert result.exit_code == 2 and result.problems[0].code == "BAD_CHOICE"
    result = export_journal(estate.ctx, Period(2026, 12), "csv", tmp_path / "j.csv")
    assert result.exit_code == 2 and result.problems[0].code == "PERIOD_NOT_ISSUED"
    assert not (tmp_path / "j.txt").exists() and not (tmp_path / "j.csv").exists()


# --- vouchers ---------------------------------------------------------------------------------------

A = Account(code="1", name="a", ledger_name="Assets:A")
B = Account(code="2", name="b", ledger_name="Income:B")


def test_an_unbalanced_voucher_cannot_exist() -> None:
    with pytest.raises(ValueError, match="does not balance"):
        Voucher(
            word="记",
            number=1,
            day=date(2026, 11, 3),
            summary="x",
            entries=(Entry(account=A, debit=Decimal("1.00")), Entry(account=B, credit=Decimal("0.99"))),
        )
    with pytest.raises(ValueError, match="one side"):
        Entry(account=A, debit=Decimal("1.00"), credit=Decimal("1.00"))
    with pytest.raises(ValueError, match="fen"):
        Entry(account=A, debit=Decimal("1.001"))


fen = st.integers(min_value=-(10**9), max_value=10**9).map(lambda n: Decimal(n) / 100)


@given(
    st.lists(st.tuples(st.sampled_from(list(Item)), fen), min_size=1, max_size=7, unique_by=lambda x: x[0])
)
def test_issue_voucher_balances_for_any_amounts(items: list[tuple[Item, Decimal]]) -> None:
    """Receivable against income per item balances whatever the signs; the receivable moves by
    the total billed."""
    chart = chart_of_accounts(AccountSettings())
    entries = issue_entries(chart, items)
    total = sum((a for _, a in items), ZERO)
    if len(entries) < 2:
        assert all(a == 0 for _, a in items)
        return
    voucher = Voucher(word="记", number=1, day=date(2026, 11, 3), summary="出账", entries=tuple(entries))
    assert voucher.debit == voucher.credit
    receivable = sum((e.debit - e.credit for e in entries if e.account == chart["receivable"]), ZERO)
    assert receivable == total
    journal = Journal(
        company="c",
        title="t",
        first_day=date(2026, 11, 1),
        accounts=tuple(chart.values()),
        vouchers=(voucher,),
    )
    postings = [
        line.split()[-2]
        for line in beancount_text(journal).splitlines()
        if line.startswith("  ") and line.strip().endswith("CNY")
    ]
    assert sum((Decimal(p) for p in postings), ZERO) == 0
