"""`billing import …`: a file in, checked whole, written in one transaction or not at all.

Each import reads the file, validates every row against what the database knows, and only
when no row has an error writes the records and the file's content hash. The same content
again (same kind and scope) changes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import polars as pl
from sqlalchemy import Connection, insert

from billing.domain.money import to_fen
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.domain.records import Meter, MeterChange
from billing.ingest.columns import DEPOSITS, METER_CHANGES, METERS, READINGS, UNITS
from billing.ingest.table import LINE, ColumnSpec, Table, read_table
from billing.pipeline.context import Context, StepResult
from billing.store import repo
from billing.store import schema as t
from billing.store.locks import exclusive
from billing.validate.deposits import DepositContext, validate_deposits
from billing.validate.meter_changes import MeterChangeContext, validate_meter_changes
from billing.validate.meters import MeterContext, validate_meters
from billing.validate.readings import (
    Details,
    ReadingBasis,
    ReadingContext,
    ValidatedReadings,
    validate_readings,
)
from billing.validate.units import validate_units


class _Checked(Protocol):
    @property
    def problems(self) -> tuple[Problem, ...]: ...


@dataclass(frozen=True, slots=True)
class ImportKind:
    """How one kind of file is read, checked against the database, and written."""

    name: str
    columns: Sequence[ColumnSpec]
    check: Callable[[Connection, Table], Any]
    write: Callable[[Connection, Any, int, date], str]
    # the check proves every reference the written rows hold: the database need not look again
    references_checked: bool = False


def import_file(ctx: Context, kind: ImportKind, path: Path, *, today: date, scope: str = "") -> StepResult:
    """Read → check every row → write all or nothing; the same content twice changes nothing."""
    result = StepResult()
    if not path.is_file():
        result.problems.append(Problem.error("FILE_NOT_FOUND", file=str(path)))
        return result
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with (
        ctx.engine.connect() as conn,
        repo.references_checked(conn) if kind.references_checked else contextlib.nullcontext(),
        conn.begin(),
    ):
        exclusive(conn, "import")
        if repo.import_seen(conn, kind.name, scope, sha):
            result.say(f"{path}: " + Problem.warning("ALREADY_IMPORTED").message(ctx.lang))
            return result
        table = read_table(path, kind.columns)
        checked: _Checked = kind.check(conn, table)
        result.problems.extend(checked.problems)
        if any(p.is_error for p in checked.problems):
            result.refused = True
            return result
        import_id = repo.record_import(
            conn,
            kind=kind.name,
            scope=scope,
            file_name=path.name,
            sha256=sha,
            rows=table.height,
            now=datetime.now(),
        )
        result.say(f"{path}: {kind.write(conn, checked, import_id, today)}")
    return result


# --- units -----------------------------------------------------------------------------------------


def _write_units(conn: Connection, checked: Any, import_id: int, today: date) -> str:
    inserted, changed = repo.upsert_units(conn, checked.records, import_id=import_id, changed_on=today)
    return f"{inserted} new, {changed} changed units"


UNITS_KIND = ImportKind("units", UNITS, lambda conn, table: validate_units(table), _write_units)


# --- meters ----------------------------------------------------------------------------------------


def _check_meters(conn: Connection, table: Table) -> Any:
    context = MeterContext(
        units=repo.unit_ids(conn),
        meters=repo.meter_table(conn),
        with_readings=repo.meters_with_readings(conn),
    )
    return validate_meters(table, context)


def _write_meters(conn: Connection, checked: Any, import_id: int, today: date) -> str:
    inserted, changed = repo.upsert_meters(conn, checked.records, import_id=import_id)
    return f"{inserted} new, {changed} changed meters"


METERS_KIND = ImportKind("meters", METERS, _check_meters, _write_meters)


# --- meter changes ---------------------------------------------------------------------------------


def _check_meter_changes(conn: Connection, table: Table) -> Any:
    issued = {Period.parse(p) for p in repo.issued_periods(conn)}
    # A change falls in an open period: the first one not issued, or with no bill yet, the first
    # period with readings. Its previous reading is the meter's last reading before that period.
    open_period = max(issued).next() if issued else repo.first_reading_period(conn) or Period(9999, 12)
    # only the meters the file names are looked at
    named = table.frame.get_column("meter_id").drop_nulls().unique().to_list() if table.ok else []
    previous = repo.previous_readings(conn, open_period, named)
    context = MeterChangeContext(
        meters=repo.meter_table(conn, named),
        issued=frozenset(issued),
        previous={m: v for m, (v, _) in previous.items()},
    )
    return validate_meter_changes(table, context)


def _write_meter_changes(conn: Connection, checked: Any, import_id: int, today: date) -> str:
    return f"{repo.upsert_meter_changes(conn, checked.records, import_id=import_id)} meter changes"


METER_CHANGES_KIND = ImportKind("meter-changes", METER_CHANGES, _check_meter_changes, _write_meter_changes)


# --- readings --------------------------------------------------------------------------------------


# Rows checked at a time: a readings file of any size is checked in slices of meter ids, each
# against its own slice of the database, so that memory stays bounded (CONTRACT: every problem of
# every row is still reported; a meter's rows are always in one slice, so duplicates are found).
# What the database knows comes as polars frames of text (`repo.reading_basis`), never as a
# Python object per meter: a million-unit estate's file of two million rows is one slice, checked
# in this process (polars uses every core; a process pool would only add start-up and pickling).
READINGS_SLICE = 2_500_000
# Meters whose rows are worked out one by one (or may be a spike) are read this many at a time.
_DETAILS_AT_ONCE = 5000


@dataclass(frozen=True, slots=True)
class _Slice:
    """One slice of a readings file to check: its rows and what bounds its meter ids."""

    period: Period
    table: Table
    low: str | None  # its meter ids are ≥ low and < high (None: unbounded)
    high: str | None
    months: tuple[Period, ...]  # the trailing months, oldest first; () when there is no history
    changes: Mapping[str, MeterChange]
    whole: bool  # the only slice: every stored meter is read, no id filter


def readings_kind(period: Period) -> ImportKind:
    def check(conn: Connection, table: Table) -> Any:
        if str(period) in repo.issued_periods(conn):  # refused before anything is looked at
            return validate_readings(table, ReadingContext(period=period, issued=True))
        if not table.ok:
            return validate_readings(table, ReadingContext(period=period))
        trailing = _trailing(period, 4)
        # The average needs two consecutive months of history: skip reading it when there are none.
        have = repo.periods_with_readings(conn, trailing)
        months = (
            tuple(reversed(trailing))
            if any(a in have and b in have for a, b in itertools.pairwise(trailing))
            else ()
        )
        changes = repo.changes_in(conn, period)
        ids = table.frame.get_column("meter_id")
        starts = ids.drop_nulls().unique().sort().gather_every(READINGS_SLICE).to_list()
        slices = []
        for k, low in enumerate(starts or [None]):
            high = starts[k + 1] if k + 1 < len(starts) else None
            rows = pl.lit(True)
            if low is not None and k > 0:
                rows = rows & (pl.col("meter_id") >= low)
            if high is not None:
                rows = rows & (pl.col("meter_id") < high)
            if k == 0:
                rows = rows | pl.col("meter_id").is_null()  # rows without an id: checked once
            part = table if len(starts) <= 1 else dataclasses.replace(table, frame=table.frame.filter(rows))
            slices.append(
                _Slice(period, part, low if k > 0 else None, high, months, changes, whole=len(starts) <= 1)
            )
        if len(slices) == 1:
            return _check_slice(slices[0], conn)
        done = [_check_slice(s, conn) for s in slices]
        return ValidatedReadings(
            file=table.file,
            period=period,
            frame=pl.concat([d.frame for d in done]).sort(LINE),
            problems=tuple(sorted((p for d in done for p in d.problems), key=lambda p: p.line or 0)),
        )

    def write(conn: Connection, checked: Any, import_id: int, today: date) -> str:
        # In file order: sorting by meter first costs more than it saves the readings index.
        frame = checked.frame.select("meter_id", "reading", "read_date")
        plain = frame.get_column("reading").str.contains(r"^(0|[1-9][0-9]{0,19})(\.[0-9]{1,6})?$").all()
        if not plain:  # the stored text is str(Decimal) of the reading, as the column writes it
            frame = frame.with_columns(
                pl.col("reading").map_elements(lambda r: str(Decimal(r)), return_dtype=pl.String)
            )
        frame = frame.with_columns(pl.col("read_date").dt.strftime("%Y-%m-%d"))
        replaced = repo.insert_period_readings(conn, period, frame, import_id=import_id)
        note = f" ({replaced} replaced)" if replaced else ""
        return f"{frame.height} readings for {period}{note}"

    return ImportKind("readings", READINGS, check, write, references_checked=True)


def _check_slice(part: _Slice, conn: Connection) -> ValidatedReadings:
    """Check one slice against the meters, previous readings and history of its meter ids."""
    named = None if part.whole else part.table.frame.get_column("meter_id").drop_nulls().to_list()
    meters = repo.reading_basis(conn, part.period, named, part.low, part.high)
    history = repo.history_frame(conn, part.months, named, part.low, part.high)

    def details(ids: Sequence[str]) -> Details:
        # a few thousand ids at a time: never every meter of the estate as objects
        meters: dict[str, Meter] = {}
        previous: dict[str, tuple[Decimal, date | None]] = {}
        for i in range(0, len(ids), _DETAILS_AT_ONCE):
            chunk = ids[i : i + _DETAILS_AT_ONCE]
            meters.update(repo.meter_table(conn, chunk).items())
            previous.update(repo.previous_readings(conn, part.period, chunk))
        wanted = pl.DataFrame({"meter_id": list(ids)}, schema={"meter_id": pl.String})
        values: dict[str, dict[str, Decimal]] = {}
        for row in history.join(wanted, on="meter_id", how="semi").iter_rows(named=True):
            values[row["meter_id"]] = {
                p: Decimal(v) for p, v in row.items() if p != "meter_id" and v is not None
            }
        return Details(
            meters=meters, previous=previous, average=trailing_average(values, meters, part.period)
        )

    context = ReadingContext(
        period=part.period,
        issued=False,
        changes=part.changes,
        basis=ReadingBasis(
            meters=meters, history=history, months=tuple(str(m) for m in part.months), details=details
        ),
    )
    return validate_readings(part.table, context)


def _trailing(period: Period, n: int) -> list[Period]:
    out, p = [], period
    for _ in range(n):
        p = p.prev()
        out.append(p)
    return out


def trailing_average(
    history: Mapping[str, Mapping[str, Decimal]], meters: Mapping[str, Meter], period: Period
) -> dict[str, Decimal]:
    """Per meter, the mean consumption (× multiplier) of up to 3 months before `period`.

    Months where the register went down (a rollover or a replacement) are left out: the
    average is only a plausibility guide for CONSUMPTION_SPIKE.
    """
    months = list(reversed(_trailing(period, 4)))
    out: dict[str, Decimal] = {}
    for meter_id, values in history.items():
        meter = meters.get(meter_id)
        if meter is None:
            continue
        used = [
            values[str(b)] - values[str(a)]
            for a, b in itertools.pairwise(months)
            if str(a) in values and str(b) in values and values[str(b)] >= values[str(a)]
        ]
        if used:
            out[meter_id] = sum(used, Decimal(0)) * meter.multiplier / len(used)
    return out


# --- deposits --------------------------------------------------------------------------------------


def _check_deposits(conn: Connection, table: Table) -> Any:
    from sqlalchemy import select

    slips = set(conn.execute(select(t.payments.c.slip_no).where(t.payments.c.slip_no.is_not(None))).scalars())
    return validate_deposits(table, DepositContext(units=repo.unit_ids(conn), slips=frozenset(slips)))


def _write_deposits(conn: Connection, checked: Any, import_id: int, today: date) -> str:
    rows = [
        {
            "unit_id": d.unit_id,
            "pay_date": d.pay_date,
            "amount_fen": to_fen(d.amount),
            "method": str(d.method),
            "payer": d.payer,
            "slip_no": d.slip_no,
            "import_id": import_id,
        }
        for d in checked.records
    ]
    if rows:
        conn.execute(insert(t.payments), rows)
    total = sum((d.amount for d in checked.records), Decimal(0))
    return f"{len(rows)} deposits, total {total:.2f}"


DEPOSITS_KIND = ImportKind("deposits", DEPOSITS, _check_deposits, _write_deposits)

KINDS: Mapping[str, ImportKind] = {
    k.name: k for k in (UNITS_KIND, METERS_KIND, METER_CHANGES_KIND, DEPOSITS_KIND)
}
