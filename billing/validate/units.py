"""The units file: one row per unit, its owner and bank account (CONTRACT §2, units)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from billing.domain.records import Unit, UnitKind
from billing.ingest.table import LINE, Table
from billing.validate.checks import Checks, Number, Validated, broken, choice, date_value, present

KINDS = {"residence": "residence", "住宅": "residence", "shop": "shop", "商铺": "shop"}
DEBIT = {"yes": "yes", "是": "yes", "true": "yes", "no": "no", "否": "no", "false": "no"}

_AREA = Number("area_m2", max_int=9, max_frac=4)
_FLOOR = Number("floor", max_int=3, max_frac=0)
# store/schema.py column widths: longer text would not fit
_LENGTHS = {
    "unit_id": 40,
    "building": 40,
    "owner_name": 100,
    "phone": 40,
    "bank_name": 100,
    "account_name": 100,
}


def _account() -> pl.Expr:
    """The account number without the spaces people group its digits with."""
    return pl.col("bank_account").str.replace_all(r"\s", "")


def validate_units(table: Table) -> Validated[Unit]:
    """Every problem of every row of a units file, and the units of the rows without an error.

    unit_id required and unique in the file; building required; floor an integer; kind
    residence/住宅 or shop/商铺; area_m2 > 0; handover_date a real date; owner_name required once
    handed over; bank_account 8–30 digits (spaces between groups are dropped) with its
    account_name; debit yes/是/no/否 (or empty = no), yes only with an account.
    """
    if broken(table):
        return Validated(file=table.file, problems=table.problems)
    c = Checks(table)
    c.prepare(_FLOOR, _AREA)
    c.required("unit_id")
    c.unique([pl.col("unit_id")], key=pl.col("unit_id"))
    c.required("building")
    c.add(
        present("floor") & ~_FLOOR.integral, "NOT_AN_INTEGER", column=c.label("floor"), value=pl.col("floor")
    )
    c.add(
        _FLOOR.integral & _FLOOR.too_precise,
        "OUT_OF_RANGE",
        column=c.label("floor"),
        value=pl.col("floor"),
        expected="-999 – 999",
    )
    c.required("kind")
    c.choice("kind", KINDS)
    c.required("area_m2")
    c.number(_AREA, minimum="0", exclusive=True)
    c.date("handover_date")
    c.add(present("handover_date") & pl.col("owner_name").is_null(), "OWNER_MISSING")
    c.add(
        present("bank_account") & ~_account().str.contains(r"^[0-9]{8,30}$"),
        "BAD_ACCOUNT",
        value=pl.col("bank_account"),
    )
    c.add(present("bank_account") & pl.col("account_name").is_null(), "ACCOUNT_NAME_MISSING")
    c.choice("debit", DEBIT)
    c.add((choice("debit", DEBIT) == "yes") & pl.col("bank_account").is_null(), "DEBIT_WITHOUT_ACCOUNT")
    for column, limit in _LENGTHS.items():
        c.max_length(column, limit)
    problems, good = c.run()

    rows = good.sort(LINE).select(
        pl.col("unit_id"),
        pl.col("building"),
        _FLOOR.canonical.cast(pl.Int64).alias("floor"),
        choice("kind", KINDS).alias("kind"),
        _AREA.canonical.alias("area_m2"),
        date_value("handover_date").alias("handover_date"),
        pl.col("owner_name"),
        pl.col("phone"),
        pl.col("bank_name"),
        _account().alias("bank_account"),
        pl.col("account_name"),
        (choice("debit", DEBIT) == "yes").fill_null(False).alias("debit"),
        pl.col(LINE),
    )
    records = []
    for row in rows.iter_rows(named=True):
        row["kind"] = UnitKind(row["kind"])
        row["area_m2"] = Decimal(row["area_m2"])
        del row[LINE]
        records.append(Unit(**row))
    lines = rows.get_column(LINE).to_list()
    return Validated(file=table.file, records=tuple(records), lines=tuple(lines), problems=problems)
