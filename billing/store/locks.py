"""A lock held until the end of the transaction, so two processes never run the same step at once.

SQLite: the transaction already began with BEGIN IMMEDIATE (the database's write lock).
PostgreSQL: a transaction-level advisory lock keyed by the name.
"""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, text


def exclusive(conn: Connection, name: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(name.encode())})
