"""`billing arrears`: arrears notices per building and the arrears ledger, as of a date.

Every unit with an overdue unpaid bill at `as_of` gets a notice (欠费通知单), in floor/room
order in its building's PDF, `out/arrears/<as-of>/<building>.pdf`: each overdue bill with
its unpaid principal, its unpaid late fee already charged and the late fee accrued for it up
to as-of, the total in figures and capitals, why the last direct debit failed (if it did), a
deadline (`deadline_days` after as-of) and how to pay.

The arrears ledger (欠费台账): one row per unit and period of those units, the unpaid amount
in its age bucket (days past due: 1–30, 31–90, 91–180, over 180; a bill of such a unit not
yet due in its own column), the late fee accrued; subtotals per building and kind, totals
per kind and the grand total. The ledger's unpaid total is those units' outstanding balance
(billed − paid, as in `export balances`). It is written as

- `欠费台账.xlsx`: every row (sheet 明细) and the summary (sheet 汇总), written row by row
  as the buildings are gone through (xlsxwriter's constant-memory mode);
- `欠费台账.pdf`: the key figures, the age chart and the subtotals per building and kind,
  the totals per kind and the grand total;
- `欠费台账-<building>.pdf`: a building's rows with its subtotals, rendered with its notices.

How it scales: the estate is gone through building by building (`building_arrears` reads one
building's bills, payments and debit returns); each building's notices and ledger pages are
rendered on the executor of `billing.pipeline.executors.make_executor` (a process pool of this
machine, or a Dask cluster; or the `executor` given), at most `max_pending` buildings in
flight, so neither the estate's figures nor its documents are ever in memory at once. Notices
and ledger pages are lines of text aligned by the text grid, not tables (see
`billing.render.reports`). `manifest.csv` records which content each building's files were
made from: a rerun renders only the buildings whose files are missing or out of date. A small
estate is rendered in this process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from billing.config import Settings
from billing.domain.money import ZERO, format_money
from billing.domain.problem import Problem
from billing.domain.records import UnitKind
from billing.ledger import AgeBucket
from billing.pipeline.context import Context, StepResult
from billing.pipeline.executors import executor_workers, make_executor
from billing.pipeline.ledgers import late_fee_policy
from billing.pipeline.queries import BillStanding, UnitArrearsFigures, arrears_buildings, building_arrears
from billing.render.charts import ChartView, bar_chart
from billing.render.manifest import MANIFEST_NAME, Manifest, ManifestRow
from billing.render.reports import (
    ArrearsBuilding,
    ArrearsLine,
    ArrearsNoticeView,
    Column,
    KeyFigure,
    Kind,
    ReportView,
    ReportWorkbook,
    Row,
    Style,
    TableView,
    arrears_content_key,
    file_name,
    render_arrears_building,
    render_ledger_pdf,
)
from billing.render.views import CompanyView
from billing.store import schema as t

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


def ledger_file(building: str) -> str:
    """The file of a building's ledger pages: 欠费台账-<building>.pdf."""
    return f"{LEDGER_NAME}-{file_name(building)}.pdf"


PARALLEL_FROM = 200  # units in the estate: from this many on, buildings render in worker processes
MANIFEST_EVERY_S = 5.0  # the manifest is written at most this often while buildings complete, and at the end

Rendered = tuple[tuple[Path, str], tuple[Path, str]]  # each file of a building with its sha256


