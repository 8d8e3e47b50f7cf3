"""The deposits file: the day's bank deposit slips, each a counter, transfer or POS payment of one unit."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from billing.domain.money import FEN
from billing.domain.records import Deposit, PaymentMethod
from billing.ingest.table import LINE, Table
from billing.validate.checks import (
    Checks,
    Number,
    Validated,
    broken,
    choice,
    date_value,
    member,
    present,
)

METHODS = {
    "cash": "cash",
    "现金": "cash",
    "transfer": "transfer",
    "转账": "transfer",
    "pos": "pos",
    "刷卡": "pos",
}

_AMOUNT = Number("amount", max_int=12, max_frac=2)
_LENGTHS = {"slip_no": 60, "payer": 100}


@dataclass(frozen=True, slots=True, kw_only=True)
class DepositContext:
    """`units`: the unit ids that exist; `slips`: the slip numbers already imported (DUPLICATE_SLIP)."""

    units: Set[str]
    slips: Set[str] = frozenset()


def validate_deposits(table: Table, context: DepositContext) -> Validated[Deposit]:
    """Every problem of every row of a deposits file, and the deposits of the rows without an error.

    date a date; slip_no unique in the file and not imported before; unit_id an existing unit;
    payer required; amount > 0 with at most two decimals; method cash/现金, transfer/转账 or
    pos/刷卡.
    """
    if broken(table):
        return Validated(file=table.file, problems=table.problems)
    c = Checks(table)
    c.prepare(_AMOUNT)
    c.required("date")
    c.date("date")
    c.required("slip_no")
    c.unique([pl.col("slip_no")], key=pl.col("slip_no"))
    c.add(member(pl.col("slip_no"), context.slips), "DUPLICATE_SLIP", slip_no=pl.col("slip_no"))
    c.required("unit_id")
    c.add(
        present("unit_id") & ~member(pl.col("unit_id"), context.units),
        "UNKNOWN_UNIT",
        unit_id=pl.col("unit_id"),
    )
    c.required("payer")
    c.required("amount")
    c.number(_AMOUNT, minimum="0", exclusive=True)
    c.required("method")
    c.choice("method", METHODS)
    for column, limit in _LENGTHS.items():
        c.max_length(column, limit)
    problems, good = c.run()

    rows = good.sort(LINE).select(
        date_value("date").alias("date"),
        pl.col("slip_no"),
        pl.col("unit_id"),
        pl.col("payer"),
        _AMOUNT.canonical.alias("amount"),
        choice("method", METHODS).alias("method"),
        pl.col(LINE),
    )
    records = []
    lines = []
    for day, slip, unit_id, payer, amount, method, line in rows.iter_rows():
        records.append(
            Deposit(
                pay_date=day,
                slip_no=slip,
                unit_id=unit_id,
                payer=payer,
                amount=Decimal(amount).quantize(FEN),
                method=PaymentMethod(method),
            )
        )
        lines.append(line)
    return Validated(file=table.file, records=tuple(records), lines=tuple(lines), problems=problems)
