"""`billing run P`: rate the period, add adjustments and late fees, issue every bill at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, update

from billing.domain.bill import ITEM_ORDER, BillLine, Item
from billing.domain.money import ZERO, format_money, to_fen
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.domain.records import MeterPeriod, Unit
from billing.ledger.late_fee import late_fee_workings
from billing.pipeline.context import Context, StepResult
from billing.pipeline.ledgers import late_fee_policy, load_ledgers
from billing.rate import rate_period
from billing.store import repo
from billing.store import schema as t
from billing.store.locks import exclusive


@dataclass
class ProposedBill:
    unit_id: str
    lines: list[BillLine] = field(default_factory=list)
    # (target bill id, increment, F_b) of the late fee line
    charges: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)
    adjustment_ids: list[int] = field(default_factory=list)

    @property
    def principal(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.item is not Item.LATE_FEE), ZERO)

    @property
    def late_fee(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.item is Item.LATE_FEE), ZERO)


def issue_bills(ctx: Context, period: Period, as_of: date, *, dry_run: bool = False) -> StepResult:
    """Rate and issue the bills of a period as one unit of work; a rerun issues nothing."""
    result = StepResult()
    tariff = ctx.workspace.tariffs().in_force(period)
    if tariff is None:
        result.problems.append(Problem.error("NO_TARIFF", period=period))
        return result
    with ctx.engine.begin() as conn:
        exclusive(conn, "bill-run")
        done = repo.run_of(conn, period)
        if done is not None:
            result.say(Problem.warning("ALREADY_ISSUED", period=period, count=done.bills).message(ctx.lang))
            return result
        meter_periods, missing = rating_inputs(conn, period)
        if missing:
            result.problems.extend(missing)
            result.refused = True
            return result
        units = repo.load_units(conn)
        rating = rate_period(
            period=period,
            units=tuple(units.values()),
            meter_periods=meter_periods,
            tariff=tariff,
            rounding=ctx.rounding,
        )
        result.problems.extend(rating.problems)
        if any(p.is_error for p in rating.problems):
            result.refused = True
            return result
        proposed = propose_bills(conn, ctx, rating.lines, as_of)
        _summarise(result, period, proposed, ctx.lang)
        if dry_run:
            result.say(
                "--dry-run: nothing written" if ctx.lang.startswith("en") else "--dry-run：未写入任何数据"
            )
            return result
        write_bills(
            conn,
            period,
            as_of,
            tariff.label,
            str(ctx.rounding),
            [proposed[u] for u in sorted(proposed, key=lambda u: _unit_order(units, u))],
            ctx,
        )
    return result


def rating_inputs(conn: Connection, period: Period) -> tuple[tuple[MeterPeriod, ...], list[Problem]]:
    """Every meter with its previous and current reading and any change; MISSING_READING otherwise."""
    meters = repo.load_meters(conn)
    current = repo.readings_of(conn, period)
    previous = repo.previous_readings(conn, period)
    changes = repo.changes_in(conn, period)
    missing = [
        Problem.error("MISSING_READING", unit=m.unit_id or m.meter_id, meter_id=m.meter_id, period=period)
        for m in meters.values()
        if m.meter_id not in current
    ]
    if missing:
        return (), missing
    out = []
    for m in meters.values():
        prev, prev_date = previous[m.meter_id]
        cur, cur_date = current[m.meter_id]
        out.append(
            MeterPeriod(
                meter=m,
                previous=prev,
                previous_date=prev_date,
                current=cur,
                current_date=cur_date,
                change=changes.get(m.meter_id),
            )
        )
    return tuple(out), []


def propose_bills(
    conn: Connection, ctx: Context, lines: Sequence[BillLine], as_of: date
) -> dict[str, ProposedBill]:
    """The rated lines, plus each unit's pending adjustments and the late fees due at as_of."""
    proposed: dict[str, ProposedBill] = {}
    for ln in lines:
        proposed.setdefault(ln.unit_id, ProposedBill(ln.unit_id)).lines.append(ln)
    for unit_id, adjustments in repo.pending_adjustments(conn).items():
        bill = proposed.setdefault(unit_id, ProposedBill(unit_id))
        for a in adjustments:
            amount = repo.money(a.amount_fen)
            bill.lines.append(
                BillLine(
                    unit_id=unit_id,
                    item=Item.ADJUSTMENT,
                    quantity=None,
                    amount=amount,
                    exact=amount,
                    detail={
                        "adjustment_id": a.id,
                        "period": a.period,
                        "item": a.item,
                        "reason": a.reason,
                        "recorded_on": a.recorded_on.isoformat(),
                    },
                )
            )
            bill.adjustment_ids.append(a.id)
    policy = late_fee_policy(ctx.settings)
    for unit_id, ledger in load_ledgers(conn, as_of=as_of).items():
        charges = late_fee_workings(ledger.bills, ledger.payments, as_of, policy)
        if not charges:
            continue
        bill = proposed.setdefault(unit_id, ProposedBill(unit_id))
        total = sum((c.to_charge for c in charges), ZERO)
        periods = {b.bill_id: str(b.period) for b in ledger.bills}
        detail = {
            "as_of": as_of.isoformat(),
            "bills": [
                {
                    "bill_id": c.bill_id,
                    "period": periods[c.bill_id],
                    "fee": str(c.fee),
                    "charged_before": str(c.charged),
                    "charged_now": str(c.to_charge),
                    "days": c.days,
                    "principal": str(c.principal),
                    "daily_rate": str(c.daily_rate),
                    "cap": str(c.cap),
                    "capped": c.capped,
                    "accrued": str(c.accrued),
                    "stretches": [
                        {
                            "first": s.first.isoformat(),
                            "last": s.last.isoformat(),
                            "days": s.days,
                            "unpaid": str(s.unpaid),
                            "amount": str(s.amount),
                        }
                        for s in c.stretches
                    ],
                }
                for c in charges
            ],
        }
        bill.lines.append(
            BillLine(
                unit_id=unit_id, item=Item.LATE_FEE, quantity=None, amount=total, exact=total, detail=detail
            )
        )
        bill.charges.extend((c.bill_id, c.to_charge, c.fee) for c in charges)
    for bill in proposed.values():
        bill.lines.sort(key=lambda ln: ITEM_ORDER.index(ln.item))
    return proposed


