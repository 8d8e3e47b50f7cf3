"""`billing export bills P` and `billing export balances` (CONTRACT §4)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from billing.domain.money import format_money
from billing.export.tables import write_table

BILL_HEADER = ("unit_id", "period", "item", "quantity", "amount")
BALANCE_HEADER = ("unit_id", "billed", "paid", "outstanding", "late_fee_accrued")


def write_bill_lines(path: Path, lines: Iterable[tuple[str, str, str, Decimal | None, Decimal]]) -> Path:
    """One row per bill line: (unit_id, period, item, quantity, amount); lines of 0.00 left out."""
    xlsx = path.suffix.lower() == ".xlsx"
    rows = (
        (u, p, item, "" if q is None else (q if xlsx else str(q)), a if xlsx else format_money(a))
        for u, p, item, q, a in lines
        if a != 0
    )
    return write_table(path, BILL_HEADER, rows)


def write_balances(path: Path, balances: Iterable[Sequence[object]]) -> Path:
    """One row per billed unit: (unit_id, billed, paid, outstanding, late_fee_accrued)."""
    xlsx = path.suffix.lower() == ".xlsx"
    rows = ((row[0], *(v if xlsx else format_money(v) for v in row[1:])) for row in balances)  # type: ignore[arg-type]
    return write_table(path, BALANCE_HEADER, rows)
