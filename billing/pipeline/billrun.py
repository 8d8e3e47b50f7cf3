"""`billing run P`: rate the period, add adjustments and late fees, issue every bill at once.

The estate is rated in building partitions (`billing.store.partition`: whole buildings with
their master-meter groups), each task on the executor of `billing.pipeline.executors` (a
process pool, or a Dask cluster): a task reads its partition's rows, rates them with the pure
`rate_period`, adds pending adjustments and the late fees of `late_fee_workings`, and returns
finished rows (amounts in fen, each line's working as JSON text, bill ids from the task's own
range). This process, which holds the write lock for the whole run, takes the results in
partition order and writes them as they are, in bulk (executemany on SQLite, COPY on
PostgreSQL), inside ONE transaction: killed at any point, nothing of the run is left; an error
anywhere rolls back everything already written; the same inputs give the same bills with the
same ids, whichever executor ran the tasks. At most a few tasks' results are held at a time,
so memory does not grow with the estate.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, update

from billing.domain.bill import ITEM_ORDER, Item
from billing.domain.money import ZERO, RoundingMode, format_money, from_fen, to_fen
from billing.domain.period import ONE_DAY, Period
from billing.domain.problem import Problem
from billing.domain.records import MeterPeriod, Unit, UnitKind
from billing.domain.tariff import TariffVersion
from billing.ledger.late_fee import LateFeeWorking, late_fee_workings
from billing.ledger.records import LateFeePolicy
from billing.pipeline.context import Context, StepResult
from billing.pipeline.executors import InlineExecutor, executor_workers, make_executor
from billing.pipeline.ledgers import UnitLedger, late_fee_policy, unit_ledgers
from billing.rate import LineRow, rate_period_rows
from billing.runtime import collector_paused
from billing.store import repo
from billing.store import schema as t
from billing.store.bulk import as_date, fetch, insert_rows, update_rows
from billing.store.locks import exclusive
from billing.store.partition import (
    Partition,
    PartitionRows,
    chunk,
    meter_period,
    partition_rows,
    plan_partitions,
)

# Units per task: big enough that a task's fixed costs vanish, small enough that results
# stream (a task's rows are a few MB) and a retry is cheap.
TASK_UNITS = 2000
# Below this many units the run rates in this process: starting workers would cost more.
INLINE_UNITS = 4000


@dataclass
class ProposedBill:
    unit_id: str
    lines: list[LineRow] = field(default_factory=list)  # as rate_period_rows gives them
    # (target bill id, increment, F_b) of the late fee line
    charges: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)
    adjustment_ids: list[int] = field(default_factory=list)


class _Refused(Exception):
    """Leaves the run's transaction, rolling back whatever was written."""


def issue_bills(ctx: Context, period: Period, as_of: date, *, dry_run: bool = False) -> StepResult:
    """Rate and issue the bills of a period as one unit of work; a rerun issues nothing."""
    result = StepResult()
    tariff = ctx.workspace.tariffs().in_force(period)
    if tariff is None:
        result.problems.append(Problem.error("NO_TARIFF", period=period))
        return result
    try:
        with ctx.engine.begin() as conn:
            exclusive(conn, "bill-run")
            done = repo.run_of(conn, period)
            if done is not None:
                result.say(
                    Problem.warning("ALREADY_ISSUED", period=period, count=done.bills).message(ctx.lang)
                )
                return result
            missing = missing_readings(conn, period)
            if missing:
                result.problems.extend(missing)
                result.refused = True
                return result
            run = RunPlan(
                url=ctx.engine.url.render_as_string(hide_password=False),
                period=period,
                as_of=as_of,
                tariff=tariff,
                rounding=ctx.rounding,
                policy=late_fee_policy(ctx.settings),
                due=period.due_date(ctx.settings.due_day),
                partitions=tuple(plan_partitions(conn)),
                ledgers=bool(fetch(conn, "SELECT 1 FROM bills WHERE issue_date <= ? LIMIT 1", [as_of])),
            )
            if dry_run:
                totals = _Totals()
                for rated in rate_partitions(ctx, run):
                    totals.add(rated)
                result.problems.extend(totals.problems)
                if totals.refused:
                    result.refused = True
                    return result
                totals.summarise(result, period, ctx.lang)
                result.say(
                    "--dry-run: nothing written" if ctx.lang.startswith("en") else "--dry-run：未写入任何数据"
                )
                return result
            totals = write_bills(conn, ctx, run)
            result.problems.extend(totals.problems)
            if totals.refused:
                raise _Refused
            totals.summarise(result, period, ctx.lang)
    except _Refused:
        result.refused = True
    return result