def write_bills(
    conn: Connection,
    period: Period,
    as_of: date,
    tariff_label: str,
    rounding: str,
    bills: Sequence[ProposedBill],
    ctx: Context,
) -> None:
    """Write the run, its bills and their lines in bulk, inside the caller's transaction."""
    total = sum((b.principal + b.late_fee for b in bills), ZERO)
    run_id = int(
        conn.execute(
            insert(t.bill_runs).values(
                period=str(period),
                as_of=as_of,
                tariff_version=tariff_label,
                rounding=rounding,
                bills=len(bills),
                total_fen=to_fen(total),
                created_at=datetime.now(),
            )
        ).inserted_primary_key[0]
    )  # type: ignore[index]
    due = period.due_date(ctx.settings.due_day)
    first_id = repo.next_id(conn, t.bills)
    bill_rows, line_rows, charge_rows = [], [], []
    adjusted: list[tuple[int, int]] = []
    for offset, bill in enumerate(ctx.progress.track(bills, total=len(bills), description=f"issue {period}")):
        bill_id = first_id + offset
        bill_rows.append(
            {
                "id": bill_id,
                "run_id": run_id,
                "unit_id": bill.unit_id,
                "period": str(period),
                "issue_date": as_of,
                "due_date": due,
                "principal_fen": to_fen(bill.principal),
                "late_fee_fen": to_fen(bill.late_fee),
                "total_fen": to_fen(bill.principal + bill.late_fee),
            }
        )
        for seq, ln in enumerate(bill.lines, start=1):
            line_rows.append(
                {
                    "bill_id": bill_id,
                    "seq": seq,
                    "item": str(ln.item),
                    "quantity": ln.quantity,
                    "amount_fen": to_fen(ln.amount),
                    "exact": ln.exact,
                    "detail": repo.detail_json(ln.detail),
                }
            )
        charge_rows.extend(
            {
                "bill_id": bill_id,
                "target_bill_id": target,
                "amount_fen": to_fen(amount),
                "accrued_fen": to_fen(fee),
            }
            for target, amount, fee in bill.charges
        )
        adjusted.extend((a, bill_id) for a in bill.adjustment_ids)
    for table, rows in ((t.bills, bill_rows), (t.bill_lines, line_rows), (t.late_fee_charges, charge_rows)):
        for i in range(0, len(rows), 50000):
            conn.execute(insert(table), rows[i : i + 50000])
    for adjustment_id, bill_id in adjusted:
        conn.execute(
            update(t.adjustments).where(t.adjustments.c.id == adjustment_id).values(applied_bill_id=bill_id)
        )


def _summarise(result: StepResult, period: Period, proposed: Mapping[str, ProposedBill], lang: str) -> None:
    by_item: dict[str, Decimal] = defaultdict(lambda: ZERO)
    lines = 0
    for bill in proposed.values():
        for ln in bill.lines:
            by_item[str(ln.item)] += ln.amount
            lines += 1
    total = sum(by_item.values(), ZERO)
    en = lang.startswith("en")
    result.say(
        f"{period}: {len(proposed)} {'bills' if en else '张账单'}, {lines} {'lines' if en else '行'}, "
        f"{'total' if en else '合计'} {format_money(total)}"
    )
    for item in ITEM_ORDER:
        if str(item) in by_item:
            result.say(f"  {item!s:<20} {format_money(by_item[str(item)]):>14}")


def _unit_order(units: Mapping[str, Unit], unit_id: str) -> tuple[str, int, str]:
    u = units.get(unit_id)
    return (u.building, u.floor or 0, unit_id) if u else ("", 0, unit_id)