def make_arrears(
    ctx: Context,
    as_of: date,
    generated_at: datetime,
    *,
    deadline_days: int = 15,
    executor: Executor | None = None,
    max_pending: int | None = None,
) -> StepResult:
    """Notices and ledger pages per building, the ledger summary (PDF) and the ledger (XLSX),
    under out/arrears/<as-of>/; see the module's docstring.

    A building whose files were made before from the same content (`manifest.csv` in the
    folder: its key, the files' sha256) is not rendered again, so a rerun after a stop only
    renders what is missing. The others go to `executor` (default: `make_executor`, a process
    pool of this machine or the configured Dask cluster), at most `max_pending` in flight.
    """
    result = StepResult()
    out_dir = ctx.workspace.out_dir / "arrears" / as_of.isoformat()
    en = ctx.lang.startswith("en")
    company = company_view(ctx.settings)
    policy = late_fee_policy(ctx.settings)
    totals = LedgerTotals()
    book = ReportWorkbook(
        ledger_view(ctx.settings.company, as_of, generated_at, totals),
        out_dir / f"{LEDGER_NAME}.xlsx",
        constant_memory=True,
    )
    manifest = Manifest(out_dir / MANIFEST_NAME, every_s=MANIFEST_EVERY_S)
    done: dict[str, tuple[Path, Path]] = {}
    skipped = 0
    with ctx.engine.connect() as conn:
        buildings = arrears_buildings(conn, as_of)
        serial = executor is None and (
            len(buildings) < 2
            or conn.execute(select(func.count()).select_from(t.units)).scalar_one() < PARALLEL_FROM
        )

        def jobs() -> Iterator[tuple[ArrearsBuilding, str]]:
            nonlocal skipped
            for building in ctx.progress.track(buildings, total=len(buildings), description="arrears"):
                units = building_arrears(conn, building, as_of, policy)
                if not units:
                    continue
                part = building_ledger(building, units)
                book.add(0, part.summary_rows)
                book.add(1, part.rows)
                totals.add(part)
                job = ArrearsBuilding(
                    building=building,
                    notices=tuple(
                        notice_view(u, company, as_of, generated_at, deadline_days, ctx.settings)
                        for u in units
                    ),
                    notices_path=out_dir / f"{file_name(building)}.pdf",
                    ledger=building_ledger_view(part, ctx.settings.company, as_of, generated_at),
                    ledger_path=out_dir / ledger_file(building),
                )
                key = arrears_content_key(job)
                if manifest.current((job.notices_path.name, job.ledger_path.name), key):
                    done[building] = (job.notices_path, job.ledger_path)
                    skipped += 1
                    continue
                yield job, key

        def finished(job: ArrearsBuilding, key: str, files: Rendered) -> None:
            done[job.building] = (files[0][0], files[1][0])
            manifest.record(_manifest_rows(job, key, files))

        out_dir.mkdir(parents=True, exist_ok=True)
        try:
            if serial:
                for job, key in jobs():
                    finished(job, key, render_arrears_building(job))
            else:
                result.problems.extend(_render_on_pool(jobs(), finished, ctx, executor, max_pending))
        finally:
            manifest.flush()
    book.add(0, totals.summary_total_rows())
    book.add(1, totals.detail_total_rows())
    summary = ledger_view(ctx.settings.company, as_of, generated_at, totals, with_summary=True)
    for building in buildings:
        result.files.extend(done.get(building, ()))
    result.files.append(render_ledger_pdf(summary, out_dir / f"{LEDGER_NAME}.pdf"))
    result.files.append(book.close())
    if not totals.units:
        result.problems.append(Problem.warning("NOTHING_OVERDUE", as_of=as_of))
    result.say(
        f"{as_of}: {totals.units} {'units overdue' if en else '户逾期欠费'}, "
        f"{'overdue' if en else '逾期欠费'} {format_money(totals.overdue)}, "
        f"{'late fee accrued' if en else '应计滞纳金'} {format_money(totals.grand['accrued'])}"
    )
    result.messages.extend(str(f) for f in result.files)
    if skipped:
        result.say(f"{skipped} {'buildings unchanged, their files kept' if en else '栋内容未变，保留原文件'}")
    return result


def _manifest_rows(job: ArrearsBuilding, key: str, files: Rendered) -> list[ManifestRow]:
    """The manifest rows of a building's files: its units and total, each file's sha256."""
    total = sum((n.total for n in job.notices), ZERO)
    return [
        ManifestRow(
            building=job.building, file=path.name, units=len(job.notices), total=total, sha256=sha, key=key
        )
        for path, sha in files
    ]


def _render_on_pool(
    jobs: Iterator[tuple[ArrearsBuilding, str]],
    finished: Callable[[ArrearsBuilding, str, Rendered], None],
    ctx: Context,
    executor: Executor | None,
    max_pending: int | None,
) -> list[Problem]:
    """Render the buildings on `executor` (default: `make_executor(settings)`, shut down on
    return), at most `max_pending` (default 2 per worker) submitted and not yet done, so the
    coordinator never holds more than that many buildings' views. `finished` is called here as
    each building is done; a building that fails is reported as a `RENDER_FAILED` problem and
    the others go on."""
    own = None
    if executor is None:
        own = executor = make_executor(ctx.settings)
    limit = max_pending or 2 * executor_workers(executor)
    pending: dict[Future[Rendered], tuple[ArrearsBuilding, str]] = {}
    problems: list[Problem] = []

    def collect(futures: set[Future[Rendered]]) -> None:
        for future in [f for f in pending if f in futures]:  # in the order submitted
            job, key = pending.pop(future)
            try:
                files = future.result()
            except Exception as exc:  # one building's failure must not hide the others
                problems.append(Problem.error("RENDER_FAILED", building=job.building, reason=repr(exc)))
            else:
                finished(job, key, files)

    try:
        for job, key in jobs:
            while len(pending) >= limit:
                collect(wait(pending, return_when=FIRST_COMPLETED).done)
            pending[executor.submit(render_arrears_building, job)] = (job, key)
        while pending:
            collect(wait(pending, return_when=FIRST_COMPLETED).done)
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
    return problems