def missing_readings(conn: Connection, period: Period) -> list[Problem]:
    """MISSING_READING for every meter without a reading for the period, in meter order."""
    meters = fetch(conn, "SELECT COUNT(*) FROM meters")[0][0]
    read = fetch(conn, "SELECT COUNT(*) FROM readings WHERE period = ?", [str(period)])[0][0]
    if read >= meters:  # a reading is of a stored meter, once per period: all are there
        return []
    rows = fetch(
        conn,
        "SELECT m.meter_id, m.unit_id FROM meters m WHERE NOT EXISTS "
        "(SELECT 1 FROM readings r WHERE r.meter_id = m.meter_id AND r.period = ?) ORDER BY m.meter_id",
        [str(period)],
    )
    return [
        Problem.error("MISSING_READING", unit=unit_id or meter_id, meter_id=meter_id, period=period)
        for meter_id, unit_id in rows
    ]


# --- the plan of a run and its tasks ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunPlan:
    url: str
    period: Period
    as_of: date
    tariff: TariffVersion
    rounding: RoundingMode
    policy: LateFeePolicy
    due: date
    partitions: tuple[Partition, ...]
    ledgers: bool  # some bill was issued on or before as_of: late fees may be due

    @property
    def units(self) -> int:
        return sum(p.units for p in self.partitions)


@dataclass(frozen=True, slots=True)
class RateTask:
    """One task: rate these partitions (runs in a worker; reads its rows from `url`)."""

    url: str
    token: str
    parts: tuple[Partition, ...]
    period: Period
    as_of: date
    tariff: TariffVersion
    rounding: RoundingMode
    policy: LateFeePolicy
    ledgers: bool
    run_id: int  # the run's row (0 for a dry run)
    first_ids: tuple[int, ...]  # each partition's bills are numbered from its own, in issue order
    issue: str  # ISO dates of the bills
    due: str


@dataclass(frozen=True, slots=True)
class Rated:
    """What a task returns: the rows to insert as they are (columns BILL_COLUMNS, LINE_COLUMNS,
    CHARGE_COLUMNS; adjusted: applied_bill_id, adjustment id), its problems, fen per item."""

    bills: list[tuple[Any, ...]]
    lines: list[tuple[Any, ...]]
    charges: list[tuple[Any, ...]]
    adjusted: list[tuple[int, int]]
    problems: tuple[Problem, ...]
    by_item: Mapping[str, int]


def rate_partitions(
    ctx: Context, run: RunPlan, *, run_id: int = 0, first_id: int = 1, executor: Executor | None = None
) -> Iterator[Rated]:
    """Every task's result, in partition order (tasks run on the executor meanwhile).

    Each partition numbers its bills from its own first id: `first_id` plus the units of the
    partitions before it (a unit has at most one bill), so that ids depend neither on how
    partitions are grouped into tasks nor on which task finished first, or where; unbilled
    units leave gaps. Without `executor`: in this process for a small estate, else on
    `make_executor(settings)` (shut down when done).
    """
    token = uuid.uuid4().hex
    tasks = []
    for parts in chunk(run.partitions, TASK_UNITS):
        tasks.append(
            RateTask(
                url=run.url,
                token=token,
                parts=parts,
                period=run.period,
                as_of=run.as_of,
                tariff=run.tariff,
                rounding=run.rounding,
                policy=run.policy,
                ledgers=run.ledgers,
                run_id=run_id,
                first_ids=tuple(first_id + sum(p.units for p in parts[:i]) for i in range(len(parts))),
                issue=run.as_of.isoformat(),
                due=run.due.isoformat(),
            )
        )
        first_id += sum(p.units for p in parts)
    own = None
    if executor is None:
        own = executor = InlineExecutor() if run.units <= INLINE_UNITS else make_executor(ctx.settings)
    window = 4 * executor_workers(executor)  # tasks in flight: workers run ahead of the writer
    pending: deque[Future[Rated]] = deque()
    try:
        todo = iter(tasks)
        for _ in ctx.progress.track(range(len(tasks)), total=len(tasks), description=f"rate {run.period}"):
            while len(pending) < window:
                task = next(todo, None)
                if task is None:
                    break
                pending.append(executor.submit(rate_task, task))
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
        if isinstance(own, InlineExecutor):
            from billing.store.bulk import close_reader

            close_reader(run.url)


