"""Repositories: read domain records from the tables and write them back in bulk.

Every function takes an open `Connection` inside the caller's transaction; none commits.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Connection, delete, func, insert, select, update

from billing.domain.money import from_fen, to_fen
from billing.domain.period import Period
from billing.domain.records import Meter, MeterChange, Scope, Unit, UnitKind, Utility
from billing.store import schema as t
from billing.store.bulk import as_date, as_decimal, driver, fetch, insert_rows, is_postgres, placeholders

# --- imports ------------------------------------------------------------------------------------


def import_seen(conn: Connection, kind: str, scope: str, sha256: str) -> bool:
    q = select(t.imports.c.id).where(
        t.imports.c.kind == kind, t.imports.c.scope == scope, t.imports.c.sha256 == sha256
    )
    return conn.execute(q).first() is not None


def record_import(
    conn: Connection, *, kind: str, scope: str, file_name: str, sha256: str, rows: int, now: datetime
) -> int:
    res = conn.execute(
        insert(t.imports).values(
            kind=kind, scope=scope, file_name=file_name, sha256=sha256, rows=rows, imported_at=now
        )
    )
    return int(res.inserted_primary_key[0])  # type: ignore[index]


def next_id(conn: Connection, table: Any) -> int:
    """The next free id of a table; callers hold the write lock of their transaction."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


# --- units --------------------------------------------------------------------------------------

_UNIT_FIELDS = (
    "building",
    "floor",
    "kind",
    "area_m2",
    "handover_date",
    "owner_name",
    "phone",
    "bank_name",
    "bank_account",
    "account_name",
    "debit",
)


_KINDS = {k.value: k for k in UnitKind}
_UTILITIES = {u.value: u for u in Utility}
_SCOPES = {s.value: s for s in Scope}
_UNIT_COLUMNS = "unit_id, building, floor, kind, area_m2, handover_date, " + ", ".join(_UNIT_FIELDS[5:])
# An IN list longer than this reads the whole table and filters (SQLite's limit is 32766).
_IN_LIMIT = 5000


def _units(rows: Iterable[tuple[Any, ...]]) -> dict[str, Unit]:
    decimals: dict[str, Decimal] = {}
    out = {}
    for unit_id, building, floor, kind, area, handover, owner, phone, bank, account, name, debit in rows:
        area_m2 = decimals.get(area)
        if area_m2 is None:
            area_m2 = decimals[area] = as_decimal(area)
        out[unit_id] = Unit(
            unit_id=unit_id,
            building=building,
            floor=floor,
            kind=_KINDS[kind],
            area_m2=area_m2,
            handover_date=as_date(handover),
            owner_name=owner,
            phone=phone,
            bank_name=bank,
            bank_account=account,
            account_name=name,
            debit=bool(debit),
        )
    return out


def load_units(conn: Connection, unit_ids: Iterable[str] | None = None) -> dict[str, Unit]:
    """Units by id, in id order (of `unit_ids` only, when given)."""
    if unit_ids is None:
        return _units(fetch(conn, f"SELECT {_UNIT_COLUMNS} FROM units ORDER BY unit_id"))
    wanted = sorted(set(unit_ids))
    if len(wanted) > _IN_LIMIT:
        keep = set(wanted)
        return {k: u for k, u in load_units(conn).items() if k in keep}
    if not wanted:
        return {}
    return _units(
        fetch(
            conn,
            f"SELECT {_UNIT_COLUMNS} FROM units WHERE unit_id IN ({placeholders(len(wanted))}) ORDER BY unit_id",
            wanted,
        )
    )


def unit_ids(conn: Connection) -> set[str]:
    return {r[0] for r in fetch(conn, "SELECT unit_id FROM units")}


def _unit_values(u: Unit) -> dict[str, Any]:
    return {
        "building": u.building,
        "floor": u.floor,
        "kind": str(u.kind),
        "area_m2": u.area_m2,
        "handover_date": u.handover_date,
        "owner_name": u.owner_name,
        "phone": u.phone,
        "bank_name": u.bank_name,
        "bank_account": u.bank_account,
        "account_name": u.account_name,
        "debit": u.debit,
    }


