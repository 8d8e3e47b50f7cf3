"""Reads an estate folder back with the csv module and checks it like a careful clerk would.

Independent of the importer on purpose: these tests pin the files, not our reading of them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

UNITS = (
    "unit_id",
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
METERS = ("meter_id", "utility", "scope", "unit_id", "parent_id", "multiplier", "digits", "initial_reading")
READINGS = ("meter_id", "reading", "read_date")
CHANGES = ("meter_id", "date", "old_final", "new_initial")
DEPOSITS = ("date", "slip_no", "unit_id", "payer", "amount", "method")

# CONTRACT §2, the Chinese column names.
CHINESE = {
    "表号": "meter_id",
    "本期读数": "reading",
    "抄表日期": "read_date",
    "日期": "date",
    "单号": "slip_no",
    "房号": "unit_id",
    "交款人": "payer",
    "金额": "amount",
    "方式": "method",
}


def read_csv(path: Path, encoding: str = "utf-8") -> tuple[list[str], list[dict[str, str]]]:
    """The header as written and the rows keyed by English column names."""
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        names = [CHINESE.get(h, h) for h in header]
        return header, [dict(zip(names, row, strict=True)) for row in reader]


@dataclass
class Estate:
    units: list[dict[str, str]]
    meters: list[dict[str, str]]
    changes: list[dict[str, str]]
    readings: dict[str, dict[str, Decimal]]  # period -> meter_id -> reading
    read_dates: dict[str, dict[str, str]]
    deposits: list[dict[str, str]]
    headers: dict[str, list[str]]


def load(root: Path, periods: tuple[str, ...], encodings: dict[str, str] | None = None) -> Estate:
    encodings = encodings or {}
    headers: dict[str, list[str]] = {}

    def table(name: str) -> list[dict[str, str]]:
        header, rows = read_csv(root / name, encodings.get(name, "utf-8"))
        headers[name] = header
        return rows

    readings: dict[str, dict[str, Decimal]] = {}
    read_dates: dict[str, dict[str, str]] = {}
    for p in periods:
        rows = table(f"readings-{p}.csv")
        readings[p] = {r["meter_id"]: Decimal(r["reading"]) for r in rows}
        read_dates[p] = {r["meter_id"]: r["read_date"] for r in rows}
        assert len(readings[p]) == len(rows), f"a meter read twice in {p}"
    deposits = [f for f in root.glob("deposits-*.csv")]
    assert len(deposits) == 1
    return Estate(
        units=table("units.csv"),
        meters=table("meters.csv"),
        changes=table("meter-changes.csv"),
        readings=readings,
        read_dates=read_dates,
        deposits=table(deposits[0].name),
        headers=headers,
    )


@dataclass
class Usage:
    """Consumption per meter and period (multiplier applied), and which meters rolled over."""

    consumption: dict[str, dict[str, Decimal]]
    rollovers: list[tuple[str, str]]


def consumption(estate: Estate, periods: tuple[str, ...]) -> Usage:
    """CONTRACT §3 consumption; fails on any decrease that is not a rollover."""
    changes = {c["meter_id"]: c for c in estate.changes}
    used: dict[str, dict[str, Decimal]] = defaultdict(dict)
    rolled = []
    for m in estate.meters:
        mid = m["meter_id"]
        previous = Decimal(m["initial_reading"] or "0")
        multiplier = Decimal(m["multiplier"] or "1")
        for p in periods:
            reading = estate.readings[p][mid]
            change = changes.get(mid)
            if change is not None and change["date"][:7] == p:
                old_final, new_initial = Decimal(change["old_final"]), Decimal(change["new_initial"])
                assert old_final >= previous, mid
                assert reading >= new_initial, f"{mid} does not continue from new_initial"
                raw = (old_final - previous) + (reading - new_initial)
            elif reading < previous:
                digits = int(m["digits"])
                assert previous >= Decimal("0.9") * 10**digits, f"{mid} decreased in {p}"
                assert reading < Decimal("0.1") * 10**digits, f"{mid} decreased in {p}"
                raw = reading + 10**digits - previous
                rolled.append((mid, p))
            else:
                raw = reading - previous
            used[mid][p] = raw * multiplier
            previous = reading
    return Usage(consumption=dict(used), rollovers=rolled)
