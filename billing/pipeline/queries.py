"""The one query layer of the reports: every figure a report prints comes from here.

The arrears notices and ledger, the collection report, the balance report, the cash ledger,
the deposit slip and the journal all take their numbers from these functions, so the same
figure is the same in every report: a bill's "collected" is what the allocation applied to
it, the cash ledger and the deposit slip list the same payment rows, the balance report's
consumptions are the meters' consumptions as the bill run computes them.

Each function takes an open connection (and the date and the late-fee policy where the
answer depends on them) and returns frozen records of finished Decimals. Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, func, select

from billing.domain.bill import ITEM_ORDER, Item
from billing.domain.consumption import meter_consumption
from billing.domain.money import ZERO
from billing.domain.period import Period
from billing.domain.records import MeterPeriod, Scope, Unit, UnitKind
from billing.ledger import AgeBucket, LateFeePolicy, accrue_late_fee, age_bucket, allocate, days_past_due
from billing.pipeline.ledgers import UnitLedger, load_ledgers, unit_ledgers
from billing.store import repo
from billing.store import schema as t
from billing.store.bulk import as_date, as_decimal, is_postgres, stream
from billing.store.partition import METER_ROWS, meter_period

RATE_STEP = Decimal("0.0001")  # rates are kept to 0.01 %


def rate(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole to 0.01 % (half up); None when there is nothing to divide by."""
    if whole == 0:
        return None
    return (part / whole).quantize(RATE_STEP, rounding=ROUND_HALF_UP)


def unit_order(unit: Unit) -> tuple[str, bool, int, tuple[tuple[int, str], ...]]:
    """Building, then floor, then room in natural order (`A1-902` before `A1-1001`)."""
    return (unit.building, unit.floor is None, unit.floor or 0, natural(unit.unit_id))


def natural(text: str) -> tuple[tuple[int, str], ...]:
    out: list[tuple[int, str]] = []
    digits = ""
    word = ""
    for ch in text:
        if ch.isdigit():
            if word:
                out.append((1, word))
                word = ""
            digits += ch
        else:
            if digits:
                out.append((0, f"{int(digits):012d}"))
                digits = ""
            word += ch
    if digits:
        out.append((0, f"{int(digits):012d}"))
    if word:
        out.append((1, word))
    return tuple(out)


def units(conn: Connection) -> dict[str, Unit]:
    return repo.load_units(conn)


def _by_key(conn: Connection) -> str:
    """How a stream is ordered by unit or meter id so that Python's `<` on the ids agrees:
    byte order (SQLite's default; PostgreSQL's "C" collation)."""
    return ' COLLATE "C"' if is_postgres(conn) else ""


# --- bills at a date --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BillStanding:
    """One bill as it stands at `as_of`.

    `billed` is the bill's total as issued (principal and its own late-fee line); `collected`
    what the allocation applied to it by money dated on or before `as_of`; `unpaid_*` what it
    still owes; `late_fee_accrued` its late fee accrued and not yet charged (F_b − C_b, ≥ 0).
    """

    bill_id: int
    unit_id: str
    period: Period
    issue_date: date
    due_date: date
    principal: Decimal
    late_fee_line: Decimal
    billed: Decimal
    collected: Decimal
    unpaid_principal: Decimal
    unpaid_late_fee: Decimal
    late_fee_accrued: Decimal
    days_past_due: int
    bucket: AgeBucket | None

    @property
    def unpaid(self) -> Decimal:
        return self.unpaid_principal + self.unpaid_late_fee

    @property
    def outstanding(self) -> Decimal:
        """billed − collected (the collection report's figure; = unpaid for a bill ≥ 0)."""
        return self.billed - self.collected

    @property
    def overdue(self) -> bool:
        return self.bucket is not None and self.unpaid > 0


