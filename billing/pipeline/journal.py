"""`billing export journal P --format csv|kingdee|yonyou|beancount -o FILE`: double entry for finance.

Which movements belong to the journal of period P — the rule:

- **the bills of P**, on their issue date (the `--as-of` of `billing run P`): one voucher,
  receivable (应收账款) debited with everything billed, each income account credited with
  its fee items (water, electricity, shared water, shared electricity, management), late fees
  and adjustments to their own accounts (`[accounts]` of settings.toml); an item whose net is
  negative (a credit adjustment) is debited instead;
- **every payment dated in the calendar month of that issue date** (the accounting month
  the journal is booked in), whichever bills it pays: one voucher per day and counter method
  (cash → cash account, transfer and POS → bank) and per direct-debit batch returned that day
  (→ bank), each against receivable.

With one bill run a month, every payment is in exactly one journal, and the journal's
receivable movement (debits − credits on 应收账款) equals P's billed total minus the
payments of that month. A payment dated in a month without a bill run is in no journal:
issue every month. The vouchers are numbered 1, 2, … in date order (凭证字 记).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection

from billing.config import AccountSettings, Settings
from billing.domain.bill import Item
from billing.domain.money import ZERO, format_money
from billing.domain.period import Period
from billing.domain.problem import Problem
from billing.export.journal import FORMATS, Account, Entry, Journal, Voucher
from billing.pipeline.context import Context, StepResult
from billing.pipeline.queries import ReceiptGroup, period_billing, receipts_by_day

WORD = "记"
METHOD_LABEL = {"cash": "现金", "transfer": "转账", "pos": "刷卡", "debit": "银行代扣"}

# settings key → (科目名称, Beancount account)
ACCOUNT_NAMES: dict[str, tuple[str, str]] = {
    "cash": ("库存现金", "Assets:Cash"),
    "bank": ("银行存款", "Assets:Bank"),
    "receivable": ("应收账款", "Assets:Receivable"),
    "income_water": ("主营业务收入-水费", "Income:Water"),
    "income_electricity": ("主营业务收入-电费", "Income:Electricity"),
    "income_shared_water": ("主营业务收入-公摊水费", "Income:SharedWater"),
    "income_shared_electricity": ("主营业务收入-公摊电费", "Income:SharedElectricity"),
    "income_management": ("主营业务收入-物业管理费", "Income:Management"),
    "income_late_fee": ("营业外收入-滞纳金", "Income:LateFee"),
    "income_adjustment": ("主营业务收入-调整", "Income:Adjustment"),
}
ITEM_ACCOUNT = {
    Item.WATER: "income_water",
    Item.ELECTRICITY: "income_electricity",
    Item.SHARED_WATER: "income_shared_water",
    Item.SHARED_ELECTRICITY: "income_shared_electricity",
    Item.MANAGEMENT: "income_management",
    Item.LATE_FEE: "income_late_fee",
    Item.ADJUSTMENT: "income_adjustment",
}
ITEM_LABEL = {
    Item.WATER: "水费",
    Item.ELECTRICITY: "电费",
    Item.SHARED_WATER: "公摊水费",
    Item.SHARED_ELECTRICITY: "公摊电费",
    Item.MANAGEMENT: "物业管理费",
    Item.LATE_FEE: "滞纳金",
    Item.ADJUSTMENT: "调整",
}


def chart_of_accounts(accounts: AccountSettings) -> dict[str, Account]:
    codes = accounts.model_dump()
    return {
        key: Account(code=str(codes[key]), name=name, ledger_name=ledger)
        for key, (name, ledger) in ACCOUNT_NAMES.items()
    }


def _entry(account: Account, amount: Decimal) -> Entry:
    """A debit for a positive amount, a credit for a negative one."""
    return Entry(account=account, debit=amount) if amount > 0 else Entry(account=account, credit=-amount)


def issue_entries(chart: dict[str, Account], by_item: Sequence[tuple[Item, Decimal]]) -> list[Entry]:
    """Receivable against income per fee item: the receivable debited with the total billed,
    each item's account credited with its amount (debited when the amount is negative)."""
    total = sum((a for _, a in by_item), ZERO)
    entries = [_entry(chart["receivable"], total)] if total else []
    entries.extend(_entry(chart[ITEM_ACCOUNT[item]], -amount) for item, amount in by_item if amount)
    return entries


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalFigures:
    """What the journal of a period was built from, for the summary and the reconciliation."""

    journal: Journal
    billed: Decimal
    paid: Decimal
    receivable_movement: Decimal


