"""`billing notices P`: the payment notices of a period, one PDF per building.

Builds one frozen `NoticeView` per issued bill from the bill's lines and their stored working
(never recomputing an amount), streams them building by building to the renderer, and leaves
the layout, fonts, parallel processes and manifest to `billing.render`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from billing.domain.money import ZERO
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.domain.records import Unit, UnitKind
from billing.ledger.balance import balance
from billing.pipeline.arrears import company_view
from billing.pipeline.context import Context, StepResult
from billing.pipeline.ledgers import late_fee_policy, load_ledgers
from billing.render import (
    AdjustmentLine,
    BuildingNotices,
    CompanyView,
    DebitView,
    ManagementLine,
    MeterChangeView,
    MeteredLine,
    MeterView,
    NoticeView,
    SharedLine,
    TierView,
    check_fast_subsetter,
    render_notices,
    render_unit_notice,
)
from billing.store import repo
from billing.store import schema as t

METERED = {"water": ("水费", "m³"), "electricity": ("电费", "kWh")}
SHARED = {"shared_water": ("公摊水费", "m³"), "shared_electricity": ("公摊电费", "kWh")}
BASIS = {"area": "按面积", "usage": "按用量", "equal": "平均"}
KIND = {UnitKind.RESIDENCE: "住宅", UnitKind.SHOP: "商铺"}


def make_notices(
    ctx: Context, period: Period, *, unit_id: str | None = None, layout: str = "a4-2"
) -> StepResult:
    """out/P/notices/<building>.pdf and <building>-签收单.pdf; with `unit_id`, that unit's notice alone."""
    result = StepResult()
    warning = check_fast_subsetter()
    if warning:
        result.say(warning)
    out_dir = ctx.workspace.out_dir / str(period) / "notices"
    with ctx.engine.connect() as conn:
        buildings = _billed_buildings(conn, period)
        if unit_id is not None:
            unit = repo.load_units(conn, [unit_id]).get(unit_id)
            one = _building_views(ctx, conn, period, unit.building, only=unit_id) if unit else None
            if not one or not one.notices:
                result.problems.append(Problem.error("NO_BILL", unit=unit_id, unit_id=unit_id, period=period))
                return result
            path = render_unit_notice(one.notices[0], out_dir / "units" / f"{unit_id}.pdf", layout)
            result.files.append(path)
            result.say(str(path))
            return result
        if not buildings:
            result.problems.append(Problem.error("NOT_ISSUED", period=period))
            return result

        def views() -> Iterator[BuildingNotices]:
            for building in ctx.progress.track(
                buildings, total=len(buildings), description=f"notices {period}"
            ):
                yield _building_views(ctx, conn, period, building)

        done = render_notices(views(), out_dir, layout=layout)
    result.problems.extend(done.problems)
    result.files.extend(done.files)
    en = ctx.lang.startswith("en")
    for path in sorted(done.files):
        result.say(str(path))
    if done.skipped:
        result.say(f"{len(done.skipped)} {'files unchanged, kept' if en else '个文件内容未变，保留原文件'}")
    result.say(str(done.manifest_path))
    return result


def _billed_buildings(conn: Connection, period: Period) -> list[str]:
    """The buildings with bills in the period, the most bills first (then by name).

    Largest first, so that the last buildings to finish on the worker processes are small
    ones and no worker waits long, idle, for another to finish a large one.
    """
    q = (
        select(t.units.c.building, func.count())
        .join(t.bills, t.bills.c.unit_id == t.units.c.unit_id)
        .where(t.bills.c.period == str(period))
        .group_by(t.units.c.building)
    )
    counted = sorted(conn.execute(q).all(), key=lambda row: (-row[1], row[0]))
    return [building for building, _ in counted]


def _building_views(
    ctx: Context, conn: Connection, period: Period, building: str, only: str | None = None
) -> BuildingNotices:
    """The notices of one building, from its bills, their lines and the units' ledgers."""
    q = (
        select(
            t.bills,
            t.bill_lines.c.item,
            t.bill_lines.c.quantity,
            t.bill_lines.c.amount_fen,
            t.bill_lines.c.detail,
        )
        .join(t.bill_lines, t.bill_lines.c.bill_id == t.bills.c.id)
        .join(t.units, t.units.c.unit_id == t.bills.c.unit_id)
        .where(t.bills.c.period == str(period), t.units.c.building == building)
        .order_by(t.bills.c.unit_id, t.bill_lines.c.seq)
    )
    if only is not None:
        q = q.where(t.bills.c.unit_id == only)
    bills: dict[str, Any] = {}
    lines: dict[str, list[Any]] = defaultdict(list)
    for r in conn.execute(q):
        bills[r.unit_id] = r
        lines[r.unit_id].append(r)
    units = repo.load_units(conn, list(bills))
    issue_dates = {b.issue_date for b in bills.values()}
    earlier: dict[str, Decimal] = {}
    policy = late_fee_policy(ctx.settings)
    for day in issue_dates:
        for unit, ledger in load_ledgers(conn, as_of=day, building=building).items():
            if unit in bills and bills[unit].issue_date == day:
                owed = balance(ledger.bills, ledger.payments, day, policy).outstanding
                earlier[unit] = owed - repo.money(bills[unit].total_fen)
    company = company_view(ctx.settings)
    notices = tuple(
        _notice(company, period, bills[u], lines[u], units[u], earlier.get(u, ZERO)) for u in bills
    )
    return BuildingNotices(building=building, period=period, notices=notices)