def standings(
    conn: Connection, as_of: date, policy: LateFeePolicy, unit_ids: Iterable[str] | None = None
) -> dict[str, tuple[BillStanding, ...]]:
    """Every bill issued on or before `as_of`, per unit, in period order, as it stands then."""
    return standings_of(load_ledgers(conn, as_of=as_of, unit_ids=unit_ids), as_of, policy)


def standings_of(
    ledgers: Mapping[str, UnitLedger], as_of: date, policy: LateFeePolicy
) -> dict[str, tuple[BillStanding, ...]]:
    """The standings of units whose ledgers (bills and payments up to `as_of`) are given."""
    out: dict[str, tuple[BillStanding, ...]] = {}
    for unit_id, ledger in ledgers.items():
        if not ledger.bills:
            continue
        allocation = allocate(ledger.bills, ledger.payments)
        rows = []
        for bill in sorted(ledger.bills, key=lambda b: (b.period, b.bill_id)):
            share = allocation.bills[bill.bill_id]
            paid = share.principal_paid() + share.late_fee_paid()
            days = days_past_due(bill.due_date, as_of)
            rows.append(
                BillStanding(
                    bill_id=bill.bill_id,
                    unit_id=unit_id,
                    period=bill.period,
                    issue_date=bill.issue_date,
                    due_date=bill.due_date,
                    principal=bill.principal,
                    late_fee_line=bill.late_fee_line,
                    billed=bill.principal + bill.late_fee_line,
                    collected=paid,
                    unpaid_principal=share.unpaid_principal(),
                    unpaid_late_fee=share.unpaid_late_fee(),
                    late_fee_accrued=accrue_late_fee(bill, allocation, as_of, policy).to_charge,
                    days_past_due=days,
                    bucket=age_bucket(days),
                )
            )
        out[unit_id] = tuple(rows)
    return out


# --- arrears ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitFailure:
    """The unit's last returned direct debit, when it failed."""

    return_date: date
    batch_no: str
    amount: Decimal
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitArrearsFigures:
    """A unit with an overdue balance at `as_of`: every bill that still owes something or has a
    late fee accrued (period order), the overdue part, the part not yet due, the accrued fee."""

    unit: Unit
    bills: tuple[BillStanding, ...]
    last_debit_failure: DebitFailure | None

    @property
    def overdue(self) -> Decimal:
        return sum((b.unpaid for b in self.bills if b.overdue), ZERO)

    @property
    def not_due(self) -> Decimal:
        return sum((b.unpaid for b in self.bills if not b.overdue), ZERO)

    @property
    def outstanding(self) -> Decimal:
        """Σ unpaid of its bills: its balance billed − paid (nothing is left as credit)."""
        return sum((b.unpaid for b in self.bills), ZERO)

    @property
    def late_fee_accrued(self) -> Decimal:
        return sum((b.late_fee_accrued for b in self.bills), ZERO)

    @property
    def total_due(self) -> Decimal:
        """What the unit is asked to pay now: the outstanding and the late fee accrued to as-of."""
        return self.outstanding + self.late_fee_accrued


def arrears(conn: Connection, as_of: date, policy: LateFeePolicy) -> tuple[UnitArrearsFigures, ...]:
    """Every unit with an overdue unpaid bill at `as_of`, in building, floor, room order.

    The whole estate at once: for a report of a large estate, go building by building with
    `arrears_buildings` and `building_arrears` instead.
    """
    found = [u for b in arrears_buildings(conn, as_of) for u in building_arrears(conn, b, as_of, policy)]
    return tuple(sorted(found, key=lambda a: unit_order(a.unit)))


def arrears_buildings(conn: Connection, as_of: date) -> list[str]:
    """The buildings with a bill issued on or before `as_of`, in natural order (2 before 10)."""
    rows = conn.execute(
        select(t.units.c.building)
        .distinct()
        .join(t.bills, t.bills.c.unit_id == t.units.c.unit_id)
        .where(t.bills.c.issue_date <= as_of)
    ).scalars()
    return sorted(rows, key=natural)