def build_journal(conn: Connection, settings: Settings, period: Period) -> JournalFigures | None:
    """The vouchers of period P (see the module's rule); None when P has not been issued."""
    billing = period_billing(conn, period)
    if billing is None:
        return None
    month = Period.of(billing.issue_date)
    receipts = receipts_by_day(conn, month.first_day, month.last_day)
    chart = chart_of_accounts(settings.accounts)
    receivable = chart["receivable"]
    drafts: list[tuple[date, str, list[Entry]]] = []
    issued = issue_entries(chart, billing.by_item)
    if len(issued) > 1:
        drafts.append(
            (
                billing.issue_date,
                f"{period} 账单出账 {billing.bills} 户："
                + "、".join(ITEM_LABEL[i] for i, a in billing.by_item if a),
                issued,
            )
        )
    drafts.extend(_receipt_drafts(receipts, chart))
    drafts.sort(key=lambda d: d[0])
    vouchers = tuple(
        Voucher(word=WORD, number=n, day=day, summary=summary, entries=tuple(entries))
        for n, (day, summary, entries) in enumerate(drafts, start=1)
    )
    journal = Journal(
        company=settings.company,
        title=f"{period} 账期凭证（{month} 记账）",
        first_day=month.first_day,
        accounts=tuple(chart.values()),
        vouchers=vouchers,
    )
    movement = sum((e.debit - e.credit for v in vouchers for e in v.entries if e.account == receivable), ZERO)
    return JournalFigures(
        journal=journal,
        billed=billing.total,
        paid=sum((g.total for counter, debits in receipts.values() for g in (*counter, *debits)), ZERO),
        receivable_movement=movement,
    )


def _receipt_drafts(
    receipts: Mapping[date, tuple[Sequence[ReceiptGroup], Sequence[ReceiptGroup]]], chart: dict[str, Account]
) -> list[tuple[date, str, list[Entry]]]:
    out: list[tuple[date, str, list[Entry]]] = []
    for day in sorted(receipts):
        counter, debits = receipts[day]
        for g in counter:
            account = chart["cash"] if g.method == "cash" else chart["bank"]
            summary = f"收物业费、水电费 {METHOD_LABEL.get(g.method, g.method)} {g.count} 笔"
            out.append(
                (
                    day,
                    summary,
                    [
                        Entry(account=account, debit=g.total),
                        Entry(account=chart["receivable"], credit=g.total),
                    ],
                )
            )
        for g in debits:
            summary = f"银行代扣回盘 {g.batch_no} 成功 {g.count} 笔"
            out.append(
                (
                    day,
                    summary,
                    [
                        Entry(account=chart["bank"], debit=g.total),
                        Entry(account=chart["receivable"], credit=g.total),
                    ],
                )
            )
    return out


def export_journal(ctx: Context, period: Period, fmt: str, path: Path) -> StepResult:
    result = StepResult()
    writer = FORMATS.get(fmt)
    if writer is None:
        result.problems.append(
            Problem.error("BAD_CHOICE", column="--format", value=fmt, expected="/".join(FORMATS))
        )
        result.refused = True
        return result
    with ctx.engine.connect() as conn:
        figures = build_journal(conn, ctx.settings, period)
    if figures is None:
        result.problems.append(Problem.error("PERIOD_NOT_ISSUED", period=period))
        result.refused = True
        return result
    journal = figures.journal
    result.files.append(writer(journal, path))
    en = ctx.lang.startswith("en")
    result.say(str(path))
    result.say(
        f"{period}: {len(journal.vouchers)} {'vouchers' if en else '张凭证'}, "
        f"{'debit' if en else '借方'} {format_money(journal.debit)} = {'credit' if en else '贷方'} "
        f"{format_money(journal.credit)}"
    )
    result.say(
        f"{'receivable' if en else '应收账款'}: {'billed' if en else '出账'} {format_money(figures.billed)} − "
        f"{'received' if en else '收款'} {format_money(figures.paid)} = {format_money(figures.receivable_movement)}"
    )
    return result
