"""Bulk reads and writes beneath the repositories, for the paths where rows are many.

- `driver(conn)`: the driver's own connection under a SQLAlchemy `Connection`; statements on it
  run inside the caller's transaction.
- `insert_rows`: `executemany` on SQLite, `COPY … FROM STDIN` on PostgreSQL (psycopg 3).
- `update_rows`: `executemany` of an UPDATE on SQLite; COPY into a temporary table and one
  `UPDATE … FROM` on PostgreSQL.
- `fetch`: plain tuples straight from the driver's cursor (no Row objects, no type processing:
  SQLite gives dates and decimal columns as their text, PostgreSQL dates as `date`); `stream`
  the same, read in batches as they are consumed.
- `reader(url)`: a read-only connection of this process to the database at `url`, for the
  worker processes that read their building partition while the coordinator holds the write
  lock (SQLite in WAL mode lets readers read the last committed state meanwhile).

Values are passed the way the schema stores them: amounts as whole fen (int), decimals as their
exact text (`str(Decimal)`), dates as ISO text; the tables' `TypeDecorator`s are bypassed.
SQL is written with `?` placeholders; on PostgreSQL they become `%s`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

BATCH = 20000


def driver(conn: Connection) -> Any:
    """The DBAPI connection under `conn` (same transaction)."""
    return conn.connection.driver_connection


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _sql(text: str, postgres: bool) -> str:
    return text.replace("?", "%s") if postgres else text


def _params(params: Sequence[Any], postgres: bool) -> tuple[Any, ...]:
    """SQLite keeps dates and decimals as their text: pass them so."""
    if postgres:
        return tuple(params)
    return tuple(
        v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, Decimal) else v for v in params
    )


def fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of `sql` as a plain tuple, inside the caller's transaction."""
    cur = driver(conn).cursor()
    try:
        postgres = is_postgres(conn)
        cur.execute(_sql(sql, postgres), _params(params, postgres))
        return list(cur.fetchall())
    finally:
        cur.close()


_STREAM_BATCH = 5000
_cursor_names = count(1)


def stream(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
    """The rows of `sql` as plain tuples, read in batches as they are consumed (inside the
    caller's transaction), so a query over the whole estate never holds all its rows.

    On PostgreSQL a server-side cursor; on SQLite the cursor is lazy anyway. Several streams
    may be read side by side on one connection. Placeholders and values as `fetch` takes them."""
    raw = driver(conn)
    postgres = is_postgres(conn)
    cur = raw.cursor(name=f"billing_stream_{next(_cursor_names)}") if postgres else raw.cursor()
    cur.execute(_sql(sql, postgres), _params(params, postgres))
    try:
        while True:
            rows = cur.fetchmany(_STREAM_BATCH)
            if not rows:
                return
            yield from rows
    finally:
        cur.close()


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (tuples in the order of `columns`) in bulk; returns how many."""
    names = ", ".join(columns)
    raw = driver(conn)
    count = 0
    if is_postgres(conn):
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    cur = raw.cursor()
    if isinstance(rows, list | tuple):
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()
        return len(rows)
    try:
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cur.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
            count += len(batch)
    finally:
        cur.close()
    return count


def update_rows(
    conn: Connection, table: str, key: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Set `columns` of the rows whose `key` is given: each row is (*values, key)."""
    if not rows:
        return 0
    raw = driver(conn)
    if is_postgres(conn):
        temp = f"tmp_update_{table}"
        with raw.cursor() as cur:
            cur.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {temp} ON COMMIT DROP AS "
                f"SELECT {', '.join(columns)}, {key} FROM {table} WITH NO DATA"
            )
            cur.execute(f"TRUNCATE {temp}")
            with cur.copy(f"COPY {temp} ({', '.join(columns)}, {key}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            sets = ", ".join(f"{c} = {temp}.{c}" for c in columns)
            cur.execute(f"UPDATE {table} SET {sets} FROM {temp} WHERE {table}.{key} = {temp}.{key}")
        return len(rows)
    sets = ", ".join(f"{c} = ?" for c in columns)
    cur = raw.cursor()
    try:
        cur.executemany(f"UPDATE {table} SET {sets} WHERE {key} = ?", rows)
    finally:
        cur.close()
    return len(rows)


# --- reading in worker processes -------------------------------------------------------------------

_READERS: dict[str, tuple[str, Any]] = {}


def reader(url: str, token: str = "") -> Any:
    """This process's read connection to the database at `url`, made on first use.

    `token` names the job the connection serves (a bill run): a new token opens a new
    connection, so that a long-lived worker (a Dask worker) never reads through a connection
    to a database that has since been replaced. SQLite: outside any transaction and with
    `query_only`, so that it never waits for the writer; PostgreSQL: psycopg in autocommit mode.
    """
    found = _READERS.get(url)
    if found is not None and found[0] == token:
        return found[1]
    if found is not None:
        found[1].close()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        raw: Any = sqlite3.connect(parsed.database or ":memory:", timeout=60, isolation_level=None)
        raw.execute("PRAGMA query_only=ON")
    else:
        import psycopg

        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        raw = psycopg.connect(conninfo, autocommit=True)
    _READERS[url] = (token, raw)
    return raw


def read(url: str, sql: str, params: Sequence[Any] = (), *, token: str = "") -> list[tuple[Any, ...]]:
    """Every row of `sql` on this process's read connection to `url`."""
    raw = reader(url, token)
    postgres = not isinstance(raw, sqlite3.Connection)
    cur = raw.cursor()
    try:
        cur.execute(_sql(sql, postgres), _params(params, postgres))
        return list(cur.fetchall())
    finally:
        cur.close()


def close_reader(url: str) -> None:
    found = _READERS.pop(url, None)
    if found is not None:
        found[1].close()


# --- values as the database gives them ------------------------------------------------------------


def as_date(value: Any) -> date | None:
    """A date column's value: SQLite gives its ISO text, PostgreSQL a `date`."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def as_decimal(value: Any) -> Decimal:
    """A DecimalText column's value (its exact text) as a Decimal."""
    return value if isinstance(value, Decimal) else Decimal(value)


def placeholders(n: int) -> str:
    return ", ".join("?" * n)