def building_arrears(
    conn: Connection, building: str, as_of: date, policy: LateFeePolicy
) -> tuple[UnitArrearsFigures, ...]:
    """The units of one building with an overdue unpaid bill at `as_of`, in floor, room order.

    Reads only that building's bills, payments and debit returns (indexed by unit), so an
    estate is gone through building by building with one building's rows in memory at a time.
    """
    overdue: dict[str, tuple[BillStanding, ...]] = {}
    for unit_id, bills in standings_of(
        load_ledgers(conn, as_of=as_of, building=building), as_of, policy
    ).items():
        if any(b.overdue for b in bills):
            overdue[unit_id] = tuple(b for b in bills if b.unpaid or b.late_fee_accrued)
    if not overdue:
        return ()
    directory = repo.load_units(conn, list(overdue))
    failures = last_debit_failures(conn, as_of, building=building)
    out = [
        UnitArrearsFigures(unit=directory[u], bills=bills, last_debit_failure=failures.get(u))
        for u, bills in overdue.items()
    ]
    return tuple(sorted(out, key=lambda a: unit_order(a.unit)))


def last_debit_failures(
    conn: Connection, as_of: date, *, building: str | None = None
) -> dict[str, DebitFailure]:
    """Per unit, its last direct debit returned on or before `as_of`, when that one failed
    (of one building's units when `building` is given)."""
    q = (
        select(
            t.debit_items.c.unit_id,
            t.debit_items.c.status,
            t.debit_items.c.return_date,
            t.debit_items.c.amount_fen,
            t.debit_items.c.reason_text,
            t.debit_items.c.reason_code,
            t.debit_batches.c.batch_no,
        )
        .join(t.debit_batches, t.debit_batches.c.id == t.debit_items.c.batch_id)
        .where(t.debit_items.c.return_date.is_not(None), t.debit_items.c.return_date <= as_of)
        .order_by(t.debit_items.c.unit_id, t.debit_items.c.return_date, t.debit_items.c.id)
    )
    if building is not None:
        q = q.where(
            t.debit_items.c.unit_id.in_(select(t.units.c.unit_id).where(t.units.c.building == building))
        )
    last: dict[str, Any] = {}
    for r in conn.execute(q):
        last[r.unit_id] = r
    return {
        unit_id: DebitFailure(
            return_date=r.return_date,
            batch_no=r.batch_no,
            amount=repo.money(r.amount_fen),
            reason=r.reason_text or r.reason_code or "",
        )
        for unit_id, r in last.items()
        if r.status == "failed"
    }


# --- collection -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionFigures:
    """Billed and collected of a group of bills at a date (the bills of one period)."""

    units_billed: int = 0
    units_paid: int = 0  # units whose bill is fully paid
    billed: Decimal = ZERO
    collected: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return self.billed - self.collected

    @property
    def collection_rate(self) -> Decimal | None:
        return rate(self.collected, self.billed)

    @property
    def household_rate(self) -> Decimal | None:
        return rate(Decimal(self.units_paid), Decimal(self.units_billed))

    def __add__(self, other: CollectionFigures) -> CollectionFigures:
        return CollectionFigures(
            units_billed=self.units_billed + other.units_billed,
            units_paid=self.units_paid + other.units_paid,
            billed=self.billed + other.billed,
            collected=self.collected + other.collected,
        )

    @classmethod
    def of(cls, bills: Iterable[BillStanding]) -> CollectionFigures:
        total = cls()
        for b in bills:
            total += cls(
                units_billed=1, units_paid=int(b.outstanding <= 0), billed=b.billed, collected=b.collected
            )
        return total


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionGroup:
    building: str
    kind: UnitKind
    figures: CollectionFigures