# --- writing ----------------------------------------------------------------------------------------


@dataclass
class _Totals:
    bills: int = 0
    lines: int = 0
    fen: int = 0
    by_item: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    problems: list[Problem] = field(default_factory=list)
    refused: bool = False

    def add(self, rated: Rated) -> None:
        self.problems.extend(rated.problems)
        if any(p.is_error for p in rated.problems):
            self.refused = True
        if self.refused:
            return
        self.bills += len(rated.bills)
        self.lines += len(rated.lines)
        self.fen += sum(b[8] for b in rated.bills)
        for item, fen in rated.by_item.items():
            self.by_item[item] += fen

    def summarise(self, result: StepResult, period: Period, lang: str) -> None:
        en = lang.startswith("en")
        result.say(
            f"{period}: {self.bills} {'bills' if en else '张账单'}, {self.lines} {'lines' if en else '行'}, "
            f"{'total' if en else '合计'} {format_money(from_fen(self.fen))}"
        )
        for item in ITEM_ORDER:
            if str(item) in self.by_item:
                result.say(f"  {item!s:<20} {format_money(from_fen(self.by_item[str(item)])):>14}")


BILL_COLUMNS = (
    "id",
    "run_id",
    "unit_id",
    "period",
    "issue_date",
    "due_date",
    "principal_fen",
    "late_fee_fen",
    "total_fen",
)
LINE_COLUMNS = ("bill_id", "seq", "item", "quantity", "amount_fen", "exact", "detail")
CHARGE_COLUMNS = ("bill_id", "target_bill_id", "amount_fen", "accrued_fen")


def write_bills(conn: Connection, ctx: Context, run: RunPlan) -> _Totals:
    """Rate every partition and write the run, its bills, lines and late-fee charges in bulk,
    inside the caller's transaction; stops writing (the caller rolls back) at the first error,
    but still rates the rest so that every problem is reported."""
    totals = _Totals()
    key = conn.execute(
        insert(t.bill_runs).values(
            period=str(run.period),
            as_of=run.as_of,
            tariff_version=run.tariff.label,
            rounding=str(run.rounding),
            bills=0,
            total_fen=0,
            created_at=datetime.now(),
        )
    ).inserted_primary_key
    assert key is not None
    run_id = int(key[0])
    adjusted: list[tuple[int, int]] = []
    with collector_paused():  # the results are millions of tuples, freed as soon as they are written
        for rated in rate_partitions(ctx, run, run_id=run_id, first_id=repo.next_id(conn, t.bills)):
            totals.add(rated)
            if totals.refused or not rated.bills:
                continue
            insert_rows(conn, "bills", BILL_COLUMNS, rated.bills)
            insert_rows(conn, "bill_lines", LINE_COLUMNS, rated.lines)
            if rated.charges:
                insert_rows(conn, "late_fee_charges", CHARGE_COLUMNS, rated.charges)
            adjusted.extend(rated.adjusted)
    if totals.refused:
        return totals
    update_rows(conn, "adjustments", "id", ("applied_bill_id",), adjusted)
    conn.execute(
        update(t.bill_runs).where(t.bill_runs.c.id == run_id).values(bills=totals.bills, total_fen=totals.fen)
    )
    return totals


# --- a task: one group of partitions, in a worker -------------------------------------------------------

_KINDS = {k.value: k for k in UnitKind}
_ORDER = {item: i for i, item in enumerate(ITEM_ORDER)}
_DETAIL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":")).encode


def rate_task(task: RateTask) -> Rated:
    """Read the task's partitions and rate them (the function the executor runs)."""
    with collector_paused():  # a quarter of the rating time was the collector's (measured)
        rows = partition_rows(
            task.url, task.parts, str(task.period), task.as_of, token=task.token, ledgers=task.ledgers
        )
        return rate_rows(task, rows)


