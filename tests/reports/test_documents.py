"""What the PDFs say (pdftotext), that charts are drawn, and where the files go."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from billing.domain.capitals import rmb_capitals
from billing.pipeline.reports import deposit_slip
from tests.reports.conftest import GENERATED, Outputs
from tests.reports.helpers import flat, page_png, pdf_text
from tests.reports.test_reconcile import D


def test_arrears_files(estate: Outputs) -> None:
    out = estate.root / "out" / "arrears" / "2026-12-31"
    assert sorted(p.name for p in out.iterdir()) == [
        "1.pdf",
        "manifest.csv",
        "欠费台账-1.pdf",
        "欠费台账.pdf",
        "欠费台账.xlsx",
    ]
    assert estate.results["arrears"].exit_code == 0
    # per building its notices, then its ledger pages; then the summary and the workbook
    assert [f.name for f in estate.results["arrears"].files] == [
        "1.pdf",
        "欠费台账-1.pdf",
        "欠费台账.pdf",
        "欠费台账.xlsx",
    ]


def test_arrears_notices_one_per_unit_in_floor_order(estate: Outputs) -> None:
    text = pdf_text(estate.root / "out" / "arrears" / "2026-12-31" / "1.pdf")
    pages = text.split("\f")
    units = ["1-101", "1-102", "SH-01", "1-201"]
    for unit, page in zip(units, pages, strict=False):
        assert f"房号 {unit}" in page
    body = flat(text)
    # 1-201: 2026-10 (266.74, 46 days, accrued 3.74) + 2026-11 (355.03 + 2.40 charged, accrued 2.84)
    # = 266.74 + 3.74 + 357.43 + 2.84 = 630.75
    assert "¥630.75" in body and rmb_capitals(D("630.75")) in body
    # its last direct debit failed: the reason is printed
    page_201 = flat(pages[3])
    assert "余额不足" in page_201 and "generic-csv-2026-10-01" in page_201
    assert "余额不足" not in flat(pages[0])  # 1-101's debit succeeded
    assert "2027年1月15日前缴清" in page_201  # as-of + 15 days
    assert "生成时间2026-12-3118:30" in body


def test_ledger_pdf_text(estate: Outputs) -> None:
    out = estate.root / "out" / "arrears" / "2026-12-31"
    summary = flat(pdf_text(out / "欠费台账.pdf"))
    assert "欠费台账" in summary and "按楼栋、类型汇总" in summary and "1栋" in summary
    assert "2,526.19" in summary and "2,547.97" in summary and "21.78" in summary
    assert "第1页/共" in summary
    detail = pdf_text(out / "欠费台账-1.pdf")
    for unit in ("1-101", "1-102", "1-201", "SH-01"):
        assert unit in detail
    # 1-201's two bills in period order, then the subtotals: residences, shops, the building
    lines = [line.split() for line in detail.splitlines()]
    assert [ln[:3] for ln in lines if ln and ln[0] == "1-201"] == [
        ["1-201", "郑三", "2026-10"],
        ["1-201", "郑三", "2026-11"],
    ]
    assert "1栋合计4户2,521.304.892,526.190.002,259.45266.740.000.0021.782,547.97" in flat(detail)


def test_collection_pdf_text(estate: Outputs) -> None:
    body = flat(pdf_text(estate.files("collection", ".pdf")[0]))
    for figure in ("2,195.59", "1,928.85", "266.74", "87.85%", "75.00%", "收缴率统计", "户收缴率"):
        assert figure in body


def test_balance_pdf_text(estate: Outputs) -> None:
    body = flat(pdf_text(estate.files("balance", ".pdf")[0]))
    for figure in (
        "W1-M",
        "E1-M",
        "61.00",
        "55.00",
        "6.00",
        "9.84%",
        "1,340.00",
        "1,071.00",
        "150.00",
        "119.00",
        "8.88%",
        "超过预警",
    ):
        assert figure in body


def test_cash_ledger_pdf_text(estate: Outputs) -> None:
    body = flat(pdf_text(estate.files("cash-ledger", ".pdf")[0]))
    for figure in ("JK202611251-102", "generic-csv-2026-10-01", "本日小计", "1,374.86", "553.99", "1,928.85"):
        assert figure in body


@pytest.mark.parametrize(("name", "total"), [("deposit-slip", "1374.86"), ("deposit-slip-cash", "553.99")])
def test_deposit_slip_text(estate: Outputs, name: str, total: str) -> None:
    body = flat(pdf_text(estate.files(name, ".pdf")[0]))
    amount = D(total)
    assert f"{amount:,.2f}" in body and f"{amount:.2f}" in body.replace(",", "")
    assert rmb_capitals(amount) in body  # 壹仟叁佰柒拾肆元捌角陆分 / 伍佰伍拾叁元玖角玖分
    assert "4000021234567890123" in body and "中国工商银行示例支行" in body  # the receiving account
    for box in ("制表", "复核", "出纳", "财务签收"):
        assert box in body


def test_deposit_slip_of_a_quiet_day_warns(estate: Outputs) -> None:
    result = deposit_slip(estate.ctx, date(2026, 11, 13), GENERATED)
    assert [p.code for p in result.problems] == ["NO_RECEIPTS"] and result.exit_code == 1
    body = flat(pdf_text(result.files[0]))
    assert "本日无收款" in body and "零元整" in body


def _share_of(png: Path, rgb: tuple[int, int, int], tolerance: int = 12) -> float:
    data = Image.open(png).convert("RGB").tobytes()
    pixels = list(zip(data[0::3], data[1::3], data[2::3], strict=True))
    near = sum(1 for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, rgb, strict=True)))
    return near / len(pixels)


def test_charts_are_drawn(estate: Outputs, tmp_path: Path) -> None:
    # the collection report's bar (#3f6fa8) and the balance report's W1-M line (#14365d) and
    # limit line (#b3261e) show on their first pages
    png = page_png(estate.files("collection", ".pdf")[0], tmp_path / "collection.png")
    assert _share_of(png, (0x3F, 0x6F, 0xA8)) > 0.005
    png = page_png(estate.files("balance-2", ".pdf")[0], tmp_path / "balance.png")
    assert _share_of(png, (0xB3, 0x26, 0x1E)) > 0.0003
    white = _share_of(png, (255, 255, 255), tolerance=3)
    assert 0.5 < white < 0.97  # a page with content, not blank
