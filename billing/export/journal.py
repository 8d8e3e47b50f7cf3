"""The journal for finance as a file: generic CSV, Kingdee (金蝶), Yonyou (用友) or Beancount.

Takes finished vouchers (`Journal`) and writes them; touches files only. A `Voucher` refuses
to exist unless every entry has exactly one side and its debits equal its credits, so no
file can hold an unbalanced voucher.

Formats (`FORMATS`):

- `csv`: `date,voucher,line,summary,account,account_name,debit,credit`, UTF-8, two decimals.
- `kingdee`: the voucher import sheet of Kingdee KIS/K3 (凭证引入): one row per entry with the
  voucher's date, period, 凭证字, 凭证号 and the entry's 摘要, 科目代码, 科目名称, 借方金额,
  贷方金额, currency and rate. `.xlsx` name: a workbook; any other: CSV in UTF-8 with BOM
  (what Excel and Kingdee's import open without garbling the Chinese).
- `yonyou`: Yonyou U8's 总账工具 凭证引入 text file: one line per entry, no header, fields
  制单日期, 凭证类别字, 凭证号, 附单据数, 摘要, 科目编码, 借方金额, 贷方金额 separated by `,`,
  GBK, CRLF (the optional fields after them are left out, as the tool allows). An `.xlsx`
  name gives the Excel template of the newer Yonyou products instead (日期, 凭证字, 凭证号,
  附单据数, 摘要, 科目代码, 借方金额, 贷方金额, 制单人).
- `beancount`: a ledger `bean-check` accepts: options, an `open` directive (with the account's
  code and name as metadata) for every account on the first day of the journal's month, one
  transaction per voucher with its number as metadata, postings in CNY (debits positive).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from billing.domain.money import ZERO, format_money

CURRENCY = "CNY"


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    code: str  # 科目代码, from settings [accounts]
    name: str  # 科目名称
    ledger_name: str  # the Beancount account, e.g. Assets:Receivable


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.debit < 0 or self.credit < 0 or (self.debit == 0) == (self.credit == 0):
            raise ValueError(
                f"an entry has exactly one side, a positive amount: {self.debit} / {self.credit}"
            )
        for amount in (self.debit, self.credit):
            if amount != amount.quantize(Decimal("0.01")):
                raise ValueError(f"{amount} is not a whole number of fen")


@dataclass(frozen=True, slots=True, kw_only=True)
class Voucher:
    word: str  # 凭证字, e.g. 记
    number: int  # 凭证号
    day: date
    summary: str  # 摘要
    entries: tuple[Entry, ...]
    attachments: int = 0  # 附单据数

    def __post_init__(self) -> None:
        if len(self.entries) < 2:
            raise ValueError(f"voucher {self.word}-{self.number} needs at least two entries")
        if self.debit != self.credit:
            raise ValueError(
                f"voucher {self.word}-{self.number} does not balance: {self.debit} / {self.credit}"
            )

    @property
    def debit(self) -> Decimal:
        return sum((e.debit for e in self.entries), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((e.credit for e in self.entries), ZERO)

    @property
    def label(self) -> str:
        return f"{self.word}-{self.number:04d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Journal:
    company: str
    title: str  # e.g. 2026-10 账期凭证
    first_day: date  # the accounts are opened on this day (Beancount)
    accounts: tuple[Account, ...]
    vouchers: tuple[Voucher, ...]
    preparer: str = ""

    @property
    def debit(self) -> Decimal:
        return sum((v.debit for v in self.vouchers), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((v.credit for v in self.vouchers), ZERO)


def _replace(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _csv_bytes(
    header: Sequence[str] | None, rows: Sequence[Sequence[object]], encoding: str, newline: str
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], journal: Journal) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    book = xlsxwriter.Workbook(str(tmp))
    book.set_properties(
        {
            "title": journal.title,
            "company": journal.company,
            "created": datetime(journal.first_day.year, journal.first_day.month, 1),
        }
    )
    sheet = book.add_worksheet("凭证")
    bold = book.add_format({"bold": True})
    amount = book.add_format({"num_format": "0.00"})
    sheet.write_row(0, 0, list(header), bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, Decimal):
                sheet.write_number(r, c, float(value), amount)  # float-ok: display cell only
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    sheet.set_column(0, len(header) - 1, 12)
    book.close()
    os.replace(tmp, path)
    return path


# --- csv --------------------------------------------------------------------------------------------

CSV_HEADER = ("date", "voucher", "line", "summary", "account", "account_name", "debit", "credit")


def write_csv(journal: Journal, path: Path) -> Path:
    rows = [
        (
            v.day.isoformat(),
            v.label,
            n,
            v.summary,
            e.account.code,
            e.account.name,
            format_money(e.debit),
            format_money(e.credit),
        )
        for v in journal.vouchers
        for n, e in enumerate(v.entries, start=1)
    ]
    return _replace(path, _csv_bytes(CSV_HEADER, rows, "utf-8", "\n"))


# --- Kingdee ----------------------------------------------------------------------------------------

KINGDEE_HEADER = (
    "日期",
    "会计期间",
    "凭证字",
    "凭证号",
    "附件数",
    "分录号",
    "摘要",
    "科目代码",
    "科目名称",
    "借方金额",
    "贷方金额",
    "币别",
    "汇率",
    "原币金额",
    "制单人",
)


def kingdee_rows(journal: Journal) -> list[tuple[object, ...]]:
    return [
        (
            v.day.isoformat(),
            v.day.month,
            v.word,
            v.number,
            v.attachments,
            n,
            v.summary,
            e.account.code,
            e.account.name,
            e.debit,
            e.credit,
            "RMB",
            1,
            e.debit or e.credit,
            journal.preparer,
        )
        for v in journal.vouchers
        for n, e in enumerate(v.entries, start=1)
    ]


def write_kingdee(journal: Journal, path: Path) -> Path:
    rows = kingdee_rows(journal)
    if path.suffix.lower() == ".xlsx":
        return _xlsx(path, KINGDEE_HEADER, rows, journal)
    text = [tuple(format_money(c) if isinstance(c, Decimal) else c for c in row) for row in rows]
    return _replace(path, _csv_bytes(KINGDEE_HEADER, text, "utf-8-sig", "\r\n"))


# --- Yonyou -----------------------------------------------------------------------------------------

YONYOU_XLSX_HEADER = (
    "日期",
    "凭证字",
    "凭证号",
    "附单据数",
    "摘要",
    "科目代码",
    "借方金额",
    "贷方金额",
    "制单人",
)


def yonyou_rows(journal: Journal) -> list[tuple[object, ...]]:
    """制单日期, 凭证类别字, 凭证号, 附单据数, 摘要 (≤ 60), 科目编码, 借方金额, 贷方金额."""
    return [
        (
            v.day.isoformat(),
            v.word,
            v.number,
            v.attachments,
            v.summary[:60],
            e.account.code,
            e.debit,
            e.credit,
        )
        for v in journal.vouchers
        for e in v.entries
    ]


def write_yonyou(journal: Journal, path: Path) -> Path:
    rows = yonyou_rows(journal)
    if path.suffix.lower() == ".xlsx":
        return _xlsx(path, YONYOU_XLSX_HEADER, [(*row, journal.preparer) for row in rows], journal)
    text = [tuple(format_money(c) if isinstance(c, Decimal) else c for c in row) for row in rows]
    return _replace(path, _csv_bytes(None, text, "gbk", "\r\n"))


# --- Beancount --------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_text(journal: Journal) -> str:
    lines = [
        f"; {journal.company} — {journal.title} (estate-billing)",
        f'option "title" {_quote(journal.company + " " + journal.title)}',
        f'option "operating_currency" "{CURRENCY}"',
        "",
    ]
    for a in sorted(journal.accounts, key=lambda a: a.ledger_name):
        lines += [
            f"{journal.first_day.isoformat()} open {a.ledger_name} {CURRENCY}",
            f"  code: {_quote(a.code)}",
            f"  name: {_quote(a.name)}",
        ]
    lines.append("")
    width = max((len(e.account.ledger_name) for v in journal.vouchers for e in v.entries), default=20) + 4
    for v in journal.vouchers:
        lines += [
            f"{v.day.isoformat()} * {_quote(journal.company)} {_quote(v.summary)}",
            f"  voucher: {_quote(v.label)}",
        ]
        for e in v.entries:
            amount = e.debit if e.debit else -e.credit
            lines.append(f"  {e.account.ledger_name:<{width}}{format_money(amount):>14} {CURRENCY}")
        lines.append("")
    return "\n".join(lines)


def write_beancount(journal: Journal, path: Path) -> Path:
    return _replace(path, beancount_text(journal).encode("utf-8"))


FORMATS: dict[str, Callable[[Journal, Path], Path]] = {
    "csv": write_csv,
    "kingdee": write_kingdee,
    "yonyou": write_yonyou,
    "beancount": write_beancount,
}