def rate_rows(task: RateTask, rows: PartitionRows) -> Rated:
    """Rate one partition's rows; its bills in issue order (building, floor, unit)."""
    period = task.period
    values = _Values()
    units = [
        Unit(
            unit_id=unit_id,
            building=building,
            floor=floor,
            kind=_KINDS[kind],
            area_m2=values.decimal(area),
            handover_date=values.date(handover),
        )
        for unit_id, building, floor, kind, area, handover in rows.units
    ]
    meter_periods, problems = _meter_periods(rows.meters, period, values)
    if problems:
        return Rated(bills=[], lines=[], charges=[], adjusted=[], problems=tuple(problems), by_item={})
    rating = rate_period_rows(
        period=period, units=units, meter_periods=meter_periods, tariff=task.tariff, rounding=task.rounding
    )
    if any(p.is_error for p in rating.problems):
        return Rated(bills=[], lines=[], charges=[], adjusted=[], problems=rating.problems, by_item={})
    proposed: dict[str, ProposedBill] = {}
    for row in rating.rows:
        bill = proposed.get(row[0])
        if bill is None:
            bill = proposed[row[0]] = ProposedBill(row[0])
        bill.lines.append(row)
    for a in rows.adjustments:
        _add_adjustment(proposed, *a)
    if rows.bills:
        for unit_id, ledger in unit_ledgers(rows.bills, rows.payments).items():
            _add_late_fee(proposed, unit_id, ledger, task.as_of, task.policy)
    part_of = {b: i for i, p in enumerate(task.parts) for b in p.buildings}
    order = {u.unit_id: (part_of[u.building], u.building, u.floor or 0, u.unit_id) for u in units}
    by_item: dict[str, int] = defaultdict(int)
    items = {item: str(item) for item in Item}
    bills: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    charges: list[tuple[Any, ...]] = []
    adjusted: list[tuple[int, int]] = []
    run_id, period_text, issue, due = task.run_id, str(period), task.issue, task.due
    next_ids = list(task.first_ids)
    late_fee_item = Item.LATE_FEE
    for unit_id in sorted(proposed, key=order.__getitem__):
        part = order[unit_id][0]
        bill_id = next_ids[part]
        next_ids[part] += 1
        bill = proposed[unit_id]
        if bill.charges or bill.adjustment_ids:  # rate_period_rows' own lines are in ITEM_ORDER already
            bill.lines.sort(key=lambda ln: _ORDER[ln[1]])
        principal = late_fee = 0
        for seq, (_, item, quantity, amount, exact, text) in enumerate(bill.lines, 1):
            fen = values.fen(amount)
            name = items[item]
            by_item[name] += fen
            if item is late_fee_item:
                late_fee += fen
            else:
                principal += fen
            lines.append(
                (bill_id, seq, name, None if quantity is None else str(quantity), fen, str(exact), text)
            )
        bills.append(
            (bill_id, run_id, unit_id, period_text, issue, due, principal, late_fee, principal + late_fee)
        )
        if bill.charges:
            charges.extend(
                (bill_id, target, to_fen(amount), to_fen(fee)) for target, amount, fee in bill.charges
            )
        if bill.adjustment_ids:
            adjusted.extend((bill_id, a) for a in bill.adjustment_ids)
    return Rated(
        bills=bills,
        lines=lines,
        charges=charges,
        adjusted=adjusted,
        problems=rating.problems,
        by_item=dict(by_item),
    )


class _Values:
    """Values that repeat across a task's rows (dates, areas, multipliers, amounts), converted
    once: a dict lookup costs a fraction of parsing a date or a Decimal again."""

    def __init__(self) -> None:
        self.dates: dict[Any, date | None] = {None: None}
        self.decimals: dict[Any, Decimal] = {}
        self.fens: dict[Decimal, int] = {}

    def date(self, value: Any) -> date | None:
        found = self.dates.get(value, _UNSEEN)
        if found is _UNSEEN:
            found = self.dates[value] = as_date(value)
        return found  # type: ignore[return-value]

    def decimal(self, value: Any) -> Decimal:
        found = self.decimals.get(value)
        if found is None:
            found = self.decimals[value] = value if isinstance(value, Decimal) else Decimal(value)
        return found

    def fen(self, amount: Decimal) -> int:
        found = self.fens.get(amount)
        if found is None:
            found = self.fens[amount] = to_fen(amount)
        return found


_UNSEEN = object()


def _meter_periods(
    rows: Sequence[tuple[Any, ...]], period: Period, values: _Values
) -> tuple[list[MeterPeriod], list[Problem]]:
    out: list[MeterPeriod] = []
    missing: list[Problem] = []
    dec, day = values.decimal, values.date

    for row in rows:
        if row[8] is None:  # a reading deleted since the run began (PostgreSQL)
            meter_id, unit_id = row[0], row[3]
            missing.append(
                Problem.error("MISSING_READING", unit=unit_id or meter_id, meter_id=meter_id, period=period)
            )
            continue
        out.append(meter_period(row, dec, day))
    return out, missing