def _notice(
    company: CompanyView, period: Period, bill: Any, rows: list[Any], unit: Unit, earlier: Decimal
) -> NoticeView:
    metered, shared, adjustments = [], [], []
    management = None
    late_fee = ZERO
    for r in rows:
        amount = repo.money(r.amount_fen)
        detail = json.loads(r.detail)
        if r.item in METERED:
            metered.append(_metered(r.item, r.quantity, amount, detail))
        elif r.item in SHARED:
            shared.append(_shared(r.item, r.quantity, amount, detail))
        elif r.item == "management":
            prorated = detail["days_billed"] != detail["days_in_month"]
            management = ManagementLine(
                area=detail["area"],
                price=detail["price"],
                amount=amount,
                days=detail["days_billed"] if prorated else None,
                days_in_month=detail["days_in_month"] if prorated else None,
            )
        elif r.item == "adjustment":
            adjustments.append(AdjustmentLine(reason=f"{detail['period']} {detail['reason']}", amount=amount))
        elif r.item == "late_fee":
            late_fee += amount
    bill_total = repo.money(bill.total_fen)
    debit = None
    if unit.debit and unit.bank_account:
        debit = DebitView.from_account(
            bank_name=unit.bank_name or "", account=unit.bank_account, debit_date=bill.due_date
        )
    return NoticeView(
        company=company,
        period=period,
        issue_date=bill.issue_date,
        due_date=bill.due_date,
        unit_id=unit.unit_id,
        building=unit.building,
        floor=unit.floor,
        owner_name=unit.owner_name or "",
        kind=KIND[unit.kind],
        area_m2=str(unit.area_m2),
        metered=tuple(metered),
        shared=tuple(shared),
        management=management,
        adjustments=tuple(adjustments),
        late_fee=late_fee,
        bill_total=bill_total,
        earlier_balance=earlier,
        total=bill_total + earlier,
        reference=payment_reference(period, bill.id),
        debit=debit,
    )


def payment_reference(period: Period, bill_id: int) -> str:
    """The reference printed (and in the QR code) on a notice: the period and the bill number."""
    return f"{period.year:04d}{period.month:02d}-{bill_id:08d}"


def _metered(item: str, quantity: Decimal, amount: Decimal, d: Mapping[str, Any]) -> MeteredLine:
    label, measure = METERED[item]
    meters = tuple(
        MeterView(
            meter_id=m["meter_id"],
            previous=m["previous"],
            current=m["current"],
            multiplier=m["multiplier"],
            consumption=m["quantity"],
            rollover_digits=m["digits"] if m.get("rollover") else None,
            change=MeterChangeView(
                change_date=date.fromisoformat(m["change"]["date"]),
                old_final=m["change"]["old_final"],
                new_initial=m["change"]["new_initial"],
            )
            if m.get("change")
            else None,
        )
        for m in d.get("meters", ())
    )
    tiers = tuple(
        TierView(
            label=f"第{i}档 {p['from']}–{p['to']}" if p.get("to") else f"第{i}档 {p['from']} 以上",
            quantity=p["quantity"],
            price=p["price"],
        )
        for i, p in enumerate(d.get("tiers", ()), start=1)
    )
    return MeteredLine(
        label=label, measure=measure, meters=meters, consumption=str(quantity), tiers=tiers, amount=amount
    )


def _shared(item: str, quantity: Decimal, amount: Decimal, d: Mapping[str, Any]) -> SharedLine:
    label, measure = SHARED[item]
    shares = d.get("shares", ())
    total_q = sum((Decimal(s["shared_quantity"]) for s in shares), ZERO)
    first = shares[0] if shares else {}
    return SharedLine(
        label=label,
        measure=measure,
        shared_quantity=str(total_q),
        basis=BASIS.get(first.get("basis", ""), first.get("basis", "")),
        share_quantity=str(quantity),
        price=first.get("price", ""),
        amount=amount,
    )
