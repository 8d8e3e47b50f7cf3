"""`billing arrears`: arrears notices per building and the arrears ledger, as of a date.

Every unit with an overdue unpaid bill at `as_of` gets a notice (欠费通知单), in floor/room
order in its building's PDF, `out/arrears/<as-of>/<building>.pdf`: each overdue bill with
its unpaid principal, its unpaid late fee already charged and the late fee accrued for it up
to as-of, the total in figures and capitals, why the last direct debit failed (if it did), a
deadline (`deadline_days` after as-of) and how to pay.

The arrears ledger (欠费台账), `out/arrears/<as-of>/欠费台账.pdf` and `.xlsx`: one row per
unit and period of those units, the unpaid amount in its age bucket (days past due: 1–30,
31–90, 91–180, over 180; a bill of such a unit not yet due in its own column), the late fee
accrued; subtotals per building and kind, totals per kind and the grand total. The ledger's
unpaid total is those units' outstanding balance (billed − paid, as in `export balances`).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path

from billing.config import Settings
from billing.domain.money import ZERO, format_money
from billing.domain.problem import Problem
from billing.domain.records import UnitKind
from billing.ledger import AgeBucket
from billing.pipeline.context import Context, StepResult
from billing.pipeline.ledgers import late_fee_policy
from billing.pipeline.queries import BillStanding, UnitArrearsFigures, arrears
from billing.render.charts import bar_chart
from billing.render.reports import (
    ArrearsLine,
    ArrearsNoticeView,
    Column,
    KeyFigure,
    Kind,
    ReportView,
    Row,
    Style,
    TableView,
    file_name,
    render_arrears_notices,
    render_report_pdf,
    write_report_xlsx,
)
from billing.render.views import CompanyView

LEDGER_NAME = "欠费台账"
KIND_LABEL = {UnitKind.RESIDENCE: "住宅", UnitKind.SHOP: "商铺"}
BUCKET_LABEL = {
    AgeBucket.DAYS_1_30: "1–30天",
    AgeBucket.DAYS_31_90: "31–90天",
    AgeBucket.DAYS_91_180: "91–180天",
    AgeBucket.OVER_180: "180天以上",
}


def company_view(settings: Settings) -> CompanyView:
    c = settings.contact
    return CompanyView(
        name=settings.company,
        phone=c.phone,
        address=c.address,
        counter_hours=c.counter_hours,
        bank_name=c.bank_name,
        bank_account=c.bank_account,
        account_name=c.account_name,
    )


def period_label(text: str) -> str:
    year, month = text.split("-")
    return f"{year}年{int(month)}月"


def make_arrears(ctx: Context, as_of: date, generated_at: datetime, *, deadline_days: int = 15) -> StepResult:
    """Notices per building and the arrears ledger (PDF, XLSX) under out/arrears/<as-of>/."""
    result = StepResult()
    with ctx.engine.connect() as conn:
        units = arrears(conn, as_of, late_fee_policy(ctx.settings))
    out_dir = ctx.workspace.out_dir / "arrears" / as_of.isoformat()
    en = ctx.lang.startswith("en")
    if not units:
        result.problems.append(Problem.warning("NOTHING_OVERDUE", as_of=as_of))
    company = company_view(ctx.settings)
    by_building: dict[str, list[UnitArrearsFigures]] = defaultdict(list)
    for u in units:
        by_building[u.unit.building].append(u)
    jobs = [
        (
            [notice_view(u, company, as_of, generated_at, deadline_days, ctx.settings) for u in members],
            out_dir / f"{file_name(building)}.pdf",
        )
        for building, members in by_building.items()
    ]
    result.files.extend(_render_buildings(ctx, jobs))
    view = ledger_view(units, ctx.settings.company, as_of, generated_at)
    result.files.append(render_report_pdf(view, out_dir / f"{LEDGER_NAME}.pdf"))
    result.files.append(write_report_xlsx(view, out_dir / f"{LEDGER_NAME}.xlsx"))
    overdue = sum((u.overdue for u in units), ZERO)
    accrued = sum((u.late_fee_accrued for u in units), ZERO)
    result.say(
        f"{as_of}: {len(units)} {'units overdue' if en else '户逾期欠费'}, "
        f"{'overdue' if en else '逾期欠费'} {format_money(overdue)}, "
        f"{'late fee accrued' if en else '应计滞纳金'} {format_money(accrued)}"
    )
    result.messages.extend(str(f) for f in result.files)
    return result


# --- notices ----------------------------------------------------------------------------------------

PARALLEL_FROM = 40  # notices: from this many on, buildings are laid out in parallel processes


def _render_buildings(ctx: Context, jobs: Sequence[tuple[list[ArrearsNoticeView], Path]]) -> list[Path]:
    """Each building's notices as one PDF; buildings in parallel (a local process pool, like
    the payment notices) when there are several and enough notices to pay for the workers."""
    count = sum(len(views) for views, _ in jobs)
    if len(jobs) < 2 or count < PARALLEL_FROM:
        return [
            render_arrears_notices(views, path)
            for views, path in ctx.progress.track(jobs, total=len(jobs), description="arrears notices")
        ]
    workers = min(len(jobs), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver")) as pool:
        futures = [pool.submit(render_arrears_notices, views, path) for views, path in jobs]
        return [
            f.result() for f in ctx.progress.track(futures, total=len(futures), description="arrears notices")
        ]


def _rate_text(daily_rate: Decimal) -> str:
    percent = format(daily_rate * 100, "f").rstrip("0").rstrip(".") if daily_rate else "0"
    return f"{percent}%"


def notice_view(
    u: UnitArrearsFigures,
    company: CompanyView,
    as_of: date,
    generated_at: datetime,
    deadline_days: int,
    settings: Settings,
) -> ArrearsNoticeView:
    """The notice of one unit: its overdue bills (and bills paid late whose fee is still accruing)."""
    shown = [b for b in u.bills if b.overdue or b.late_fee_accrued]
    lines = tuple(
        ArrearsLine(
            period=period_label(str(b.period)),
            due_date=b.due_date,
            days_past_due=b.days_past_due,
            principal=b.unpaid_principal,
            late_fee=b.unpaid_late_fee,
            accrued=b.late_fee_accrued,
            total=b.unpaid + b.late_fee_accrued,
            overdue=True,
        )
        for b in shown
    )
    failure = u.last_debit_failure
    failure_text = None
    if failure is not None:
        failure_text = (
            f"最近一次银行代扣（{failure.return_date.isoformat()}，批次 {failure.batch_no}，"
            f"¥{format_money(failure.amount)}）未成功，原因：{failure.reason or '银行未说明'}。"
            "请核实扣款账户，或按下列方式缴纳。"
        )
    pending = [b for b in u.bills if not b.overdue and b.unpaid > 0]
    pending_note = "；".join(
        f"{period_label(str(b.period))}账单 ¥{format_money(b.unpaid)}（缴费期限 {b.due_date}）"
        for b in pending
    )
    return ArrearsNoticeView(
        company=company,
        unit_id=u.unit.unit_id,
        building=u.unit.building,
        floor=u.unit.floor,
        kind=KIND_LABEL[u.unit.kind],
        owner_name=u.unit.owner_name or "",
        as_of=as_of,
        deadline=as_of + timedelta(days=deadline_days),
        lines=lines,
        principal=sum((ln.principal for ln in lines), ZERO),
        late_fee=sum((ln.late_fee for ln in lines), ZERO),
        accrued=sum((ln.accrued for ln in lines), ZERO),
        total=sum((ln.total for ln in lines), ZERO),
        daily_rate=_rate_text(settings.late_fee.daily_rate),
        debit_failure=failure_text,
        pending_note=f"另有未到缴费期限的{pending_note}，不计入本通知。" if pending else None,
        generated_at=generated_at,
        debit_agreement=u.unit.debit and bool(u.unit.bank_account),
    )


# --- the ledger -------------------------------------------------------------------------------------

# Amount columns of the ledger rows, after the text columns.
_AMOUNTS = ("principal", "late_fee", "unpaid", "not_due", *(str(b) for b in AgeBucket), "accrued", "total")


def _amounts(b: BillStanding) -> dict[str, Decimal]:
    out = dict.fromkeys(_AMOUNTS, ZERO)
    out.update(
        principal=b.unpaid_principal,
        late_fee=b.unpaid_late_fee,
        unpaid=b.unpaid,
        accrued=b.late_fee_accrued,
        total=b.unpaid + b.late_fee_accrued,
    )
    if b.overdue and b.bucket is not None:
        out[str(b.bucket)] = b.unpaid
    else:
        out["not_due"] = b.unpaid
    return out


def _add(into: dict[str, Decimal], more: dict[str, Decimal]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, ZERO) + v


def ledger_view(
    units: Sequence[UnitArrearsFigures], company: str, as_of: date, generated_at: datetime
) -> ReportView:
    money_cols = (
        Column(title="欠费本金", kind=Kind.MONEY, width=11),
        Column(title="欠滞纳金", kind=Kind.MONEY, width=9, blank_zero=True),
        Column(title="欠费小计", kind=Kind.MONEY, width=11),
        Column(title="未到期", kind=Kind.MONEY, width=9, blank_zero=True),
        *(Column(title=BUCKET_LABEL[b], kind=Kind.MONEY, width=10, blank_zero=True) for b in AgeBucket),
        Column(title="应计滞纳金", kind=Kind.MONEY, width=9, blank_zero=True),
        Column(title="合计（含应计）", kind=Kind.MONEY, width=11),
    )
    detail_cols = (
        Column(title="房号", width=10),
        Column(title="业主", width=10),
        Column(title="账期", width=8),
        Column(title="缴费期限", kind=Kind.DATE, width=10),
        Column(title="逾期天数", kind=Kind.INT, width=7),
        *money_cols,
    )
    rows: list[Row] = []
    by_kind: dict[UnitKind, dict[str, Decimal]] = defaultdict(dict)
    kind_units: dict[UnitKind, int] = defaultdict(int)
    summary_rows: list[Row] = []
    grand: dict[str, Decimal] = {}
    buildings = list(dict.fromkeys(u.unit.building for u in units))
    for building in buildings:
        in_building = [u for u in units if u.unit.building == building]
        building_sum: dict[str, Decimal] = {}
        kinds = [k for k in UnitKind if any(u.unit.kind is k for u in in_building)]
        for kind in kinds:
            members = [u for u in in_building if u.unit.kind is kind]
            rows.append(Row(cells=(f"{building} 栋 · {KIND_LABEL[kind]}",), style=Style.GROUP))
            group: dict[str, Decimal] = {}
            for u in members:
                for b in u.bills:
                    amounts = _amounts(b)
                    _add(group, amounts)
                    rows.append(
                        Row(
                            cells=(
                                u.unit.unit_id,
                                u.unit.owner_name or "",
                                str(b.period),
                                b.due_date,
                                b.days_past_due if b.bucket is not None else None,
                                *(amounts[k] for k in _AMOUNTS),
                            )
                        )
                    )
            rows.append(
                Row(
                    cells=(
                        f"{KIND_LABEL[kind]}小计",
                        f"{len(members)} 户",
                        None,
                        None,
                        None,
                        *(group[k] for k in _AMOUNTS),
                    ),
                    style=Style.SUBTOTAL,
                )
            )
            summary_rows.append(
                Row(cells=(f"{building} 栋", KIND_LABEL[kind], len(members), *(group[k] for k in _AMOUNTS)))
            )
            _add(building_sum, group)
            _add(by_kind[kind], group)
            kind_units[kind] += len(members)
        if len(kinds) > 1:
            rows.append(
                Row(
                    cells=(
                        f"{building} 栋合计",
                        f"{len(in_building)} 户",
                        None,
                        None,
                        None,
                        *(building_sum[k] for k in _AMOUNTS),
                    ),
                    style=Style.SUBTOTAL,
                )
            )
            summary_rows.append(
                Row(
                    cells=(f"{building} 栋", "合计", len(in_building), *(building_sum[k] for k in _AMOUNTS)),
                    style=Style.SUBTOTAL,
                )
            )
        _add(grand, building_sum)
    for k in _AMOUNTS:
        grand.setdefault(k, ZERO)
    for kind in UnitKind:
        if kind in by_kind:
            rows.append(
                Row(
                    cells=(
                        f"{KIND_LABEL[kind]}合计",
                        f"{kind_units[kind]} 户",
                        None,
                        None,
                        None,
                        *(by_kind[kind][k] for k in _AMOUNTS),
                    ),
                    style=Style.SUBTOTAL,
                )
            )
            summary_rows.append(
                Row(
                    cells=(
                        "",
                        f"{KIND_LABEL[kind]} 合计",
                        kind_units[kind],
                        *(by_kind[kind][k] for k in _AMOUNTS),
                    ),
                    style=Style.SUBTOTAL,
                )
            )
    rows.append(
        Row(
            cells=("总计", f"{len(units)} 户", None, None, None, *(grand[k] for k in _AMOUNTS)),
            style=Style.TOTAL,
        )
    )
    summary_rows.append(Row(cells=("总计", "", len(units), *(grand[k] for k in _AMOUNTS)), style=Style.TOTAL))
    summary_cols = (
        Column(title="楼栋", width=8),
        Column(title="类型", width=9),
        Column(title="欠费户数", kind=Kind.INT, width=7),
        *money_cols,
    )
    buckets = [grand["not_due"], *(grand[str(b)] for b in AgeBucket)]
    chart = bar_chart(
        "欠费账龄分布（元）",
        ["未到期", *(BUCKET_LABEL[b] for b in AgeBucket)],
        buckets,
        percent=False,
        value_labels=[f"{v:,.2f}" for v in buckets],
    )
    overdue = sum((grand[str(b)] for b in AgeBucket), ZERO)
    return ReportView(
        company=company,
        title=LEDGER_NAME,
        meta=(("截至", as_of.isoformat()), ("金额单位", "元")),
        generated_at=generated_at,
        landscape=True,
        figures=(
            KeyFigure(label="欠费户数", value=len(units), kind=Kind.INT),
            KeyFigure(label="逾期欠费", value=overdue, alert=overdue > 0),
            KeyFigure(label="欠费合计（含未到期）", value=grand["unpaid"]),
            KeyFigure(label="应计滞纳金", value=grand["accrued"]),
            KeyFigure(label="合计（含应计滞纳金）", value=grand["total"]),
        ),
        tables=(
            TableView(title="按楼栋、类型汇总", sheet="汇总", columns=summary_cols, rows=tuple(summary_rows)),
            TableView(
                title="欠费明细（按户、账期）",
                sheet="明细",
                columns=detail_cols,
                rows=tuple(rows),
                note="账龄按缴费期限次日起算的逾期天数；欠费小计 = 欠费本金 + 已出账未缴的滞纳金；"
                "应计滞纳金为截至统计日已产生、尚未出账的滞纳金。",
            ),
        ),
        charts=(chart,),
        charts_after=1,
        notes=(
            "欠费户：截至统计日有逾期未缴账单的房号；其未到缴费期限的账单列入“未到期”。",
            "每户欠费小计合计即其账户余额（应收 − 已收），与余额导出（export balances）一致。",
        ),
    )