# --- notices ----------------------------------------------------------------------------------------


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
Sums = dict[str, Decimal]

MONEY_COLUMNS = (
    Column(title="欠费本金", kind=Kind.MONEY, width=11),
    Column(title="欠滞纳金", kind=Kind.MONEY, width=9, blank_zero=True),
    Column(title="欠费小计", kind=Kind.MONEY, width=11),
    Column(title="未到期", kind=Kind.MONEY, width=9, blank_zero=True),
    *(Column(title=BUCKET_LABEL[b], kind=Kind.MONEY, width=10, blank_zero=True) for b in AgeBucket),
    Column(title="应计滞纳金", kind=Kind.MONEY, width=9, blank_zero=True),
    Column(title="合计（含应计）", kind=Kind.MONEY, width=11),
)
DETAIL_COLUMNS = (
    Column(title="房号", width=10),
    Column(title="业主", width=10),
    Column(title="账期", width=8),
    Column(title="缴费期限", kind=Kind.DATE, width=10),
    Column(title="逾期天数", kind=Kind.INT, width=7),
    *MONEY_COLUMNS,
)
SUMMARY_COLUMNS = (
    Column(title="楼栋", width=8),
    Column(title="类型", width=9),
    Column(title="欠费户数", kind=Kind.INT, width=7),
    *MONEY_COLUMNS,
)
DETAIL_TITLE = "欠费明细（按户、账期）"
DETAIL_NOTE = (
    "账龄按缴费期限次日起算的逾期天数；欠费小计 = 欠费本金 + 已出账未缴的滞纳金；"
    "应计滞纳金为截至统计日已产生、尚未出账的滞纳金。"
)


def _amounts(b: BillStanding) -> Sums:
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


def _add(into: Sums, more: Sums) -> None:
    for k, v in more.items():
        into[k] = into.get(k, ZERO) + v


def _zero() -> Sums:
    return dict.fromkeys(_AMOUNTS, ZERO)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildingLedger:
    """One building's part of the ledger: its detail rows (a group per kind with its subtotal,
    and the building's total when it has both kinds), its summary rows, its sums per kind."""

    building: str
    rows: tuple[Row, ...]
    summary_rows: tuple[Row, ...]
    by_kind: dict[UnitKind, Sums]
    units_by_kind: dict[UnitKind, int]


def building_ledger(building: str, units: Sequence[UnitArrearsFigures]) -> BuildingLedger:
    """The ledger rows of one building's overdue units (in print order)."""
    rows: list[Row] = []
    summary: list[Row] = []
    building_sum = _zero()
    by_kind: dict[UnitKind, Sums] = {}
    counts: dict[UnitKind, int] = {}
    kinds = [k for k in UnitKind if any(u.unit.kind is k for u in units)]
    for kind in kinds:
        members = [u for u in units if u.unit.kind is kind]
        rows.append(Row(cells=(f"{building} 栋 · {KIND_LABEL[kind]}",), style=Style.GROUP))
        group = _zero()
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
        rows.append(_total_row(f"{KIND_LABEL[kind]}小计", len(members), group, Style.SUBTOTAL))
        summary.append(
            Row(cells=(f"{building} 栋", KIND_LABEL[kind], len(members), *(group[k] for k in _AMOUNTS)))
        )
        _add(building_sum, group)
        by_kind[kind], counts[kind] = group, len(members)
    if len(kinds) > 1:
        rows.append(_total_row(f"{building} 栋合计", len(units), building_sum, Style.SUBTOTAL))
        summary.append(
            Row(
                cells=(f"{building} 栋", "合计", len(units), *(building_sum[k] for k in _AMOUNTS)),
                style=Style.SUBTOTAL,
            )
        )
    return BuildingLedger(
        building=building,
        rows=tuple(rows),
        summary_rows=tuple(summary),
        by_kind=by_kind,
        units_by_kind=counts,
    )


def _total_row(label: str, units: int, sums: Sums, style: Style) -> Row:
    return Row(cells=(label, f"{units} 户", None, None, None, *(sums[k] for k in _AMOUNTS)), style=style)