@dataclass(frozen=True, slots=True, kw_only=True)
class Collection:
    """The bills of `period` at `as_of`, per building and kind (building order), and the trend:
    the same figures for each of the periods up to `period` that have bills (oldest first)."""

    period: Period
    as_of: date
    groups: tuple[CollectionGroup, ...]
    trend: tuple[tuple[Period, CollectionFigures], ...]

    def building(self, building: str) -> CollectionFigures:
        return sum((g.figures for g in self.groups if g.building == building), CollectionFigures())

    def kind(self, kind: UnitKind) -> CollectionFigures:
        return sum((g.figures for g in self.groups if g.kind is kind), CollectionFigures())

    @property
    def buildings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.building for g in self.groups))

    @property
    def total(self) -> CollectionFigures:
        return sum((g.figures for g in self.groups), CollectionFigures())


def collection(
    conn: Connection, period: Period, as_of: date, policy: LateFeePolicy, *, trend_periods: int = 12
) -> Collection:
    """The bills of `period` at `as_of` per building and kind, and the trend of the last
    `trend_periods` periods (`policy` is not needed: nothing here accrues a late fee).

    A bill's collected is what the allocation applied to it, so each unit's payments are
    allocated to its bills; but the estate is read as one stream of bills and one of payments,
    side by side in unit order, and only the sums per group are kept: memory is one unit's
    ledger plus a few numbers per building, whatever the estate's size. A unit with no payment
    and no negative amount has collected nothing and is not allocated at all.
    """
    del policy
    first = period
    for _ in range(trend_periods - 1):
        first = first.prev()
    low, high = str(first), str(period)
    trend: dict[str, _Tally] = {}
    grouped: dict[tuple[str, str], _Tally] = {}
    for bills, payments in _unit_ledger_rows(conn, as_of):
        collected: Mapping[int, Decimal] | None = None
        if payments or any(r[5] < 0 or r[6] < 0 for r in bills):
            collected = _collected(bills, payments)
        for _, bill_id, text, _, _, principal, late_fee, building, kind in bills:
            if not low <= text <= high:
                continue
            billed = principal + late_fee
            paid = collected[bill_id] if collected is not None else ZERO
            tally = trend.get(text)
            if tally is None:
                tally = trend[text] = _Tally()
            tally.add(billed, paid)
            if text == high:
                tally = grouped.get((building, kind))
                if tally is None:
                    tally = grouped[(building, kind)] = _Tally()
                tally.add(billed, paid)
    kinds = list(UnitKind)
    groups = tuple(
        CollectionGroup(building=building, kind=UnitKind(kind), figures=tally.figures())
        for (building, kind), tally in sorted(
            grouped.items(), key=lambda kv: (natural(kv[0][0]), kinds.index(UnitKind(kv[0][1])))
        )
    )
    return Collection(
        period=period,
        as_of=as_of,
        groups=groups,
        trend=tuple((Period.parse(p), trend[p].figures()) for p in sorted(trend)),
    )


class _Tally:
    """Running sums of a group of bills: billed in whole fen, collected as a Decimal."""

    __slots__ = ("billed", "collected", "units_billed", "units_paid")

    def __init__(self) -> None:
        self.units_billed = 0
        self.units_paid = 0
        self.billed = 0
        self.collected = ZERO

    def add(self, billed_fen: int, collected: Decimal) -> None:
        self.units_billed += 1
        self.billed += billed_fen
        self.collected += collected
        if repo.money(billed_fen) <= collected:
            self.units_paid += 1

    def figures(self) -> CollectionFigures:
        return CollectionFigures(
            units_billed=self.units_billed,
            units_paid=self.units_paid,
            billed=repo.money(self.billed),
            collected=self.collected,
        )


