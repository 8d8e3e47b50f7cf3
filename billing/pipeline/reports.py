"""`billing report …`: the month-end reports for the supervisor and finance.

- `collection_report` (收缴率统计), out/reports/<P>/collection.pdf + .xlsx: the bills of P
  per building and kind as of a date — units billed, billed, collected, outstanding,
  collection rate (collected ÷ billed), household rate (units fully paid ÷ units billed) —
  with totals, a chart of the rate per building and the trend over the last 12 periods.
- `balance_report` (水电平衡报表), out/reports/<P>/balance.pdf + .xlsx: per master meter the
  master's consumption, Σ unit meters, Σ common meters, loss and loss rate; a loss rate over
  `[balance] warn_loss_rate` or a negative loss is flagged (and warned); the loss rate over
  the last 12 periods.
- `cash_ledger` (现金收取台账), out/reports/cash-ledger-<from>-<to>.pdf + .xlsx: every payment
  in date order with a running total, a subtotal per day, and the totals per day and method.
- `deposit_slip` (银行进账单), out/reports/deposit-slip-<D>.pdf: the day's receipts.

Every figure comes from `billing.pipeline.queries`; the time printed is `generated_at`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from itertools import groupby
from pathlib import Path

from billing.domain.money import ZERO, format_money
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.domain.records import UnitKind
from billing.pipeline.arrears import KIND_LABEL, company_view, period_label
from billing.pipeline.context import Context, StepResult
from billing.pipeline.ledgers import late_fee_policy
from billing.pipeline.queries import (
    METHOD_ORDER,
    CollectionFigures,
    MeterBalance,
    PaymentRow,
    balance_trend,
    collection,
    day_receipts,
    payments_between,
    period_billing,
    rate,
)
from billing.render.charts import ChartView, bar_chart, line_chart
from billing.render.reports import (
    Column,
    DepositSlipView,
    KeyFigure,
    Kind,
    ReportView,
    Row,
    SlipLine,
    Style,
    TableView,
    render_deposit_slip,
    render_report_pdf,
    write_report_xlsx,
)

METHOD_LABEL = {"cash": "现金", "transfer": "转账", "pos": "刷卡", "debit": "银行代扣"}
UTILITY_LABEL = {"water": ("水", "m³"), "electricity": ("电", "kWh")}


def reports_dir(ctx: Context) -> Path:
    return ctx.workspace.out_dir / "reports"


def _write(result: StepResult, view: ReportView, stem: Path, *, xlsx: bool = True) -> None:
    result.files.append(render_report_pdf(view, stem.with_suffix(".pdf")))
    if xlsx:
        result.files.append(write_report_xlsx(view, stem.with_suffix(".xlsx")))
    result.messages.extend(str(f) for f in result.files)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.01'))}%"


# --- collection -------------------------------------------------------------------------------------


def _collection_cells(f: CollectionFigures) -> tuple[int | Decimal | None, ...]:
    return (
        f.units_billed,
        f.billed,
        f.collected,
        f.outstanding,
        f.collection_rate,
        f.units_paid,
        f.household_rate,
    )


_COLLECTION_COLS = (
    Column(title="应收户数", kind=Kind.INT, width=8),
    Column(title="应收金额", kind=Kind.MONEY, width=12),
    Column(title="实收金额", kind=Kind.MONEY, width=12),
    Column(title="欠收金额", kind=Kind.MONEY, width=12),
    Column(title="收缴率", kind=Kind.RATE, width=8),
    Column(title="缴清户数", kind=Kind.INT, width=8),
    Column(title="户收缴率", kind=Kind.RATE, width=8),
)


def collection_report(ctx: Context, period: Period, as_of: date, generated_at: datetime) -> StepResult:
    result = StepResult()
    with ctx.engine.connect() as conn:
        if period_billing(conn, period) is None:
            result.problems.append(Problem.error("PERIOD_NOT_ISSUED", period=period))
            result.refused = True
            return result
        figures = collection(conn, period, as_of, late_fee_policy(ctx.settings))
    rows: list[Row] = []
    by_building: dict[str, CollectionFigures] = {}
    for building, grouped in groupby(figures.groups, key=lambda g: g.building):  # groups are by building
        groups = list(grouped)
        subtotal = by_building[building] = sum((g.figures for g in groups), CollectionFigures())
        for g in groups:
            rows.append(Row(cells=(f"{building} 栋", KIND_LABEL[g.kind], *_collection_cells(g.figures))))
        if len(groups) > 1:
            rows.append(
                Row(cells=(f"{building} 栋", "小计", *_collection_cells(subtotal)), style=Style.SUBTOTAL)
            )
    for kind in UnitKind:
        if any(g.kind is kind for g in figures.groups):
            rows.append(
                Row(
                    cells=("", f"{KIND_LABEL[kind]}合计", *_collection_cells(figures.kind(kind))),
                    style=Style.SUBTOTAL,
                )
            )
    total = figures.total
    rows.append(Row(cells=("合计", "", *_collection_cells(total)), style=Style.TOTAL))
    trend_rows = tuple(Row(cells=(period_label(str(p)), *_collection_cells(f))) for p, f in figures.trend)
    rates = [f.collection_rate for f in by_building.values()]
    charts = (
        bar_chart(
            f"{period_label(str(period))} 各楼栋收缴率",
            [f"{b} 栋" for b in by_building],
            rates,
            value_labels=[_pct(r) for r in rates],
        )
        if len(rates) <= CHART_BARS
        else _rate_bands_chart(f"{period_label(str(period))} 各楼栋收缴率分布（楼栋数）", rates),
        line_chart(
            "近 12 期收缴率（截至统计日）",
            [str(p) for p, _ in figures.trend],
            [
                ("收缴率", [f.collection_rate for _, f in figures.trend]),
                ("户收缴率", [f.household_rate for _, f in figures.trend]),
            ],
        ),
    )
    view = ReportView(
        company=ctx.settings.company,
        title="收缴率统计",
        meta=(("账期", period_label(str(period))), ("统计截至", as_of.isoformat()), ("金额单位", "元")),
        generated_at=generated_at,
        figures=(
            KeyFigure(label="应收金额", value=total.billed),
            KeyFigure(label="实收金额", value=total.collected),
            KeyFigure(label="欠收金额", value=total.outstanding, alert=total.outstanding > 0),
            KeyFigure(label="收缴率", value=total.collection_rate, kind=Kind.RATE),
            KeyFigure(label="户收缴率", value=total.household_rate, kind=Kind.RATE),
        ),
        tables=(
            TableView(
                title="按楼栋、类型",
                sheet="收缴率",
                columns=(Column(title="楼栋", width=8), Column(title="类型", width=9), *_COLLECTION_COLS),
                rows=tuple(rows),
            ),
            TableView(
                title="近 12 期趋势",
                sheet="趋势",
                columns=(Column(title="账期", width=10), *_COLLECTION_COLS),
                rows=trend_rows,
            ),
        ),
        charts=charts,
        charts_after=1,
        notes=(
            f"应收：{period_label(str(period))}各户账单的金额（含账单上的滞纳金和调整）。",
            f"实收：截至 {as_of.isoformat()} 分配到这些账单的缴款（缴款按账期先后、先本金后滞纳金分配）。",
            "收缴率 = 实收金额 ÷ 应收金额；户收缴率 = 缴清户数 ÷ 应收户数。趋势中各期均截至统计日计算。",
        ),
    )
    _write(result, view, reports_dir(ctx) / str(period) / "collection")
    en = ctx.lang.startswith("en")
    result.say(
        f"{period}: {'billed' if en else '应收'} {format_money(total.billed)}, "
        f"{'collected' if en else '实收'} {format_money(total.collected)}, "
        f"{'rate' if en else '收缴率'} {_pct(total.collection_rate)}"
    )
    return result


# A chart has a bar per building, or a line per master meter, up to this many; past it, the
# chart is drawn from aggregates (buildings per band of collection rate; the loss rate of each
# utility as a whole), so that it stays readable and costs the same for any estate.
CHART_BARS = 30
CHART_LINES = 6
RATE_BANDS = 10


def rate_bands(rates: Sequence[Decimal | None]) -> list[int]:
    """How many of the rates lie in each tenth: [0, 10 %), …, [90 %, 100 %] (below 0 in the
    first, above 100 % in the last; None, nothing billed, in none)."""
    counts = [0] * RATE_BANDS
    for r in rates:
        if r is not None:
            band = int((r * RATE_BANDS).to_integral_value(rounding=ROUND_FLOOR))
            counts[min(max(band, 0), RATE_BANDS - 1)] += 1
    return counts


def _rate_bands_chart(title: str, rates: Sequence[Decimal | None]) -> ChartView:
    """How many buildings have a collection rate in each tenth (0–10 %, …, 90–100 %)."""
    counts = rate_bands(rates)
    step = 100 // RATE_BANDS
    return bar_chart(
        title,
        [f"{n * step}–{(n + 1) * step}%" for n in range(RATE_BANDS)],
        [Decimal(c) for c in counts],
        percent=False,
        value_labels=[str(c) for c in counts],
    )


# --- balance ----------------------------------------------------------------------------------------


def _balance_status(b: MeterBalance, warn: Decimal) -> str:
    if b.missing:
        return "缺读数"
    loss = b.loss
    if loss is not None and loss < 0:
        return "负损耗"
    if b.flagged(warn):
        return "超过预警"
    return "正常"


def balance_report(ctx: Context, period: Period, generated_at: datetime) -> StepResult:
    result = StepResult()
    warn = ctx.settings.balance.warn_loss_rate
    with ctx.engine.connect() as conn:
        trend = balance_trend(conn, period)
    rows_now = next((rows for p, rows in trend if p == period), ())
    if not rows_now:
        result.problems.append(Problem.error("NO_READINGS", period=period))
        result.refused = True
        return result
    for b in rows_now:
        if b.missing:
            result.problems.append(
                Problem.warning(
                    "BALANCE_INCOMPLETE",
                    unit=b.master_id,
                    meter_id=b.master_id,
                    missing=", ".join(b.missing),
                    period=period,
                )
            )
        elif b.loss is not None and b.loss < 0:
            result.problems.append(
                Problem.warning("LOSS_NEGATIVE", unit=b.master_id, meter_id=b.master_id, loss=b.loss)
            )
        elif b.flagged(warn):
            result.problems.append(
                Problem.warning(
                    "LOSS_RATE_HIGH",
                    unit=b.master_id,
                    meter_id=b.master_id,
                    rate=_pct(b.loss_rate),
                    limit=_pct(warn),
                )
            )
    table_rows: list[Row] = []
    figures: list[KeyFigure] = [KeyFigure(label="总表数", value=len(rows_now), kind=Kind.INT)]
    for utility in ("water", "electricity"):
        mine = [b for b in rows_now if b.utility == utility]
        if not mine:
            continue
        name, measure = UTILITY_LABEL[utility]
        for b in mine:
            table_rows.append(
                Row(
                    cells=(
                        b.master_id,
                        f"{name}（{measure}）",
                        b.unit_meters,
                        b.common_meters,
                        b.master,
                        b.units,
                        b.common,
                        b.loss,
                        b.loss_rate,
                        _balance_status(b, warn),
                    ),
                    style=Style.FLAG if b.missing or b.flagged(warn) else Style.DATA,
                )
            )
        done = [b for b in mine if not b.missing]
        master, units, common, _ = _utility_sums(done)
        loss = master - units - common
        table_rows.append(
            Row(
                cells=(
                    f"{name} 合计",
                    measure,
                    sum(b.unit_meters for b in done),
                    sum(b.common_meters for b in done),
                    master,
                    units,
                    common,
                    loss,
                    rate(loss, master) if master > 0 else None,
                    "",
                ),
                style=Style.SUBTOTAL,
            )
        )
        loss_rate = rate(loss, master) if master > 0 else None
        figures.append(
            KeyFigure(
                label=f"{name}损耗率",
                value=loss_rate,
                kind=Kind.RATE,
                alert=loss_rate is not None and (loss_rate > warn or loss_rate < 0),
            )
        )
    flagged = sum(1 for b in rows_now if b.missing or b.flagged(warn))
    figures.append(KeyFigure(label="需关注的总表", value=flagged, kind=Kind.INT, alert=flagged > 0))
    periods = [p for p, _ in trend]
    masters = [b.master_id for b in rows_now]
    by_master = {p: {b.master_id: b for b in rows} for p, rows in trend}
    series = [
        (m, [by_master[p][m].loss_rate if m in by_master[p] else None for p in periods]) for m in masters
    ]
    chart_series = series if len(series) <= CHART_LINES else _utility_loss_rates(trend)
    trend_cols = (
        Column(title="总表", width=10),
        *(Column(title=str(p), kind=Kind.RATE, width=8) for p in periods),
    )
    trend_rows = tuple(Row(cells=(m, *values)) for m, values in series)
    qty = (
        Column(title="总表用量", kind=Kind.QTY, width=11),
        Column(title="户表合计", kind=Kind.QTY, width=11),
        Column(title="公用表合计", kind=Kind.QTY, width=11),
        Column(title="损耗", kind=Kind.QTY, width=10),
        Column(title="损耗率", kind=Kind.RATE, width=8),
    )
    view = ReportView(
        company=ctx.settings.company,
        title="水电平衡报表",
        meta=(("账期", period_label(str(period))), ("损耗率预警", _pct(warn))),
        generated_at=generated_at,
        landscape=len(periods) > 7,
        figures=tuple(figures),
        tables=(
            TableView(
                title="各总表本期平衡",
                sheet="平衡",
                columns=(
                    Column(title="总表", width=10),
                    Column(title="类别", width=10),
                    Column(title="户表数", kind=Kind.INT, width=6),
                    Column(title="公用表数", kind=Kind.INT, width=6),
                    *qty,
                    Column(title="状态", width=8),
                ),
                rows=tuple(table_rows),
                note="损耗 = 总表用量 − 户表合计 − 公用表合计；损耗率 = 损耗 ÷ 总表用量。用量含倍率、翻表和换表，"
                "与计费所用的用量相同。",
            ),
            TableView(title="近 12 期损耗率", sheet="趋势", columns=trend_cols, rows=trend_rows),
        ),
        charts=(
            line_chart("近 12 期损耗率", [str(p) for p in periods], chart_series, limit=warn, zero_line=True),
        ),
        charts_after=1,
        notes=(
            f"损耗率高于 {_pct(warn)}（settings.toml [balance] warn_loss_rate）或损耗为负的总表标为红色，"
            "请核查抄表、漏损或表计故障。",
        ),
    )
    _write(result, view, reports_dir(ctx) / str(period) / "balance")
    return result


def _utility_sums(rows: Sequence[MeterBalance]) -> tuple[Decimal, Decimal, Decimal, Decimal | None]:
    """Master, Σ unit meters, Σ common meters and the loss rate of the complete rows given."""
    done = [b for b in rows if not b.missing]
    master = sum((b.master or ZERO for b in done), ZERO)
    units = sum((b.units or ZERO for b in done), ZERO)
    common = sum((b.common or ZERO for b in done), ZERO)
    return master, units, common, rate(master - units - common, master) if master > 0 else None


def _utility_loss_rates(
    trend: Sequence[tuple[Period, Sequence[MeterBalance]]],
) -> list[tuple[str, list[Decimal | None]]]:
    """Per utility, its loss rate as a whole (Σ of its complete master meters) in each period."""
    return [
        (
            f"{UTILITY_LABEL[utility][0]} 合计",
            [_utility_sums([b for b in rows if b.utility == utility])[3] for _, rows in trend],
        )
        for utility in ("water", "electricity")
        if any(b.utility == utility for _, rows in trend for b in rows)
    ]


# --- cash ledger ------------------------------------------------------------------------------------


def _method_order(method: str) -> tuple[int, str]:
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


def cash_ledger(ctx: Context, first: date, last: date, generated_at: datetime) -> StepResult:
    result = StepResult()
    if first > last:
        result.problems.append(Problem.error("DATE_RANGE", first=first, last=last))
        result.refused = True
        return result
    with ctx.engine.connect() as conn:
        payments = payments_between(conn, first, last)
    view = cash_ledger_view(payments, ctx.settings.company, first, last, generated_at)
    _write(result, view, reports_dir(ctx) / f"cash-ledger-{first.isoformat()}-{last.isoformat()}")
    en = ctx.lang.startswith("en")
    total = sum((p.amount for p in payments), ZERO)
    result.say(
        f"{first} – {last}: {len(payments)} {'payments' if en else '笔'}, "
        f"{'total' if en else '合计'} {format_money(total)}"
    )
    return result


def cash_ledger_view(
    payments: Sequence[PaymentRow], company: str, first: date, last: date, generated_at: datetime
) -> ReportView:
    rows: list[Row] = []
    running = ZERO
    by_day: dict[date, list[PaymentRow]] = defaultdict(list)
    for p in payments:
        by_day[p.pay_date].append(p)
    for day in sorted(by_day):
        todays = by_day[day]
        for p in todays:
            running += p.amount
            rows.append(
                Row(
                    cells=(
                        p.pay_date,
                        p.voucher,
                        p.building,
                        p.unit_id,
                        p.payer,
                        METHOD_LABEL.get(p.method, p.method),
                        p.amount,
                        running,
                    )
                )
            )
        rows.append(
            Row(
                cells=(
                    day,
                    f"本日小计 {len(todays)} 笔",
                    None,
                    None,
                    None,
                    None,
                    sum((p.amount for p in todays), ZERO),
                    running,
                ),
                style=Style.SUBTOTAL,
            )
        )
    total = sum((p.amount for p in payments), ZERO)
    rows.append(
        Row(cells=("合计", f"{len(payments)} 笔", None, None, None, None, total, total), style=Style.TOTAL)
    )
    methods = sorted({p.method for p in payments} | {"cash", "transfer", "pos", "debit"}, key=_method_order)
    matrix: list[Row] = []
    for day in sorted(by_day):
        todays = by_day[day]
        matrix.append(
            Row(
                cells=(
                    day,
                    *(sum((p.amount for p in todays if p.method == m), ZERO) for m in methods),
                    len(todays),
                    sum((p.amount for p in todays), ZERO),
                )
            )
        )
    matrix.append(
        Row(
            cells=(
                "合计",
                *(sum((p.amount for p in payments if p.method == m), ZERO) for m in methods),
                len(payments),
                total,
            ),
            style=Style.TOTAL,
        )
    )
    method_rows = tuple(
        Row(
            cells=(
                METHOD_LABEL.get(m, m),
                sum(1 for p in payments if p.method == m),
                sum((p.amount for p in payments if p.method == m), ZERO),
            )
        )
        for m in methods
    )
    method_rows += (Row(cells=("合计", len(payments), total), style=Style.TOTAL),)
    return ReportView(
        company=company,
        title="现金收取台账",
        meta=(("起止日期", f"{first.isoformat()} 至 {last.isoformat()}"), ("金额单位", "元")),
        generated_at=generated_at,
        figures=(
            KeyFigure(label="收款笔数", value=len(payments), kind=Kind.INT),
            KeyFigure(label="收款合计", value=total),
            *(
                KeyFigure(
                    label=METHOD_LABEL.get(m, m),
                    value=sum((p.amount for p in payments if p.method == m), ZERO),
                )
                for m in methods
            ),
        ),
        tables=(
            TableView(
                title="收款明细",
                sheet="明细",
                columns=(
                    Column(title="日期", kind=Kind.DATE, width=10),
                    Column(title="单号 / 代扣批次", width=18),
                    Column(title="楼栋", width=6),
                    Column(title="房号", width=9),
                    Column(title="交款人", width=10),
                    Column(title="方式", width=8),
                    Column(title="金额", kind=Kind.MONEY, width=11),
                    Column(title="累计", kind=Kind.MONEY, width=12),
                ),
                rows=tuple(rows),
            ),
            TableView(
                title="按日、按方式汇总",
                sheet="按日汇总",
                columns=(
                    Column(title="日期", kind=Kind.DATE, width=10),
                    *(
                        Column(title=METHOD_LABEL.get(m, m), kind=Kind.MONEY, width=11, blank_zero=True)
                        for m in methods
                    ),
                    Column(title="笔数", kind=Kind.INT, width=6),
                    Column(title="合计", kind=Kind.MONEY, width=12),
                ),
                rows=tuple(matrix),
            ),
            TableView(
                title="按方式汇总",
                sheet="按方式汇总",
                columns=(
                    Column(title="方式", width=10),
                    Column(title="笔数", kind=Kind.INT, width=8),
                    Column(title="金额", kind=Kind.MONEY, width=12),
                ),
                rows=method_rows,
            ),
        ),
        notes=("柜台收款列单号；银行代扣列回盘的代扣批次，日期为银行扣款日。",),
    )


# --- deposit slip -----------------------------------------------------------------------------------


def deposit_slip(ctx: Context, day: date, generated_at: datetime) -> StepResult:
    result = StepResult()
    with ctx.engine.connect() as conn:
        receipts = day_receipts(conn, day)
    if not receipts.groups:
        result.problems.append(Problem.warning("NO_RECEIPTS", day=day))
    counter = tuple(
        SlipLine(
            label=f"柜台收款 · {METHOD_LABEL.get(g.method, g.method)}",
            detail="物业费、水电费",
            count=g.count,
            amount=g.total,
        )
        for g in receipts.counter
    )
    debits = tuple(
        SlipLine(
            label="银行代扣",
            detail=f"批次 {g.batch_no}"
            + (f"（{g.bank}）" if g.bank else "")
            + f"，成功 {g.count} 笔"
            + (f"，失败 {g.failed} 笔（未计入）" if g.failed else ""),
            count=g.count,
            amount=g.total,
        )
        for g in receipts.debits
    )
    view = DepositSlipView(
        company=company_view(ctx.settings),
        day=day,
        counter=counter,
        debits=debits,
        count=receipts.count,
        total=receipts.total,
        generated_at=generated_at,
    )
    path = render_deposit_slip(view, reports_dir(ctx) / f"deposit-slip-{day.isoformat()}.pdf")
    result.files.append(path)
    en = ctx.lang.startswith("en")
    result.say(str(path))
    result.say(
        f"{day}: {receipts.count} {'receipts' if en else '笔'}, {'total' if en else '合计'} "
        f"{format_money(receipts.total)}"
    )
    return result
