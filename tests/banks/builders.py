"""Batches for the bank tests: Chinese names of every length, amounts worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from billing.banks import DebitBatch, DebitRow, Layout, load_layout
from billing.banks.layout import PRESETS_DIR

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
GOLDEN = HERE / "golden"
PRESETS = ("pipe-gbk", "fixed-gbk")
LAYOUTS = ("generic-csv", *PRESETS)


def preset(name: str) -> Layout:
    return load_layout(name, PRESETS_DIR)


def row(i: int, name: str, amount: str, unit: str | None = None) -> DebitRow:
    return DebitRow(
        reference=f"D202610-{i:05d}",
        unit_id=unit or f"A1-{i:04d}",
        account=f"6222020200{i:09d}",
        account_name=name,
        amount=Decimal(amount),
    )


def batch(*rows: DebitRow, batch_no: str = "D202610-01", bank: str = "pipe-gbk") -> DebitBatch:
    return DebitBatch(
        batch_no=batch_no, bank=bank, created=date(2026, 11, 16), purpose="物业费 2026-10", rows=rows
    )


def golden_batch() -> DebitBatch:
    """Eight units; total 100.00 + 2345.67 + 0.01 + 88.80 + 1200.00 + 56.78 + 300.50 + 19.99 = 4111.75."""
    return batch(
        row(1, "王小明", "100.00"),
        row(2, "欧阳娜娜", "2345.67"),
        row(3, "李四", "0.01"),
        row(4, "Zhang San", "88.80"),
        row(5, "爱新觉罗·溥仪的远房亲戚", "1200.00"),  # 22 GBK bytes: cut to 20 in fixed-gbk
        row(6, "喆堃镕赟", "56.78"),  # GBK but not GB2312
        row(7, "O'Brien, Mary", "300.50"),  # a comma: quoted in CSV
        row(8, "张三丰", "19.99"),
    )