def _unit_ledger_rows(
    conn: Connection, as_of: date
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Per unit with a bill issued on or before `as_of`, in unit order: its bill rows
    `(unit_id, id, period, issue_date, due_date, principal_fen, late_fee_fen, building, kind)`
    in period order and its payment rows `(unit_id, id, pay_date, amount_fen)` dated on or
    before `as_of`. Two streams merged by unit id: one unit's rows in memory at a time."""
    order = _by_key(conn)
    bills = stream(
        conn,
        "SELECT b.unit_id, b.id, b.period, b.issue_date, b.due_date, b.principal_fen, b.late_fee_fen, "
        "u.building, u.kind FROM bills b JOIN units u ON u.unit_id = b.unit_id "
        f"WHERE b.issue_date <= ? ORDER BY b.unit_id{order}, b.period",
        [as_of],
    )
    payments = stream(
        conn,
        f"SELECT unit_id, id, pay_date, amount_fen FROM payments WHERE pay_date <= ? ORDER BY unit_id{order}, id",
        [as_of],
    )
    pending = next(payments, None)
    for unit_id, rows in groupby(bills, key=lambda r: r[0]):
        mine: list[tuple[Any, ...]] = []
        while pending is not None and pending[0] < unit_id:
            pending = next(payments, None)
        while pending is not None and pending[0] == unit_id:
            mine.append(pending)
            pending = next(payments, None)
        yield list(rows), mine


def _collected(bills: Sequence[tuple[Any, ...]], payments: Sequence[tuple[Any, ...]]) -> dict[int, Decimal]:
    """Per bill of one unit, what the allocation of its payments applied to it."""
    # the bill rows carry building and kind where a ledger row has C_b, which allocation ignores
    (ledger,) = unit_ledgers([(*r[:7], None) for r in bills], payments).values()
    allocation = allocate(ledger.bills, ledger.payments)
    return {bill_id: a.principal_paid() + a.late_fee_paid() for bill_id, a in allocation.bills.items()}


def _day(value: Any) -> date:
    day = as_date(value)
    if day is None:
        raise ValueError("a date column is empty")
    return day


# --- water and electricity balance ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterBalance:
    """One master meter in one period: its consumption against the meters under it.

    loss = master − Σ unit meters − Σ common meters; loss rate = loss ÷ master. `missing` names
    the meters without a valid reading (then nothing is computed and the figures are None).
    """

    master_id: str
    utility: str
    period: Period
    unit_meters: int
    common_meters: int
    master: Decimal | None
    units: Decimal | None
    common: Decimal | None
    missing: tuple[str, ...] = ()

    @property
    def loss(self) -> Decimal | None:
        if self.master is None or self.units is None or self.common is None:
            return None
        return self.master - self.units - self.common

    @property
    def loss_rate(self) -> Decimal | None:
        loss = self.loss
        if loss is None or self.master is None or self.master <= 0:
            return None
        return rate(loss, self.master)

    def flagged(self, warn_loss_rate: Decimal) -> bool:
        """A loss rate over the limit, or a negative loss."""
        loss, loss_rate = self.loss, self.loss_rate
        return loss is not None and (loss < 0 or (loss_rate is not None and loss_rate > warn_loss_rate))


def meter_consumptions(conn: Connection, period: Period) -> tuple[dict[str, Decimal], set[str]]:
    """Each meter's consumption in `period` as the bill run computes it (multiplier, rollover,
    meter change), and the meters with no reading for it or a reading in error."""
    meters = repo.load_meters(conn)
    current = repo.readings_of(conn, period)
    previous = repo.previous_readings(conn, period)
    changes = repo.changes_in(conn, period)
    found: dict[str, Decimal] = {}
    bad: set[str] = set()
    for m in meters.values():
        if m.meter_id not in current:
            bad.add(m.meter_id)
            continue
        prev, prev_date = previous[m.meter_id]
        cur, cur_date = current[m.meter_id]
        c = meter_consumption(
            MeterPeriod(
                meter=m,
                previous=prev,
                previous_date=prev_date,
                current=cur,
                current_date=cur_date,
                change=changes.get(m.meter_id),
            )
        )
        if c.quantity is None:
            bad.add(m.meter_id)
        else:
            found[m.meter_id] = c.quantity
    return found, bad


def meter_balance(conn: Connection, period: Period) -> tuple[MeterBalance, ...]:
    """Every master meter (utility, then meter order) in `period`.

    One pass over the meters with their readings either side of the period and any change,
    read as a stream: each meter's consumption is added to its master's sums and dropped, so
    memory is a few numbers per master meter, not the estate's meters."""
    masters: dict[str, tuple[str, Decimal | None]] = {}  # id → (utility, its consumption)
    under: dict[str, _MasterSums] = defaultdict(_MasterSums)
    for meter_id, utility, scope, parent_id, quantity in _meter_quantities(conn, period):
        if scope == Scope.MASTER:
            masters[meter_id] = (utility, quantity)
        elif parent_id is not None:
            under[parent_id].add(meter_id, scope, quantity)
    out = []
    for meter_id in sorted(masters, key=lambda m: (masters[m][0] != "water", natural(m))):
        utility, used = masters[meter_id]
        kids = under.get(meter_id) or _MasterSums()
        missing = tuple(sorted(kids.missing, key=natural))
        if used is None:
            missing = (meter_id, *missing)
        out.append(
            MeterBalance(
                master_id=meter_id,
                utility=utility,
                period=period,
                unit_meters=kids.unit_meters,
                common_meters=kids.common_meters,
                master=None if missing else used,
                units=None if missing else kids.units,
                common=None if missing else kids.common,
                missing=missing,
            )
        )
    return tuple(out)


class _MasterSums:
    """What the meters under one master meter add up to in a period."""

    __slots__ = ("common", "common_meters", "missing", "unit_meters", "units")

    def __init__(self) -> None:
        self.unit_meters = 0
        self.common_meters = 0
        self.units = ZERO
        self.common = ZERO
        self.missing: list[str] = []

    def add(self, meter_id: str, scope: str, quantity: Decimal | None) -> None:
        if scope == Scope.UNIT:
            self.unit_meters += 1
        elif scope == Scope.COMMON:
            self.common_meters += 1
        if quantity is None:
            self.missing.append(meter_id)
        elif scope == Scope.UNIT:
            self.units += quantity
        elif scope == Scope.COMMON:
            self.common += quantity


def _meter_quantities(
    conn: Connection, period: Period
) -> Iterator[tuple[str, str, str, str | None, Decimal | None]]:
    """`(meter_id, utility, scope, parent_id, consumption)` of every meter in `period`, as the
    bill run computes it (multiplier, rollover, meter change); consumption None when the meter
    has no reading for the period or its reading is in error. Streamed."""
    decimals: dict[Any, Decimal] = {}

    def number(text: Any) -> Decimal:
        found = decimals.get(text)
        if found is None:
            found = as_decimal(text)
            if len(decimals) < 10000:  # multipliers and initial readings repeat; readings seldom
                decimals[text] = found
        return found

    for row in stream(conn, METER_ROWS, [str(period)] * 3):
        meter_id, utility, scope, _, parent_id, multiplier, _, initial, current, _, previous = row[:11]
        if current is None:
            yield meter_id, utility, scope, parent_id, None
            continue
        cur, prev = as_decimal(current), number(initial if previous is None else previous)
        if row[12] is None and cur >= prev:  # meter_consumption's plain case, without its records
            yield meter_id, utility, scope, parent_id, (cur - prev) * number(multiplier)
            continue
        yield meter_id, utility, scope, parent_id, meter_consumption(meter_period(row, number)).quantity


def reading_periods(conn: Connection) -> tuple[Period, ...]:
    return tuple(
        Period.parse(p) for p in sorted(conn.execute(select(t.readings.c.period).distinct()).scalars())
    )


def balance_trend(
    conn: Connection, period: Period, periods: int = 12
) -> tuple[tuple[Period, tuple[MeterBalance, ...]], ...]:
    """The balance of each of the last `periods` periods up to `period` that have readings."""
    first = period
    for _ in range(periods - 1):
        first = first.prev()
    return tuple((p, meter_balance(conn, p)) for p in reading_periods(conn) if first <= p <= period)


# --- payments ---------------------------------------------------------------------------------------

METHOD_ORDER = ("cash", "transfer", "pos", "debit")


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRow:
    """One payment: a counter deposit (slip number) or a successful direct debit (batch)."""

    payment_id: int
    pay_date: date
    unit_id: str
    building: str
    payer: str
    method: str
    amount: Decimal
    slip_no: str | None
    batch_no: str | None
    bank: str | None

    @property
    def voucher(self) -> str:
        """The slip number, or the debit batch it came back in."""
        return self.slip_no or self.batch_no or ""


def payments_between(conn: Connection, first: date, last: date) -> tuple[PaymentRow, ...]:
    """Every payment dated first..last (both included), in date order (then as recorded)."""
    q = (
        select(
            t.payments.c.id,
            t.payments.c.pay_date,
            t.payments.c.unit_id,
            t.payments.c.payer,
            t.payments.c.method,
            t.payments.c.amount_fen,
            t.payments.c.slip_no,
            t.units.c.building,
            t.debit_batches.c.batch_no,
            t.debit_batches.c.bank,
        )
        .join(t.units, t.units.c.unit_id == t.payments.c.unit_id)
        .outerjoin(t.debit_items, t.debit_items.c.id == t.payments.c.debit_item_id)
        .outerjoin(t.debit_batches, t.debit_batches.c.id == t.debit_items.c.batch_id)
        .where(t.payments.c.pay_date >= first, t.payments.c.pay_date <= last)
        .order_by(t.payments.c.pay_date, t.payments.c.id)
    )
    return tuple(
        PaymentRow(
            payment_id=r.id,
            pay_date=r.pay_date,
            unit_id=r.unit_id,
            building=r.building,
            payer=r.payer or "",
            method=r.method,
            amount=repo.money(r.amount_fen),
            slip_no=r.slip_no,
            batch_no=r.batch_no,
            bank=r.bank,
        )
        for r in conn.execute(q)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptGroup:
    """Payments of one day taken together: one counter method, or one debit batch."""

    method: str
    batch_no: str | None
    bank: str | None
    count: int
    total: Decimal
    failed: int = 0  # debit items of the batch that came back failed that day


@dataclass(frozen=True, slots=True, kw_only=True)
class DayReceipts:
    day: date
    counter: tuple[ReceiptGroup, ...]  # by method, in METHOD_ORDER
    debits: tuple[ReceiptGroup, ...]  # by batch

    @property
    def groups(self) -> tuple[ReceiptGroup, ...]:
        return self.counter + self.debits

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def total(self) -> Decimal:
        return sum((g.total for g in self.groups), ZERO)


def group_receipts(
    rows: Sequence[PaymentRow], failed: Mapping[str, int] | None = None
) -> tuple[tuple[ReceiptGroup, ...], tuple[ReceiptGroup, ...]]:
    """Counter payments by method and debit payments by batch (the deposit slip and the journal)."""
    counter: dict[str, list[PaymentRow]] = defaultdict(list)
    debits: dict[str, list[PaymentRow]] = defaultdict(list)
    for r in rows:
        if r.batch_no is not None:
            debits[r.batch_no].append(r)
        else:
            counter[r.method].append(r)
    failed = failed or {}
    methods = sorted(counter, key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else 99, m))
    return (
        tuple(
            ReceiptGroup(
                method=m,
                batch_no=None,
                bank=None,
                count=len(counter[m]),
                total=sum((r.amount for r in counter[m]), ZERO),
            )
            for m in methods
        ),
        tuple(
            ReceiptGroup(
                method="debit",
                batch_no=b,
                bank=rs[0].bank,
                count=len(rs),
                total=sum((r.amount for r in rs), ZERO),
                failed=failed.get(b, 0),
            )
            for b, rs in sorted(debits.items())
        ),
    )


def receipts_by_day(
    conn: Connection, first: date, last: date
) -> dict[date, tuple[tuple[ReceiptGroup, ...], tuple[ReceiptGroup, ...]]]:
    """Per day first..last, in date order, the payments taken together as `group_receipts`
    does (counter payments by method, debit payments by batch), summed by the database: the
    journal of a month of a million units needs its groups, not its payment rows."""
    q = (
        "SELECT p.pay_date, p.method, b.batch_no, b.bank, COUNT(*), SUM(p.amount_fen) FROM payments p "
        "LEFT JOIN debit_items d ON d.id = p.debit_item_id LEFT JOIN debit_batches b ON b.id = d.batch_id "
        "WHERE p.pay_date >= ? AND p.pay_date <= ? GROUP BY p.pay_date, p.method, b.batch_no, b.bank"
    )
    counter: dict[date, dict[str, tuple[int, int]]] = defaultdict(dict)
    debits: dict[date, dict[str, tuple[str | None, int, int]]] = defaultdict(dict)
    for pay_date, method, batch_no, bank, n, fen in stream(conn, q, [first, last]):
        day = _day(pay_date)
        if batch_no is not None:
            _, count_, total = debits[day].get(batch_no, (bank, 0, 0))
            debits[day][batch_no] = (bank, count_ + int(n), total + int(fen))
        else:
            count_, total = counter[day].get(method, (0, 0))
            counter[day][method] = (count_ + int(n), total + int(fen))
    out = {}
    for day in sorted(counter.keys() | debits.keys()):
        methods = counter.get(day, {})
        batches = debits.get(day, {})
        out[day] = (
            tuple(
                ReceiptGroup(
                    method=m, batch_no=None, bank=None, count=methods[m][0], total=repo.money(methods[m][1])
                )
                for m in sorted(
                    methods, key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else 99, m)
                )
            ),
            tuple(
                ReceiptGroup(method="debit", batch_no=b, bank=bank, count=n, total=repo.money(fen))
                for b, (bank, n, fen) in sorted(batches.items())
            ),
        )
    return out