@dataclass(slots=True)
class LedgerTotals:
    """The ledger's running totals as buildings are added, and every building's summary rows
    (a few per building: small even for a large estate)."""

    by_kind: dict[UnitKind, Sums] = field(default_factory=lambda: defaultdict(_zero))
    units_by_kind: dict[UnitKind, int] = field(default_factory=lambda: defaultdict(int))
    summary_rows: list[Row] = field(default_factory=list)

    def add(self, part: BuildingLedger) -> None:
        for kind, sums in part.by_kind.items():
            _add(self.by_kind[kind], sums)
            self.units_by_kind[kind] += part.units_by_kind[kind]
        self.summary_rows.extend(part.summary_rows)

    @property
    def units(self) -> int:
        return sum(self.units_by_kind.values())

    @property
    def grand(self) -> Sums:
        total = _zero()
        for sums in self.by_kind.values():
            _add(total, sums)
        return total

    @property
    def overdue(self) -> Decimal:
        grand = self.grand
        return sum((grand[str(b)] for b in AgeBucket), ZERO)

    def _kinds(self) -> list[UnitKind]:
        return [k for k in UnitKind if k in self.by_kind]

    def detail_total_rows(self) -> list[Row]:
        """After the last building: the total per kind, then the grand total."""
        rows = [
            _total_row(f"{KIND_LABEL[k]}合计", self.units_by_kind[k], self.by_kind[k], Style.SUBTOTAL)
            for k in self._kinds()
        ]
        return [*rows, _total_row("总计", self.units, self.grand, Style.TOTAL)]

    def summary_total_rows(self) -> list[Row]:
        rows = [
            Row(
                cells=(
                    "",
                    f"{KIND_LABEL[k]} 合计",
                    self.units_by_kind[k],
                    *(self.by_kind[k][a] for a in _AMOUNTS),
                ),
                style=Style.SUBTOTAL,
            )
            for k in self._kinds()
        ]
        grand = self.grand
        return [*rows, Row(cells=("总计", "", self.units, *(grand[k] for k in _AMOUNTS)), style=Style.TOTAL)]


def ledger_view(
    company: str, as_of: date, generated_at: datetime, totals: LedgerTotals, *, with_summary: bool = False
) -> ReportView:
    """The ledger as a whole: key figures, the age chart and the summary per building and kind.

    With `with_summary` (when every building has been added to `totals`), the summary table
    holds its rows: the view of 欠费台账.pdf. Without, the tables are empty and only say the
    columns: the view the workbook is opened with, whose rows are then added building by building.
    """
    grand = totals.grand
    summary_rows = (*totals.summary_rows, *totals.summary_total_rows()) if with_summary else ()
    overdue = totals.overdue
    summary = TableView(title="按楼栋、类型汇总", sheet="汇总", columns=SUMMARY_COLUMNS, rows=summary_rows)
    return ReportView(
        company=company,
        title=LEDGER_NAME,
        meta=(("截至", as_of.isoformat()), ("金额单位", "元")),
        generated_at=generated_at,
        landscape=True,
        figures=(
            KeyFigure(label="欠费户数", value=totals.units, kind=Kind.INT),
            KeyFigure(label="逾期欠费", value=overdue, alert=overdue > 0),
            KeyFigure(label="欠费合计（含未到期）", value=grand["unpaid"]),
            KeyFigure(label="应计滞纳金", value=grand["accrued"]),
            KeyFigure(label="合计（含应计滞纳金）", value=grand["total"]),
        ),
        tables=(
            summary,
            TableView(title=DETAIL_TITLE, sheet="明细", columns=DETAIL_COLUMNS, rows=(), note=DETAIL_NOTE),
        )
        if not with_summary
        else (summary,),
        charts=(_age_chart(grand),) if with_summary else (),
        notes=(
            "欠费户：截至统计日有逾期未缴账单的房号；其未到缴费期限的账单列入“未到期”。",
            "每户欠费小计合计即其账户余额（应收 − 已收），与余额导出（export balances）一致。",
            f"各户、各账期的明细见各楼栋的 {LEDGER_NAME}-<楼栋>.pdf，全部明细行见 {LEDGER_NAME}.xlsx（明细）。",
        ),
    )


def _age_chart(grand: Sums) -> ChartView:
    buckets = [grand["not_due"], *(grand[str(b)] for b in AgeBucket)]
    return bar_chart(
        "欠费账龄分布（元）",
        ["未到期", *(BUCKET_LABEL[b] for b in AgeBucket)],
        buckets,
        percent=False,
        value_labels=[f"{v:,.2f}" for v in buckets],
    )


def building_ledger_view(
    part: BuildingLedger, company: str, as_of: date, generated_at: datetime
) -> ReportView:
    """A building's ledger pages: its rows, subtotals per kind and total (欠费台账-<building>.pdf)."""
    return ReportView(
        company=company,
        title=f"{LEDGER_NAME} · {part.building} 栋",
        meta=(("楼栋", f"{part.building} 栋"), ("截至", as_of.isoformat()), ("金额单位", "元")),
        generated_at=generated_at,
        landscape=True,
        tables=(
            TableView(
                title=DETAIL_TITLE, sheet="明细", columns=DETAIL_COLUMNS, rows=part.rows, note=DETAIL_NOTE
            ),
        ),
    )
