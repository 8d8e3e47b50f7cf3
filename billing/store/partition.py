"""Building partitions: the estate cut into groups of whole buildings that can be rated apart.

Rating needs whole master-meter groups (a master meter with every meter under it), so a
partition is a set of buildings closed under "a meter of one is under a meter of another",
plus the meters without a unit (master and common meters) that belong to them. Normally that
is one building with its two master meters; a master meter shared by two buildings puts both
in one partition. `plan_partitions` reads only the links (a few rows per building); each
partition's rows are read by whoever rates it, with `partition_rows`, as plain tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from billing.domain.records import MeterChange, MeterPeriod
from billing.store.bulk import as_date, fetch, placeholders, read
from billing.store.repo import meter_of


@dataclass(frozen=True, slots=True)
class Partition:
    """Whole buildings (in name order) and the unit-less meters of their meter groups."""

    buildings: tuple[str, ...]
    meters: tuple[str, ...]
    units: int


def plan_partitions(conn: Connection) -> list[Partition]:
    """Every building and every meter in exactly one partition; in order of their first building,
    partitions of unit-less meters alone (a master meter with no meter under it) last."""
    sizes = dict(fetch(conn, "SELECT building, COUNT(*) FROM units GROUP BY building"))
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        root = node
        while parent.get(root, root) != root:
            root = parent[root]
        while node != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for building in sizes:
        parent.setdefault("B" + building, "B" + building)
    # meters under another meter: the unit meter's building (or the meter itself) and its parent's
    links = fetch(
        conn,
        "SELECT DISTINCT u.building, CASE WHEN u.building IS NULL THEN m.meter_id END, m.parent_id, pu.building "
        "FROM meters m LEFT JOIN units u ON u.unit_id = m.unit_id "
        "LEFT JOIN meters p ON p.meter_id = m.parent_id LEFT JOIN units pu ON pu.unit_id = p.unit_id "
        "WHERE m.parent_id IS NOT NULL",
    )
    loose = [m for (m,) in fetch(conn, "SELECT meter_id FROM meters WHERE unit_id IS NULL")]
    for m in loose:
        parent.setdefault("M" + m, "M" + m)
    for building, meter_id, parent_id, parent_building in links:
        node = "B" + building if building is not None else "M" + meter_id
        other = "B" + parent_building if parent_building is not None else "M" + parent_id
        parent.setdefault(node, node)
        parent.setdefault(other, other)
        union(node, other)
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for node in parent:
        buildings, meters = groups.setdefault(find(node), ([], []))
        (buildings if node[0] == "B" else meters).append(node[1:])
    out = [
        Partition(buildings=tuple(sorted(b)), meters=tuple(sorted(m)), units=sum(sizes.get(x, 0) for x in b))
        for b, m in groups.values()
    ]
    out.sort(key=lambda p: (not p.buildings, p.buildings[:1], p.meters[:1]))
    return out


def chunk(partitions: Sequence[Partition], units: int) -> list[tuple[Partition, ...]]:
    """Consecutive partitions grouped into tasks of about `units` units (never split)."""
    tasks: list[tuple[Partition, ...]] = []
    current: list[Partition] = []
    size = 0
    for p in partitions:
        if current and size + p.units > units:
            tasks.append(tuple(current))
            current, size = [], 0
        current.append(p)
        size += p.units
    if current:
        tasks.append(tuple(current))
    return tasks


@dataclass(frozen=True, slots=True)
class PartitionRows:
    """What rating a partition reads, as the database gives it (see `billing.store.bulk`).

    units: unit_id, building, floor, kind, area_m2, handover_date;
    meters: meter_id, utility, scope, unit_id, parent_id, multiplier, digits, initial_reading,
    current reading and date, previous reading and date (None: none stored), and the period's
    change (date, old_final, new_initial, or None);
    bills (issued on or before as_of): unit_id, id, period, issue_date, due_date, principal_fen,
    late_fee_fen, charged_fen (charges on bills issued on or before as_of);
    payments (dated on or before as_of): unit_id, id, pay_date, amount_fen;
    adjustments (not yet on a bill): id, unit_id, period, item, amount_fen, reason, recorded_on.
    Units, meters and adjustments in id order; bills and payments by unit, then date.
    """

    units: list[tuple[Any, ...]]
    meters: list[tuple[Any, ...]]
    bills: list[tuple[Any, ...]]
    payments: list[tuple[Any, ...]]
    adjustments: list[tuple[Any, ...]]


_METER_COLUMNS = (
    "m.meter_id, m.utility, m.scope, m.unit_id, m.parent_id, m.multiplier, m.digits, m.initial_reading, "
    "c.reading, c.read_date, p.reading, p.read_date, ch.change_date, ch.old_final, ch.new_initial"
)
_METER_JOINS = (
    "LEFT JOIN readings c ON c.meter_id = m.meter_id AND c.period = ? "
    "LEFT JOIN readings p ON p.meter_id = m.meter_id AND p.period = "
    "(SELECT MAX(x.period) FROM readings x WHERE x.meter_id = m.meter_id AND x.period < ?) "
    "LEFT JOIN meter_changes ch ON ch.meter_id = m.meter_id AND ch.period = ?"
)


# Every meter with its readings either side of a period and its change: parameters (period,) * 3.
METER_ROWS = f"SELECT {_METER_COLUMNS} FROM meters m {_METER_JOINS}"


def meter_period(
    row: Sequence[Any],
    decimal: Callable[[Any], Decimal] = Decimal,
    day: Callable[[Any], date | None] = as_date,
) -> MeterPeriod:
    """A meter row (the columns of `PartitionRows.meters`: the meter's 8, then current reading
    and date, previous reading and date, change date, old final, new initial; its current reading
    not None) as the `MeterPeriod` rating needs: a meter without a previous reading starts from
    its initial one.
    `decimal` and `day` convert the values that repeat (multipliers, initial readings, dates)
    and may cache them; readings are converted as they are."""
    meter = meter_of(row, decimal)
    prev, change_date = row[10], row[12]
    return MeterPeriod(
        meter=meter,
        previous=meter.initial_reading if prev is None else Decimal(prev),
        previous_date=None if prev is None else day(row[11]),
        current=Decimal(row[8]),
        current_date=day(row[9]),
        change=None
        if change_date is None
        else MeterChange(
            meter_id=meter.meter_id,
            change_date=day(change_date),  # type: ignore[arg-type]
            old_final=Decimal(row[13]),
            new_initial=Decimal(row[14]),
        ),
    )


def partition_rows(
    url: str, parts: Sequence[Partition], period: str, as_of: date, *, token: str = "", ledgers: bool = True
) -> PartitionRows:
    """The rows of `parts`, read on this process's read connection to `url`.

    `ledgers=False` skips the bills and payments (no bill was issued on or before as_of).
    """
    buildings = [b for p in parts for b in p.buildings]
    loose = [m for p in parts for m in p.meters]
    units: list[tuple[Any, ...]] = []
    meters: list[tuple[Any, ...]] = []
    bills: list[tuple[Any, ...]] = []
    payments: list[tuple[Any, ...]] = []
    adjustments: list[tuple[Any, ...]] = []
    if buildings:
        inb = f"u.building IN ({placeholders(len(buildings))})"
        units = read(
            url,
            f"SELECT u.unit_id, u.building, u.floor, u.kind, u.area_m2, u.handover_date FROM units u WHERE {inb}",
            buildings,
            token=token,
        )
        meters = read(
            url,
            f"SELECT {_METER_COLUMNS} FROM units u JOIN meters m ON m.unit_id = u.unit_id {_METER_JOINS} "
            f"WHERE {inb}",
            [period, period, period, *buildings],
            token=token,
        )
        if ledgers:
            bills = read(
                url,
                "SELECT b.unit_id, b.id, b.period, b.issue_date, b.due_date, b.principal_fen, b.late_fee_fen, "
                "(SELECT SUM(lc.amount_fen) FROM late_fee_charges lc JOIN bills cb ON cb.id = lc.bill_id "
                " WHERE lc.target_bill_id = b.id AND cb.issue_date <= ?) "
                f"FROM units u JOIN bills b ON b.unit_id = u.unit_id WHERE {inb} AND b.issue_date <= ?",
                [as_of, *buildings, as_of],
                token=token,
            )
            payments = read(
                url,
                "SELECT pm.unit_id, pm.id, pm.pay_date, pm.amount_fen "
                f"FROM units u JOIN payments pm ON pm.unit_id = u.unit_id WHERE {inb} AND pm.pay_date <= ?",
                [*buildings, as_of],
                token=token,
            )
        adjustments = read(
            url,
            "SELECT a.id, a.unit_id, a.period, a.item, a.amount_fen, a.reason, a.recorded_on "
            f"FROM units u JOIN adjustments a ON a.unit_id = u.unit_id WHERE {inb} AND a.applied_bill_id IS NULL",
            buildings,
            token=token,
        )
    if loose:
        meters += read(
            url,
            f"SELECT {_METER_COLUMNS} FROM meters m {_METER_JOINS} WHERE m.meter_id IN ({placeholders(len(loose))})",
            [period, period, period, *loose],
            token=token,
        )
    units.sort(key=lambda r: r[0])
    meters.sort(key=lambda r: r[0])
    bills.sort(key=lambda r: (r[0], r[2]))
    payments.sort(key=lambda r: (r[0], str(r[2]), r[1]))
    adjustments.sort(key=lambda r: r[0])
    return PartitionRows(units=units, meters=meters, bills=bills, payments=payments, adjustments=adjustments)
