"""The meter-changes file: a meter replaced, the old meter's final and the new meter's first reading."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from billing.domain.period import Period
from billing.domain.records import Meter, MeterChange
from billing.ingest.table import LINE, Table
from billing.validate.checks import (
    Checks,
    Number,
    Validated,
    broken,
    canonical,
    date_value,
    member,
    present,
)

_OLD_FINAL = Number("old_final", max_int=12, max_frac=6)
_NEW_INITIAL = Number("new_initial", max_int=12, max_frac=6)
# wide enough that any stored reading compares exactly (a reading has at most 6 decimals)
_PREVIOUS_SCALE = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterChangeContext:
    """What the database knows when a meter-changes file comes in.

    - `meters`: the stored meters (the meter replaced must be one of them);
    - `issued`: the periods already billed — a change dated in one of them is refused
      (CHANGE_NOT_IN_OPEN_PERIOD);
    - `previous`: per meter, the last reading before the change's period (optional; when given,
      an old meter's final reading below it is CHANGE_BELOW_PREVIOUS). Keyed by meter_id; the
      pipeline passes the reading the change will be rated against.
    """

    meters: Mapping[str, Meter]
    issued: Set[Period] = frozenset()
    previous: Mapping[str, Decimal] = field(default_factory=dict)


def validate_meter_changes(table: Table, context: MeterChangeContext) -> Validated[MeterChange]:
    """Every problem of every row of a meter-changes file, and the changes of the rows without an error.

    meter_id a known meter; date a date in a period not yet issued; old_final and new_initial
    numbers ≥ 0; one change per meter per period (DUPLICATE_KEY on the meter and month).
    """
    if broken(table):
        return Validated(file=table.file, problems=table.problems)
    c = Checks(table)
    c.prepare(_OLD_FINAL, _NEW_INITIAL)
    c.frame = _with_previous(c.frame, context)
    change_date = date_value("date")
    period = change_date.dt.strftime("%Y-%m")

    c.required("meter_id")
    c.add(
        present("meter_id") & ~member(pl.col("meter_id"), context.meters),
        "UNKNOWN_METER",
        meter_id=pl.col("meter_id"),
    )
    c.required("date")
    c.date("date")
    c.add(member(period, (str(p) for p in context.issued)), "CHANGE_NOT_IN_OPEN_PERIOD", value=pl.col("date"))
    c.unique([pl.col("meter_id"), period], key=pl.concat_str(pl.col("meter_id"), pl.lit(" "), period))
    for num in (_OLD_FINAL, _NEW_INITIAL):
        c.required(num.column)
        c.number(num, minimum="0")
    old_final = _OLD_FINAL.value
    c.add(
        _OLD_FINAL.ok & ~_OLD_FINAL.too_precise & (old_final < pl.col("_previous")),
        "CHANGE_BELOW_PREVIOUS",
        old_final=_OLD_FINAL.canonical,
        previous=pl.col("_previous_text"),
    )
    problems, good = c.run()

    rows = good.sort(LINE).select(
        pl.col("meter_id"),
        change_date.alias("date"),
        _OLD_FINAL.canonical.alias("old_final"),
        _NEW_INITIAL.canonical.alias("new_initial"),
        pl.col(LINE),
    )
    records = []
    lines = []
    for meter_id, day, final, initial, line in rows.iter_rows():
        records.append(
            MeterChange(
                meter_id=meter_id, change_date=day, old_final=Decimal(final), new_initial=Decimal(initial)
            )
        )
        lines.append(line)
    return Validated(file=table.file, records=tuple(records), lines=tuple(lines), problems=problems)


def _with_previous(frame: pl.DataFrame, context: MeterChangeContext) -> pl.DataFrame:
    ids = [m for m in frame.get_column("meter_id").drop_nulls().unique().to_list() if m in context.previous]
    texts = [canonical(context.previous[m]) for m in ids]
    prev = pl.DataFrame(
        {"meter_id": ids, "_previous_text": texts},
        schema={"meter_id": pl.String, "_previous_text": pl.String},
    ).with_columns(
        pl.col("_previous_text").cast(pl.Decimal(38, _PREVIOUS_SCALE), strict=False).alias("_previous")
    )
    return frame.join(prev, on="meter_id", how="left", maintain_order="left")