# --- what goes on a bill besides the rated lines -------------------------------------------------------


def _add_adjustment(
    proposed: dict[str, ProposedBill],
    adjustment_id: int,
    unit_id: str,
    period: str,
    item: str,
    amount_fen: int,
    reason: str,
    recorded_on: Any,
) -> None:
    bill = proposed.setdefault(unit_id, ProposedBill(unit_id))
    amount = repo.money(amount_fen)
    day = as_date(recorded_on)
    detail = {
        "adjustment_id": adjustment_id,
        "period": period,
        "item": item,
        "reason": reason,
        "recorded_on": day.isoformat() if day else None,
    }
    bill.lines.append((unit_id, Item.ADJUSTMENT, None, amount, amount, _DETAIL(detail)))
    bill.adjustment_ids.append(adjustment_id)


def charges_nothing(ledger: UnitLedger, as_of: date, policy: LateFeePolicy) -> bool:
    """True only when `late_fee_workings` is sure to charge nothing, told without allocating.

    That is so when no bill was issued before as_of, or when exactly one was and it bears no
    fee: its principal is not positive, or no day after its due date (and grace) has come, or
    the payments dated on or before its first fee-bearing day cover its principal (allocation
    pays a bill's principal first, with money received before its issue date counting on that
    date). False means "work it out" (tests/pipeline/test_late_fee_shortcut.py checks both).
    """
    before = [b for b in ledger.bills if b.issue_date < as_of]
    if len(before) != 1:
        return not before
    bill = before[0]
    if bill.principal <= 0:
        return True
    first_day = max(bill.due_date + timedelta(days=policy.grace_days), bill.issue_date) + ONE_DAY
    if first_day > as_of:
        return True
    paid = sum((p.amount for p in ledger.payments if p.pay_date <= first_day and p.amount > 0), ZERO)
    return paid >= bill.principal


def _add_late_fee(
    proposed: dict[str, ProposedBill], unit_id: str, ledger: UnitLedger, as_of: date, policy: LateFeePolicy
) -> None:
    if charges_nothing(ledger, as_of, policy):
        return
    charges = late_fee_workings(ledger.bills, ledger.payments, as_of, policy)
    if not charges:
        return
    bill = proposed.setdefault(unit_id, ProposedBill(unit_id))
    total = sum((c.to_charge for c in charges), ZERO)
    periods = {b.bill_id: str(b.period) for b in ledger.bills}
    bill.lines.append((unit_id, Item.LATE_FEE, None, total, total, late_fee_text(charges, periods, as_of)))
    bill.charges.extend((c.bill_id, c.to_charge, c.fee) for c in charges)


def late_fee_text(charges: Sequence[LateFeeWorking], periods: Mapping[int, str], as_of: date) -> str:
    """The late_fee line's working as the stored JSON text (compact, keys sorted), written
    directly: a unit in arrears is most of a second month's units, and building the nested
    dicts and encoding them cost more than this.

    {"as_of", "bills": [{"accrued", "bill_id", "cap", "capped", "charged_before",
    "charged_now", "daily_rate", "days", "fee", "period", "principal",
    "stretches": [{"amount", "days", "first", "last", "unpaid"}]}]}
    """
    bills = ",".join(
        f'{{"accrued":"{c.accrued}","bill_id":{c.bill_id},"cap":"{c.cap}",'
        f'"capped":{"true" if c.capped else "false"},"charged_before":"{c.charged}",'
        f'"charged_now":"{c.to_charge}","daily_rate":"{c.daily_rate}","days":{c.days},'
        f'"fee":"{c.fee}","period":"{periods[c.bill_id]}","principal":"{c.principal}",'
        f'"stretches":[{_stretches_text(c)}]}}'
        for c in charges
    )
    return f'{{"as_of":"{as_of.isoformat()}","bills":[{bills}]}}'


def _stretches_text(c: LateFeeWorking) -> str:
    return ",".join(
        f'{{"amount":"{s.amount}","days":{s.days},"first":"{s.first.isoformat()}",'
        f'"last":"{s.last.isoformat()}","unpaid":"{s.unpaid}"}}'
        for s in c.stretches
    )
