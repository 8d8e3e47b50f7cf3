"""The meters file: water and electricity meters, unit, common or master, and their parent."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from billing.domain.records import Meter, Scope, Utility
from billing.ingest.table import LINE, Table
from billing.validate.checks import Checks, Number, Validated, broken, choice, member, present

UTILITIES = {"water": "water", "水": "water", "electricity": "electricity", "电": "electricity"}
SCOPES = {
    "unit": "unit",
    "户表": "unit",
    "common": "common",
    "公用": "common",
    "公用表": "common",
    "master": "master",
    "总表": "master",
}

_MULTIPLIER = Number("multiplier", max_int=6, max_frac=4)
_DIGITS = Number("digits", max_int=2, max_frac=0)
_INITIAL = Number("initial_reading", max_int=12, max_frac=6)
_MAX_DIGITS = 15


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterContext:
    """What the database knows when a meters file comes in.

    - `units`: the unit ids that exist (a unit meter's unit must be one of them);
    - `meters`: the meters already stored (a parent may be one of them; a row of the file with
      the same meter_id is an update and wins);
    - `with_readings`: the meters that already have readings, whose utility, scope and unit may
      no longer change (METER_CHANGED_KIND).
    """

    units: Set[str]
    meters: Mapping[str, Meter] = field(default_factory=dict)
    with_readings: Set[str] = frozenset()


def validate_meters(table: Table, context: MeterContext) -> Validated[Meter]:
    """Every problem of every row of a meters file, and the meters of the rows without an error.

    meter_id required and unique; utility water/水 or electricity/电; scope unit/户表,
    common/公用, master/总表; a unit meter names an existing unit; a parent exists (in the
    database or in this file), is a master meter of the same utility, and a master meter has no
    parent; multiplier > 0 (default 1); digits an integer 1–15; initial_reading ≥ 0 (default 0).
    """
    if broken(table):
        return Validated(file=table.file, problems=table.problems)
    c = Checks(table)
    c.prepare(_MULTIPLIER, _DIGITS, _INITIAL)
    c.frame = _with_parents(c.frame, context)
    c.frame = _with_stored(c.frame, context)
    utility = choice("utility", UTILITIES)
    scope = choice("scope", SCOPES)
    has_parent = present("parent_id")

    c.required("meter_id")
    c.max_length("meter_id", 40)
    c.unique([pl.col("meter_id")], key=pl.col("meter_id"))
    c.required("utility")
    c.choice("utility", UTILITIES)
    c.required("scope")
    c.choice("scope", SCOPES)
    c.add((scope == "unit") & pl.col("unit_id").is_null(), "UNIT_METER_WITHOUT_UNIT")
    c.add(
        present("unit_id") & ~member(pl.col("unit_id"), context.units),
        "UNKNOWN_UNIT",
        unit_id=pl.col("unit_id"),
    )
    c.add(has_parent & (scope == "master"), "MASTER_HAS_PARENT")
    below = has_parent & (scope != "master").fill_null(True)
    c.add(below & pl.col("_parent_scope").is_null(), "UNKNOWN_PARENT", parent_id=pl.col("parent_id"))
    c.add(below & (pl.col("_parent_scope") != "master"), "PARENT_NOT_MASTER", parent_id=pl.col("parent_id"))
    c.add(
        below & (pl.col("_parent_scope") == "master") & (pl.col("_parent_utility") != utility),
        "UTILITY_MISMATCH",
        parent_id=pl.col("parent_id"),
    )
    c.number(_MULTIPLIER, minimum="0", exclusive=True)
    c.add(
        _DIGITS.bad | (present("digits") & _DIGITS.ok & ~_DIGITS.integral),
        "NOT_AN_INTEGER",
        column=c.label("digits"),
        value=pl.col("digits"),
    )
    digits = _DIGITS.canonical.cast(pl.Int64, strict=False)
    c.add(
        _DIGITS.integral & (_DIGITS.too_precise | (digits < 1) | (digits > _MAX_DIGITS)),
        "OUT_OF_RANGE",
        column=c.label("digits"),
        value=pl.col("digits"),
        expected=f"1–{_MAX_DIGITS}",
    )
    c.number(_INITIAL, minimum="0")
    changed = (
        pl.col("_stored_utility").ne_missing(utility)
        | pl.col("_stored_scope").ne_missing(scope)
        | pl.col("_stored_unit").ne_missing(pl.col("unit_id"))
    )
    c.add(pl.col("_stored_scope").is_not_null() & changed, "METER_CHANGED_KIND", meter_id=pl.col("meter_id"))
    problems, good = c.run()

    rows = good.sort(LINE).select(
        pl.col("meter_id"),
        utility.alias("utility"),
        scope.alias("scope"),
        pl.col("unit_id"),
        pl.col("parent_id"),
        _MULTIPLIER.canonical.fill_null("1").alias("multiplier"),
        digits.alias("digits"),
        _INITIAL.canonical.fill_null("0").alias("initial_reading"),
        pl.col(LINE),
    )
    records = []
    lines = []
    for meter_id, util, scp, unit_id, parent_id, multiplier, dig, initial, line in rows.iter_rows():
        records.append(
            Meter(
                meter_id=meter_id,
                utility=Utility(util),
                scope=Scope(scp),
                unit_id=unit_id,
                parent_id=parent_id,
                multiplier=Decimal(multiplier),
                digits=dig,
                initial_reading=Decimal(initial),
            )
        )
        lines.append(line)
    return Validated(file=table.file, records=tuple(records), lines=tuple(lines), problems=problems)


def _with_parents(frame: pl.DataFrame, context: MeterContext) -> pl.DataFrame:
    """`_parent_scope`, `_parent_utility`: the parent as this file (first row) or else the database has it.

    The scope is "?" for a parent row of this file whose own scope is wrong (reported there).
    """
    in_file = (
        frame.filter(present("meter_id"))
        .unique("meter_id", keep="first", maintain_order=True)
        .select(
            pl.col("meter_id").alias("parent_id"),
            choice("scope", SCOPES).fill_null("?").alias("_parent_scope"),
            choice("utility", UTILITIES).alias("_parent_utility"),
        )
    )
    wanted = set(frame.get_column("parent_id").drop_nulls().to_list()) - set(in_file.get_column("parent_id"))
    stored = [context.meters[m] for m in sorted(wanted) if m in context.meters]
    from_db = pl.DataFrame(
        {
            "parent_id": [m.meter_id for m in stored],
            "_parent_scope": [m.scope.value for m in stored],
            "_parent_utility": [m.utility.value for m in stored],
        },
        schema={"parent_id": pl.String, "_parent_scope": pl.String, "_parent_utility": pl.String},
    )
    parents = pl.concat([in_file, from_db])
    return frame.join(parents, on="parent_id", how="left", maintain_order="left")


def _with_stored(frame: pl.DataFrame, context: MeterContext) -> pl.DataFrame:
    """`_stored_*`: utility, scope and unit of the meters that already have readings."""
    ids = [
        m for m in frame.get_column("meter_id").drop_nulls().unique().to_list() if m in context.with_readings
    ]
    stored = [context.meters[m] for m in ids if m in context.meters]
    known = pl.DataFrame(
        {
            "meter_id": [m.meter_id for m in stored],
            "_stored_utility": [m.utility.value for m in stored],
            "_stored_scope": [m.scope.value for m in stored],
            "_stored_unit": [m.unit_id for m in stored],
        },
        schema={n: pl.String for n in ("meter_id", "_stored_utility", "_stored_scope", "_stored_unit")},
    )
    return frame.join(known, on="meter_id", how="left", maintain_order="left")