def upsert_units(
    conn: Connection, new: Sequence[Unit], *, import_id: int, changed_on: date
) -> tuple[int, int]:
    """Insert new units, update changed ones keeping their old values in unit_history.

    Returns (inserted, changed).
    """
    old = load_units(conn, [u.unit_id for u in new])
    inserts, history, changed = [], [], []
    for u in new:
        before = old.get(u.unit_id)
        if before is None:
            inserts.append({"unit_id": u.unit_id, "import_id": import_id, **_unit_values(u)})
        elif before != u:
            history.append(
                {
                    "unit_id": u.unit_id,
                    "changed_on": changed_on,
                    "import_id": import_id,
                    **_unit_values(before),
                }
            )
            changed.append(u)
    if inserts:
        columns = ("unit_id", "import_id", *_UNIT_FIELDS)
        insert_rows(conn, "units", columns, (tuple(_bind(r[c]) for c in columns) for r in inserts))
    if history:
        conn.execute(insert(t.unit_history), history)
    for u in changed:
        conn.execute(
            update(t.units)
            .where(t.units.c.unit_id == u.unit_id)
            .values(import_id=import_id, **_unit_values(u))
        )
    return len(inserts), len(changed)


def unit_history(conn: Connection, unit_id: str) -> list[dict[str, Any]]:
    q = select(t.unit_history).where(t.unit_history.c.unit_id == unit_id).order_by(t.unit_history.c.id)
    return [dict(r._mapping) for r in conn.execute(q)]


# --- meters and readings ------------------------------------------------------------------------


_METER_COLUMNS = "meter_id, utility, scope, unit_id, parent_id, multiplier, digits, initial_reading"


def meter_of(row: Sequence[Any], decimal: Callable[[Any], Decimal]) -> Meter:
    """A meter row that starts with meter_id, utility, scope, unit_id, parent_id, multiplier,
    digits, initial_reading (the columns of `_METER_COLUMNS`, as stored; more may follow) as a
    `Meter`; `decimal` converts the multiplier and initial reading, and may cache them (see
    `cached_decimal`)."""
    return Meter(
        meter_id=row[0],
        utility=_UTILITIES[row[1]],
        scope=_SCOPES[row[2]],
        unit_id=row[3],
        parent_id=row[4],
        multiplier=decimal(row[5]),
        digits=row[6],
        initial_reading=decimal(row[7]),
    )


def cached_decimal() -> Callable[[Any], Decimal]:
    """`as_decimal` remembering what it converted (multipliers and initial readings repeat)."""
    seen: dict[Any, Decimal] = {}

    def convert(value: Any) -> Decimal:
        found = seen.get(value)
        if found is None:
            found = seen[value] = as_decimal(value)
        return found

    return convert


def load_meters(conn: Connection) -> dict[str, Meter]:
    """Every meter by id, in id order."""
    decimal = cached_decimal()
    return {
        r[0]: meter_of(r, decimal)
        for r in fetch(conn, f"SELECT {_METER_COLUMNS} FROM meters ORDER BY meter_id")
    }


