"""Repositories: read domain records from the tables and write them back in bulk.

Every function takes an open `Connection` inside the caller's transaction; none commits.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from billing.domain.money import from_fen, to_fen
from billing.domain.period import Period
from billing.domain.records import Meter, MeterChange, Scope, Unit, UnitKind, Utility
from billing.store import schema as t

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


def _unit(row: Any) -> Unit:
    return Unit(
        unit_id=row.unit_id,
        building=row.building,
        floor=row.floor,
        kind=UnitKind(row.kind),
        area_m2=row.area_m2,
        handover_date=row.handover_date,
        owner_name=row.owner_name,
        phone=row.phone,
        bank_name=row.bank_name,
        bank_account=row.bank_account,
        account_name=row.account_name,
        debit=bool(row.debit),
    )


def load_units(conn: Connection, unit_ids: Iterable[str] | None = None) -> dict[str, Unit]:
    q = select(t.units).order_by(t.units.c.unit_id)
    if unit_ids is not None:
        q = q.where(t.units.c.unit_id.in_(list(unit_ids)))
    return {r.unit_id: _unit(r) for r in conn.execute(q)}


def unit_ids(conn: Connection) -> set[str]:
    return set(conn.execute(select(t.units.c.unit_id)).scalars())


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
    old = load_units(conn, [u.unit_id for u in new]) if len(new) < 20000 else load_units(conn)
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
        conn.execute(insert(t.units), inserts)
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


def _meter(row: Any) -> Meter:
    return Meter(
        meter_id=row.meter_id,
        utility=Utility(row.utility),
        scope=Scope(row.scope),
        unit_id=row.unit_id,
        parent_id=row.parent_id,
        multiplier=row.multiplier,
        digits=row.digits,
        initial_reading=row.initial_reading,
    )


def load_meters(conn: Connection) -> dict[str, Meter]:
    return {r.meter_id: _meter(r) for r in conn.execute(select(t.meters).order_by(t.meters.c.meter_id))}


def upsert_meters(conn: Connection, new: Sequence[Meter], *, import_id: int) -> tuple[int, int]:
    old = load_meters(conn)
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
        conn.execute(insert(t.meters), inserts)
    for meter_id, values in changed:
        conn.execute(
            update(t.meters).where(t.meters.c.meter_id == meter_id).values(import_id=import_id, **values)
        )
    return len(inserts), len(changed)


def meters_with_readings(conn: Connection) -> set[str]:
    return set(conn.execute(select(t.readings.c.meter_id).distinct()).scalars())


def readings_of(conn: Connection, period: Period) -> dict[str, tuple[Decimal, date | None]]:
    q = select(t.readings.c.meter_id, t.readings.c.reading, t.readings.c.read_date).where(
        t.readings.c.period == str(period)
    )
    return {r.meter_id: (r.reading, r.read_date) for r in conn.execute(q)}


def previous_readings(conn: Connection, period: Period) -> dict[str, tuple[Decimal, date | None]]:
    """Each meter's last reading before the period, or its initial reading (date None)."""
    last = (
        select(t.readings.c.meter_id, func.max(t.readings.c.period).label("period"))
        .where(t.readings.c.period < str(period))
        .group_by(t.readings.c.meter_id)
        .subquery()
    )
    q = select(t.readings.c.meter_id, t.readings.c.reading, t.readings.c.read_date).join(
        last, and_(t.readings.c.meter_id == last.c.meter_id, t.readings.c.period == last.c.period)
    )
    found = {r.meter_id: (r.reading, r.read_date) for r in conn.execute(q)}
    out: dict[str, tuple[Decimal, date | None]] = {}
    for r in conn.execute(select(t.meters.c.meter_id, t.meters.c.initial_reading)):
        out[r.meter_id] = found.get(r.meter_id, (r.initial_reading, None))
    return out


def readings_history(conn: Connection, periods: Sequence[Period]) -> dict[str, dict[str, Decimal]]:
    """meter_id → {period: reading} for the given periods (for the trailing average)."""
    out: dict[str, dict[str, Decimal]] = defaultdict(dict)
    q = select(t.readings.c.meter_id, t.readings.c.period, t.readings.c.reading).where(
        t.readings.c.period.in_([str(p) for p in periods])
    )
    for r in conn.execute(q):
        out[r.meter_id][r.period] = r.reading
    return out


def replace_readings(
    conn: Connection, period: Period, rows: Sequence[Mapping[str, Any]], *, import_id: int
) -> int:
    """Write a period's readings; a meter's earlier reading for the period is replaced.

    rows: meter_id, reading (Decimal), read_date. Returns how many earlier readings were replaced.
    """
    ids = [r["meter_id"] for r in rows]
    replaced = 0
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        res = conn.execute(
            delete(t.readings).where(t.readings.c.period == str(period), t.readings.c.meter_id.in_(chunk))
        )
        replaced += res.rowcount or 0
    conn.execute(
        insert(t.readings),
        [
            {
                "meter_id": r["meter_id"],
                "period": str(period),
                "reading": r["reading"],
                "read_date": r.get("read_date"),
                "import_id": import_id,
            }
            for r in rows
        ],
    )
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


def detail_json(detail: Mapping[str, object]) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)


def money(fen: int | None) -> Decimal:
    return from_fen(fen or 0)