def day_receipts(conn: Connection, day: date) -> DayReceipts:
    """The day's receipts: counter deposits by method, and the debit batches returned that day."""
    rows = payments_between(conn, day, day)
    q = (
        select(t.debit_batches.c.batch_no, func.count().label("n"))
        .join(t.debit_items, t.debit_items.c.batch_id == t.debit_batches.c.id)
        .where(t.debit_items.c.return_date == day, t.debit_items.c.status == "failed")
        .group_by(t.debit_batches.c.batch_no)
    )
    failed = {r.batch_no: int(r.n) for r in conn.execute(q)}
    counter, debits = group_receipts(rows, failed)
    # a batch whose every item failed that day still came back: list it with nothing received
    seen = {g.batch_no for g in debits}
    extra = tuple(
        ReceiptGroup(method="debit", batch_no=b, bank=None, count=0, total=ZERO, failed=n)
        for b, n in sorted(failed.items())
        if b not in seen
    )
    return DayReceipts(
        day=day, counter=counter, debits=tuple(sorted(debits + extra, key=lambda g: g.batch_no or ""))
    )


# --- what a period billed ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodBilling:
    """The bill run of a period: its issue date and the amounts of its lines per fee item."""

    period: Period
    issue_date: date
    bills: int
    by_item: tuple[tuple[Item, Decimal], ...]  # ITEM_ORDER, items with lines only

    @property
    def total(self) -> Decimal:
        return sum((a for _, a in self.by_item), ZERO)


def period_billing(conn: Connection, period: Period) -> PeriodBilling | None:
    run = repo.run_of(conn, period)
    if run is None:
        return None
    q = (
        select(t.bill_lines.c.item, func.sum(t.bill_lines.c.amount_fen).label("fen"))
        .join(t.bills, t.bills.c.id == t.bill_lines.c.bill_id)
        .where(t.bills.c.period == str(period))
        .group_by(t.bill_lines.c.item)
    )
    sums = {Item(r.item): repo.money(int(r.fen)) for r in conn.execute(q)}
    return PeriodBilling(
        period=period,
        issue_date=run.as_of,
        bills=run.bills,
        by_item=tuple((i, sums[i]) for i in ITEM_ORDER if i in sums),
    )