class MeterTable(Mapping[str, Meter]):
    """Every stored meter by id, each `Meter` made only when looked up (and kept).

    For checks that ask whether ids are known and look at a few meters: a million meters cost
    their rows, not a million objects. Iterating the values makes them all.
    """

    def __init__(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self._rows = {r[0]: r for r in rows}
        self._made: dict[str, Meter] = {}
        self._decimal = cached_decimal()

    def __getitem__(self, meter_id: str) -> Meter:
        found = self._made.get(meter_id)
        if found is None:
            found = self._made[meter_id] = meter_of(self._rows[meter_id], self._decimal)
        return found

    def __contains__(self, meter_id: object) -> bool:
        return meter_id in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def items(self) -> ItemsView[str, Meter]:
        return _MeterItems(self)

    def values(self) -> ValuesView[Meter]:
        return _MeterValues(self)

    def made(self) -> Iterator[tuple[str, Meter]]:
        """Every (id, meter), each made afresh unless looked up before (none is kept)."""
        made, decimal = self._made, self._decimal
        for meter_id, row in self._rows.items():
            found = made.get(meter_id)
            if found is None:
                found = meter_of(row, decimal)
            yield meter_id, found


class _MeterItems(ItemsView[str, Meter]):
    _mapping: MeterTable

    def __iter__(self) -> Iterator[tuple[str, Meter]]:
        return self._mapping.made()


class _MeterValues(ValuesView[Meter]):
    _mapping: MeterTable

    def __iter__(self) -> Iterator[Meter]:
        return (m for _, m in self._mapping.made())


def meter_table(conn: Connection, meter_ids: Iterable[str] | None = None) -> MeterTable:
    """The stored meters (of `meter_ids` only, when given), in id order, made on lookup."""
    if meter_ids is not None:
        wanted = sorted(set(meter_ids))
        if len(wanted) <= _IN_LIMIT:
            rows = (
                fetch(
                    conn,
                    f"SELECT {_METER_COLUMNS} FROM meters WHERE meter_id IN ({placeholders(len(wanted))}) "
                    "ORDER BY meter_id",
                    wanted,
                )
                if wanted
                else []
            )
            return MeterTable(rows)
    return MeterTable(fetch(conn, f"SELECT {_METER_COLUMNS} FROM meters ORDER BY meter_id"))


def upsert_meters(conn: Connection, new: Sequence[Meter], *, import_id: int) -> tuple[int, int]:
    old = meter_table(conn, [m.meter_id for m in new])
    inserts, changed = [], []
    for m in new:
        values = {
            "utility": str(m.utility),
            "scope": str(m.scope),
            "unit_id": m.unit_id,
            "parent_id": m.parent_id,
            "multiplier": m.multiplier,
            "digits": m.digits,
            "initial_reading": m.initial_reading,
        }
        before = old.get(m.meter_id)
        if before is None:
            inserts.append({"meter_id": m.meter_id, "import_id": import_id, **values})
        elif before != m:
            changed.append((m.meter_id, values))
    # masters first, so that a parent exists before the meters under it
    inserts.sort(key=lambda r: (r["scope"] != "master", r["meter_id"]))
    if inserts:
        columns: tuple[str, ...] = ("meter_id", "import_id", "utility", "scope", "unit_id", "parent_id")
        columns += ("multiplier", "digits", "initial_reading")
        insert_rows(conn, "meters", columns, (tuple(_bind(r[c]) for c in columns) for r in inserts))
    for meter_id, values in changed:
        conn.execute(
            update(t.meters).where(t.meters.c.meter_id == meter_id).values(import_id=import_id, **values)
        )
    return len(inserts), len(changed)


def meters_with_readings(conn: Connection) -> set[str]:
    """The meters with any reading stored (each meter's first period is enough to know)."""
    return {r[0] for r in fetch(conn, "SELECT DISTINCT meter_id FROM readings")}


def _reading_values(rows: Iterable[tuple[Any, ...]]) -> dict[str, tuple[Decimal, date | None]]:
    dates: dict[Any, date | None] = {None: None}
    out = {}
    for meter_id, reading, day in rows:
        d = dates.get(day, False)
        if d is False:
            d = dates[day] = as_date(day)
        out[meter_id] = (as_decimal(reading), d)
    return out  # type: ignore[return-value]


def readings_of(conn: Connection, period: Period) -> dict[str, tuple[Decimal, date | None]]:
    return _reading_values(
        fetch(conn, "SELECT meter_id, reading, read_date FROM readings WHERE period = ?", [str(period)])
    )


def previous_readings(
    conn: Connection, period: Period, meter_ids: Iterable[str] | None = None
) -> dict[str, tuple[Decimal, date | None]]:
    """Each meter's last reading before the period, or its initial reading (date None);
    of `meter_ids` only, when given."""
    sql = (
        "SELECT m.meter_id, COALESCE(r.reading, m.initial_reading), r.read_date FROM meters m "
        "LEFT JOIN readings r ON r.meter_id = m.meter_id AND r.period = "
        "(SELECT MAX(x.period) FROM readings x WHERE x.meter_id = m.meter_id AND x.period < ?)"
    )
    if meter_ids is not None:
        wanted = sorted(set(meter_ids))
        if len(wanted) <= _IN_LIMIT:
            if not wanted:
                return {}
            where = f" WHERE m.meter_id IN ({placeholders(len(wanted))})"
            return _reading_values(fetch(conn, sql + where, [str(period), *wanted]))
        keep = set(wanted)
        return {k: v for k, v in previous_readings(conn, period).items() if k in keep}
    return _reading_values(fetch(conn, sql, [str(period)]))


def periods_with_readings(conn: Connection, periods: Iterable[Period]) -> set[Period]:
    """Which of `periods` have any reading stored."""
    return {p for p in periods if fetch(conn, "SELECT 1 FROM readings WHERE period = ? LIMIT 1", [str(p)])}


def _id_filter(
    conn: Connection, column: str, ids: Sequence[str] | None, low: str | None, high: str | None
) -> tuple[str, list[Any]]:
    """` AND …` keeping the rows of `ids`, which lie in [low, high). SQLite reads the id range
    (its text order is Python's); PostgreSQL, whose collation may order text otherwise, the ids."""
    if ids is None:
        return "", []
    if is_postgres(conn):
        return f" AND {column} = ANY(?)", [list(ids)]
    where, params = "", []
    if low is not None:
        where += f" AND {column} >= ?"
        params.append(low)
    if high is not None:
        where += f" AND {column} < ?"
        params.append(high)
    return where, params


def replace_readings(
    conn: Connection, period: Period, rows: Sequence[Mapping[str, Any]], *, import_id: int
) -> int:
    """Write a period's readings; a meter's earlier reading for the period is replaced.

    rows: meter_id, reading (Decimal), read_date. Returns how many earlier readings were replaced.
    """
    p = str(period)
    return replace_reading_rows(
        conn,
        period,
        [(r["meter_id"], p, str(Decimal(r["reading"])), _bind(r.get("read_date")), import_id) for r in rows],
        ids=[r["meter_id"] for r in rows],
    )


def replace_reading_rows(
    conn: Connection, period: Period, rows: Iterable[Sequence[Any]], *, ids: Iterable[str]
) -> int:
    """Write a period's readings given as rows of the readings table (meter_id, period, reading
    as its exact decimal text, read_date as ISO text or None, import_id), in bulk; `ids` are
    their meters, whose earlier readings of the period are replaced. Returns how many were."""
    replaced = 0
    p = str(period)
    if fetch(conn, "SELECT 1 FROM readings WHERE period = ? LIMIT 1", [p]):
        wanted = list(ids)
        for i in range(0, len(wanted), _IN_LIMIT):
            chunk = wanted[i : i + _IN_LIMIT]
            res = conn.execute(
                delete(t.readings).where(t.readings.c.period == p, t.readings.c.meter_id.in_(chunk))
            )
            replaced += res.rowcount or 0
    insert_rows(conn, "readings", ("meter_id", "period", "reading", "read_date", "import_id"), rows)
    return replaced


# --- the readings import, as frames -------------------------------------------------------------
#
# A readings file of a million rows is checked against a million meters: what it needs of each
# meter (its multiplier, its previous reading, its trailing history) is read into polars frames of
# text, never into Python objects one per meter. SQLite hands each column over as one string
# (group_concat), which polars splits; PostgreSQL rows come through the driver's cursor.

_SEP = "\x1e"  # never in a value: input files with control characters are refused at ingest


def _text_frame(
    conn: Connection, names: Sequence[str], exprs: Sequence[str], rest: str, params: Sequence[Any]
) -> pl.DataFrame:
    """`SELECT exprs rest` as a frame of String columns `names` (NULL stays null). Every expression
    must give text (or NULL), never the empty string."""
    schema = {n: pl.String for n in names}
    if is_postgres(conn):
        rows = fetch(conn, f"SELECT {', '.join(exprs)} {rest}", params)
        return pl.DataFrame(rows, schema=schema, orient="row")
    sep = "char(30)"
    parts = ", ".join(f"group_concat(COALESCE({e}, ''), {sep})" for e in exprs)
    found = fetch(conn, f"SELECT count(*), {parts} {rest}", params)[0]
    count, texts = int(found[0]), found[1:]
    if count == 0:
        return pl.DataFrame(schema=schema)
    columns = [
        pl.Series(n, [text], dtype=pl.String).str.split(_SEP).explode(empty_as_null=True)
        for n, text in zip(names, texts, strict=True)
    ]
    if any(c.len() != count for c in columns):  # a value holding the separator: row by row then
        rows = fetch(conn, f"SELECT {', '.join(exprs)} {rest}", params)
        return pl.DataFrame(rows, schema=schema, orient="row")
    frame = pl.DataFrame(columns)
    return frame.with_columns(pl.when(pl.col(n) != "").then(pl.col(n)).alias(n) for n in names)


def reading_basis(
    conn: Connection, period: Period, ids: Sequence[str] | None, low: str | None, high: str | None
) -> pl.DataFrame:
    """Per stored meter among `ids` (lying in [low, high); all when None), as text: `meter_id`,
    `multiplier` and `previous`, its last reading before `period` or else its initial reading
    (what `previous_readings` gives)."""
    p = str(period)
    m_where, m_params = _id_filter(conn, "m.meter_id", ids, low, high)
    last = fetch(conn, "SELECT MAX(period) FROM readings WHERE period < ?", [p])[0][0]
    if last is None:  # the first period of all: every meter starts from its initial reading
        return _text_frame(
            conn,
            ("meter_id", "multiplier", "previous"),
            ("m.meter_id", "m.multiplier", "m.initial_reading"),
            f"FROM meters m WHERE 1 = 1{m_where}",
            m_params,
        )
    meters = _text_frame(
        conn,
        ("meter_id", "multiplier", "initial"),
        ("m.meter_id", "m.multiplier", "m.initial_reading"),
        f"FROM meters m WHERE 1 = 1{m_where}",
        m_params,
    )
    r_where, r_params = _id_filter(conn, "r.meter_id", ids, low, high)
    last_readings = _text_frame(
        conn,
        ("meter_id", "reading"),
        ("r.meter_id", "r.reading"),
        f"FROM readings r WHERE r.period = ?{r_where}",
        [last, *r_params],
    )
    basis = meters.join(last_readings, on="meter_id", how="left", maintain_order="left")
    missing = basis.filter(pl.col("reading").is_null())
    if missing.height and fetch(conn, "SELECT 1 FROM readings WHERE period < ? LIMIT 1", [last]):
        # meters without a reading in the last period may have an older one: looked up one by one
        older = _text_frame(
            conn,
            ("meter_id", "older"),
            (
                "m.meter_id",
                "(SELECT x.reading FROM readings x WHERE x.meter_id = m.meter_id AND x.period < ? "
                "ORDER BY x.period DESC LIMIT 1)",
            ),
            "FROM meters m WHERE NOT EXISTS (SELECT 1 FROM readings y WHERE y.meter_id = m.meter_id "
            f"AND y.period = ?){m_where}",
            [p, last, *m_params],
        )
        basis = basis.join(older, on="meter_id", how="left", maintain_order="left").with_columns(
            pl.coalesce("reading", "older").alias("reading")
        )
    return basis.select("meter_id", "multiplier", pl.coalesce("reading", "initial").alias("previous"))


def history_frame(
    conn: Connection, periods: Sequence[Period], ids: Sequence[str] | None, low: str | None, high: str | None
) -> pl.DataFrame:
    """meter_id and one column of reading text per period of `periods` (named by the period; null
    where the meter has none), for the meters among `ids` (in [low, high)) with any of them."""
    wanted = [str(p) for p in periods]
    wide = pl.DataFrame(schema={"meter_id": pl.String})
    where, params = _id_filter(conn, "meter_id", ids, low, high)
    for p in wanted:  # month by month, each read by the period index, then joined
        month = _text_frame(
            conn,
            ("meter_id", p),
            ("meter_id", "reading"),
            f"FROM readings WHERE period = ?{where}",
            [p, *params],
        )
        if month.height == 0:
            wide = wide.with_columns(pl.lit(None, dtype=pl.String).alias(p))
        elif wide.height == 0:
            wide = month.with_columns(
                pl.lit(None, dtype=pl.String).alias(c) for c in wide.columns[1:]
            ).select(*wide.columns, p)
        else:
            wide = wide.join(month, on="meter_id", how="full", coalesce=True)
    return wide


_JSON_ROWS = 200_000


@contextmanager
def references_checked(conn: Connection) -> Iterator[None]:
    """SQLite: foreign keys not enforced on `conn` inside the block, for a writer that has itself
    checked every reference of the rows it writes, under the write lock (a readings import: each
    meter is known, the import row is its own). Saves a lookup per row. Enter it outside a
    transaction (SQLite ignores the switch inside one). PostgreSQL: nothing changes."""
    if is_postgres(conn):
        yield
        return
    raw = driver(conn)
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def insert_period_readings(conn: Connection, period: Period, frame: pl.DataFrame, *, import_id: int) -> int:
    """Write a period's readings from a frame of `meter_id`, `reading` (its exact decimal text) and
    `read_date` (ISO text or null); earlier readings of the period of these meters are replaced.
    Returns how many were."""
    p = str(period)
    replaced = 0
    ids = frame.get_column("meter_id")
    if fetch(conn, "SELECT 1 FROM readings WHERE period = ? LIMIT 1", [p]):
        for i in range(0, ids.len(), _IN_LIMIT):
            chunk = ids.slice(i, _IN_LIMIT).to_list()
            res = conn.execute(
                delete(t.readings).where(t.readings.c.period == p, t.readings.c.meter_id.in_(chunk))
            )
            replaced += res.rowcount or 0
    rows = frame.select("meter_id", "reading", "read_date")
    if is_postgres(conn):
        insert_rows(
            conn,
            "readings",
            ("meter_id", "period", "reading", "read_date", "import_id"),
            ((m, p, r, d, import_id) for part in rows.iter_slices(50_000) for m, r, d in part.iter_rows()),
        )
        return replaced
    # SQLite: the constant columns are literals (a period is YYYY-MM). Each chunk goes in as one
    # JSON text that polars writes and SQLite takes apart, no Python object per row (a quarter
    # less time than executemany of tuples); texts pass through JSON unchanged.
    head = "INSERT INTO readings (meter_id, period, reading, read_date, import_id) "
    literal, number = f"'{Period.parse(p)}'", int(import_id)
    cur = driver(conn).cursor()
    try:
        if sqlite3.sqlite_version_info >= (3, 38, 0):
            sql = (
                f"{head}SELECT json_extract(value, '$.m'), {literal}, json_extract(value, '$.r'), "
                f"json_extract(value, '$.d'), {number} FROM json_each(?)"
            )
            named = rows.rename({"meter_id": "m", "reading": "r", "read_date": "d"})
            for part in named.iter_slices(_JSON_ROWS):
                cur.execute(sql, (part.write_json(),))
        else:
            sql = f"{head}VALUES (?, {literal}, ?, ?, {number})"
            for part in rows.iter_slices(50_000):
                cur.executemany(sql, part.rows())
    finally:
        cur.close()
    return replaced


def first_reading_period(conn: Connection) -> Period | None:
    first = conn.execute(select(func.min(t.readings.c.period))).scalar()
    return Period.parse(first) if first else None


def changes_in(conn: Connection, period: Period) -> dict[str, MeterChange]:
    q = select(t.meter_changes).where(t.meter_changes.c.period == str(period))
    return {
        r.meter_id: MeterChange(
            meter_id=r.meter_id, change_date=r.change_date, old_final=r.old_final, new_initial=r.new_initial
        )
        for r in conn.execute(q)
    }


def upsert_meter_changes(conn: Connection, changes: Sequence[MeterChange], *, import_id: int) -> int:
    for c in changes:
        period = str(Period.of(c.change_date))
        conn.execute(
            delete(t.meter_changes).where(
                t.meter_changes.c.meter_id == c.meter_id, t.meter_changes.c.period == period
            )
        )
    if changes:
        conn.execute(
            insert(t.meter_changes),
            [
                {
                    "meter_id": c.meter_id,
                    "period": str(Period.of(c.change_date)),
                    "change_date": c.change_date,
                    "old_final": c.old_final,
                    "new_initial": c.new_initial,
                    "import_id": import_id,
                }
                for c in changes
            ],
        )
    return len(changes)


# --- bills --------------------------------------------------------------------------------------


def issued_periods(conn: Connection) -> set[str]:
    return set(conn.execute(select(t.bill_runs.c.period)).scalars())


def run_of(conn: Connection, period: Period) -> Any:
    return conn.execute(select(t.bill_runs).where(t.bill_runs.c.period == str(period))).first()


def bill_of(conn: Connection, unit_id: str, period: Period) -> Any:
    q = select(t.bills).where(t.bills.c.unit_id == unit_id, t.bills.c.period == str(period))
    return conn.execute(q).first()


def lines_of_bill(conn: Connection, bill_id: int) -> list[Any]:
    q = select(t.bill_lines).where(t.bill_lines.c.bill_id == bill_id).order_by(t.bill_lines.c.seq)
    return list(conn.execute(q))


def period_lines(conn: Connection, period: Period) -> list[Any]:
    """Every line of the period's bills with its unit, in building, floor, unit, line order."""
    q = (
        select(
            t.bills.c.unit_id,
            t.bills.c.period,
            t.bill_lines.c.item,
            t.bill_lines.c.quantity,
            t.bill_lines.c.amount_fen,
            t.bill_lines.c.seq,
        )
        .join(t.bill_lines, t.bill_lines.c.bill_id == t.bills.c.id)
        .where(t.bills.c.period == str(period))
        .order_by(t.bills.c.unit_id, t.bill_lines.c.seq)
    )
    return list(conn.execute(q))


def pending_adjustments(conn: Connection) -> dict[str, list[Any]]:
    q = select(t.adjustments).where(t.adjustments.c.applied_bill_id.is_(None)).order_by(t.adjustments.c.id)
    out: dict[str, list[Any]] = defaultdict(list)
    for r in conn.execute(q):
        out[r.unit_id].append(r)
    return out


def add_adjustment(
    conn: Connection,
    *,
    unit_id: str,
    period: Period,
    item: str,
    amount: Decimal,
    reason: str,
    recorded_on: date,
) -> int:
    res = conn.execute(
        insert(t.adjustments).values(
            unit_id=unit_id,
            period=str(period),
            item=item,
            amount_fen=to_fen(amount),
            reason=reason,
            recorded_on=recorded_on,
        )
    )
    return int(res.inserted_primary_key[0])  # type: ignore[index]


def adjustments_of(conn: Connection, unit_id: str | None = None) -> list[Any]:
    q = select(t.adjustments).order_by(t.adjustments.c.id)
    if unit_id is not None:
        q = q.where(t.adjustments.c.unit_id == unit_id)
    return list(conn.execute(q))


_DETAIL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":")).encode


def detail_json(detail: Mapping[str, object]) -> str:
    """A bill line's working as compact JSON text (keys sorted; Decimals and dates as text)."""
    return _DETAIL(detail)


def _bind(value: Any) -> Any:
    """A value as the bulk writers pass it: decimals as their text, dates as ISO text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def money(fen: int | None) -> Decimal:
    return from_fen(fen or 0)
