"""Bank return files (回盘): every row checked, every problem reported with its file and line.

`read_return` never raises on a bad file: a missing, empty, undecodable or malformed file gives
problems. Rows that cannot be read are left out of `rows` (their problems say why); the
pipeline refuses a file with any error (CONTRACT §2).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from billing.banks import delimited, fixed, xlsx
from billing.banks.layout import AMOUNTS, AmountUnit, Field, Kind, Layout, Quoting, Record, ReturnLayout
from billing.banks.text import bulk, decode_detected, read_codec
from billing.domain.money import FEN
from billing.domain.problem import Problem

# a blank record value is fine for these; the others are required
_OPTIONAL = frozenset({"reason", "ignore", "account_name", "unit_id", "seq"})
_CJK = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnRow:
    line: int
    reference: str
    account: str  # "" when the layout has no account field
    amount: Decimal  # yuan, 2 decimals
    success: bool
    reason_code: str | None  # one of layout.REASONS, None on success or when the text is not known
    reason_text: str | None  # the bank's own words (and code), as written
    date: date


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnSummary:
    """What the header/summary/trailer records of the file say (None: not in the layout)."""

    line: int
    count: int | None = None
    total: Decimal | None = None
    success_count: int | None = None
    success_total: Decimal | None = None
    failed_count: int | None = None
    failed_total: Decimal | None = None
    date: date | None = None
    batch_no: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnFile:
    file: str
    layout: str
    encoding: str
    rows: tuple[ReturnRow, ...]
    summary: ReturnSummary | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def read_return(layout: Layout, path: Path) -> ReturnFile:
    """Read and check a return file in the layout's return format."""
    with bulk():
        return _Reader(layout, path).read()


Values = list[str]


class _Reader:
    def __init__(self, layout: Layout, path: Path) -> None:
        self.layout = layout
        self.rl: ReturnLayout = layout.returns
        self.path = path
        self.file = str(path)
        self.problems: list[Problem] = []
        self.encoding = self.rl.file.encoding
        self._dates: dict[str, date | None] = {}

    def done(self, rows: Sequence[ReturnRow] = (), summary: ReturnSummary | None = None) -> ReturnFile:
        return ReturnFile(
            file=self.file,
            layout=self.layout.name,
            encoding=self.encoding,
            rows=tuple(rows),
            summary=summary,
            problems=tuple(self.problems),
        )

    def error(self, code: str, line: int | None = None, **params: object) -> None:
        values = tuple((k, str(v)) for k, v in params.items())
        self.problems.append(Problem(code=code, params=values, file=self.file, line=line))

    # --- the file into records --------------------------------------------------------------------

    def read(self) -> ReturnFile:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            self.error("FILE_NOT_FOUND")
            return self.done()
        except OSError as exc:
            self.error("FILE_UNREADABLE", reason=exc.strerror or type(exc).__name__)
            return self.done()
        if not data.strip():
            self.error("FILE_EMPTY")
            return self.done()
        ff = self.rl.file
        records: list[tuple[int, object]]
        split: SplitFor
        if ff.kind is Kind.FIXED:
            records = list(fixed.lines(data))

            def split(fields: Sequence[Field]) -> Split:
                return fixed.splitter(fields, ff)  # type: ignore[return-value]

        elif ff.kind is Kind.XLSX:
            try:
                records = list(xlsx.records(self.path, ff))
            except ValueError as exc:
                self.error("NOT_XLSX", reason=str(exc))
                return self.done()
            split = _cells_splitter
        else:
            text = self._decode(data)
            if text is None:
                self.error("BAD_ENCODING")
                return self.done()
            records = list(delimited.records(text, ff))
            split = _list_splitter if ff.quoting is Quoting.CSV else _text_splitter(ff.delimiter)
        return self._records(records, split)

    def _decode(self, data: bytes) -> str | None:
        if self.rl.file.encoding == "auto":
            found = decode_detected(data)
            if found is None:
                return None
            text, self.encoding = found
            return text
        try:
            return data.decode(read_codec(self.rl.file.encoding))
        except UnicodeDecodeError:
            return None

    def _records(self, records: list[tuple[int, object]], split: SplitFor) -> ReturnFile:
        rl = self.rl
        first, last = rl.records_first, rl.records_last
        summary_values: dict[str, tuple[object, int]] = {}
        head, tail = records[: len(first)], records[len(records) - len(last) :] if last else []
        if len(records) < len(first) + len(last):
            self.error("NO_ROWS")
            return self.done()
        for record, (line, raw) in (*zip(first, head, strict=True), *zip(last, tail, strict=True)):
            self._record(record, line, split(record.fields)(raw), summary_values)
        details = records[len(first) : len(records) - len(last)]
        fields = rl.fields
        if rl.file.column_names:
            if not details:
                self.error("NO_ROWS")
                return self.done(summary=self._summary(summary_values))
            line, raw = details[0]
            names = split(())(raw)
            assert isinstance(names, list)
            picker = self._columns(line, names)
            if picker is None:
                return self.done(summary=self._summary(summary_values))
            details = details[1:]
            split = _picking_splitter(split, picker)

        if not details:
            self.error("NO_ROWS")
        rows = self._details(details, fields, split, summary_values)
        summary = self._summary(summary_values)
        self._reconcile(summary_values, rows, len(details))
        return self.done(rows, summary)

    def _columns(self, line: int, names: list[str]) -> list[int | None] | None:
        """Where each field's column is in the file, from its header row (order free)."""
        where: dict[str, int] = {}
        for j, n in enumerate(names):
            key = n.strip().lstrip("\ufeff").casefold()
            if key in where:
                self.error("DUPLICATE_COLUMN", line, column=n.strip())
            where.setdefault(key, j)
        picker: list[int | None] = []
        ok = True
        for f in self.rl.fields:
            found = [where[k] for k in (f.name.casefold(), *(a.casefold() for a in f.aliases)) if k in where]
            if len(set(found)) > 1:
                self.error("DUPLICATE_COLUMN", line, column=f.name)
                ok = False
            if not found and f.source not in _OPTIONAL:
                self.error("MISSING_COLUMN", line, column=f.name)
                ok = False
            picker.append(found[0] if found else None)
        return picker if ok else None

    # --- records ------------------------------------------------------------------------------------

    def _record(
        self, record: Record, line: int, values: Values | str, into: dict[str, tuple[object, int]]
    ) -> None:
        if isinstance(values, str):
            self._bad_record(line, values)
            return
        for f, text in zip(record.fields, values, strict=True):
            if f.source == "ignore":
                continue
            if not text.strip():
                self.error("MISSING_VALUE", line, column=f.name)
                continue
            value: object
            if f.source in AMOUNTS:
                value = self._amount(f, text, line, allow_zero=True)
            elif f.source.endswith("count"):
                value = _int(text)
                if value is None:
                    self.error("NOT_AN_INTEGER", line, column=f.name, value=text.strip())
            elif f.source == "date":
                value = self._date(f, text, line)
            else:
                value = text.strip()
            if value is not None:
                into[f.source] = (value, line)

    def _bad_record(self, line: int, why: str) -> None:
        if why == "encoding":
            self.error("BAD_ENCODING", line)
        else:
            self.error("BAD_RECORD", line, reason=why)

    def _summary(self, values: dict[str, tuple[object, int]]) -> ReturnSummary | None:
        if not values:
            return None
        line = min(line for _, line in values.values())
        kw = {k: v for k, (v, _) in values.items()}
        return ReturnSummary(line=line, **kw)  # type: ignore[arg-type]

    def _reconcile(self, values: dict[str, tuple[object, int]], rows: list[ReturnRow], details: int) -> None:
        complete = len(rows) == details
        ok_rows = [r for r in rows if r.success]
        bad_rows = [r for r in rows if not r.success]
        computed: dict[str, object] = {"count": details}
        if complete:
            computed |= {
                "total": _sum(rows),
                "success_count": len(ok_rows),
                "success_total": _sum(ok_rows),
                "failed_count": len(bad_rows),
                "failed_total": _sum(bad_rows),
            }
        for key, expected in computed.items():
            if key in values:
                said, line = values[key]
                if said != expected:
                    self.error("TOTAL_MISMATCH", line, field=key, value=said, computed=expected)

    # --- details ------------------------------------------------------------------------------------

    def _details(
        self,
        details: list[tuple[int, object]],
        fields: tuple[Field, ...],
        split: SplitFor,
        summary: dict[str, tuple[object, int]],
    ) -> list[ReturnRow]:
        rl = self.rl
        idx = {f.source: i for i, f in enumerate(fields)}
        i_ref, i_amt, i_status = idx["reference"], idx["amount"], idx["status"]
        i_acct, i_date = idx.get("account"), idx.get("date")
        f_ref, f_amt, f_status = fields[i_ref], fields[i_amt], fields[i_status]
        f_date = fields[i_date] if i_date is not None else None
        reason_at = [i for i, f in enumerate(fields) if f.source == "reason"]
        pattern = re.compile(f_ref.pattern) if f_ref.pattern else None
        success, failed, other_failed = rl.success, rl.failed, rl.other_failed
        expected_status = " / ".join(sorted(success | failed)) + (" / …" if other_failed else "")
        file_date = summary.get("date", (None, 0))[0]
        assert file_date is None or isinstance(file_date, date)
        amount = self._amount_parser(f_amt)
        reasons = self._reason_lookup()
        seen: dict[str, int] = {}
        rows: list[ReturnRow] = []
        error = self.error
        split_one = split(fields)
        for line, raw in details:
            values = split_one(raw)
            if isinstance(values, str):
                self._bad_record(line, values)
                continue
            good = True
            ref = values[i_ref].strip()
            if ref and pattern is not None:
                m = pattern.search(ref)
                ref = (m.group(1) or "").strip() if m else ""
            if not ref:
                error("MISSING_VALUE", line, column=f_ref.name)
                good = False
            elif ref in seen:
                error("DUPLICATE_RETURN", line, reference=ref)
                good = False
            else:
                seen[ref] = line
            amt = amount(values[i_amt], line)
            if amt is None:
                good = False
            status = values[i_status].strip().casefold()
            if status in success:
                ok = True
            elif status in failed or (other_failed and status):
                ok = False
            else:
                if status:
                    error(
                        "BAD_CHOICE",
                        line,
                        column=f_status.name,
                        value=values[i_status].strip(),
                        expected=expected_status,
                    )
                else:
                    error("MISSING_VALUE", line, column=f_status.name)
                good = False
                ok = False
            if f_date is not None:
                assert i_date is not None
                day = self._date(f_date, values[i_date], line)
                if day is None:
                    good = False
            else:
                day = file_date
            if not good or day is None or amt is None:
                continue
            code = text = None
            if not ok:
                texts = [values[i].strip() for i in reason_at if values[i].strip()]
                if other_failed and status not in failed:
                    texts.insert(0, values[i_status].strip())
                if texts:
                    text = " ".join(texts)
                    code = next((c for c in map(reasons, texts) if c is not None), None)
            rows.append(
                ReturnRow(
                    line=line,
                    reference=ref,
                    account=values[i_acct].strip() if i_acct is not None else "",
                    amount=amt,
                    success=ok,
                    reason_code=code,
                    reason_text=text,
                    date=day,
                )
            )
        return rows

    def _amount_parser(self, f: Field) -> Callable[[str, int], Decimal | None]:
        def parse(text: str, line: int) -> Decimal | None:
            return self._amount(f, text, line, allow_zero=False)

        return parse

    def _amount(self, f: Field, text: str, line: int, *, allow_zero: bool) -> Decimal | None:
        s = text.strip()
        if not s:
            self.error("MISSING_VALUE", line, column=f.name)
            return None
        try:
            value = Decimal(s.replace(",", "")) if "," in s else Decimal(s)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.error("NOT_A_NUMBER", line, column=f.name, value=s)
            return None
        if f.unit is AmountUnit.FEN:
            if value != value.to_integral_value():
                self.error("NOT_AN_INTEGER", line, column=f.name, value=s)
                return None
            value = value.scaleb(-2)
        fen = value.quantize(FEN)
        if fen != value or value < 0 or (value == 0 and not allow_zero):
            self.error("OUT_OF_RANGE", line, column=f.name, value=s, expected="> 0, in whole fen")
            return None
        return fen

    def _date(self, f: Field, text: str, line: int) -> date | None:
        s = text.strip()
        if s in self._dates:
            day = self._dates[s]
        else:
            day = _parse_date(s, f.date_format)
            self._dates[s] = day
        if day is None:
            if s:
                self.error(
                    "BAD_DATE_FORMAT", line, column=f.name, value=s, format=_show_format(f.date_format)
                )
            else:
                self.error("MISSING_VALUE", line, column=f.name)
        return day

    def _reason_lookup(self) -> Callable[[str], str | None]:
        """Our reason code for a bank's text: exact (case-folded), else the longest Chinese key inside it."""
        table = self.rl.reasons
        inside = sorted((k for k in table if _CJK.search(k) and len(k) >= 2), key=len, reverse=True)
        cache: dict[str, str | None] = {}

        def lookup(text: str) -> str | None:
            if text not in cache:
                key = text.casefold()
                code = table.get(key)
                if code is None:
                    code = next((table[k] for k in inside if k in key), None)
                cache[text] = code
            return cache[text]

        return lookup


Split = Callable[[object], "Values | str"]  # a raw record -> its values, or why it cannot be read
SplitFor = Callable[[Sequence[Field]], Split]  # the splitter for a record of these fields


def _fit_count(values: list[str], n: int) -> Values | str:
    if len(values) == n or not n:
        return values
    if len(values) == n + 1 and not values[-1].strip():  # a trailing delimiter
        return values[:n]
    return f"{len(values)} fields, expected {n}"


def _list_splitter(fields: Sequence[Field]) -> Split:
    n = len(fields)

    def split(raw: object) -> Values | str:
        assert isinstance(raw, list)
        return _fit_count(raw, n)

    return split


def _cells_splitter(fields: Sequence[Field]) -> Split:
    """A spreadsheet row: its empty cells at the end are not there, so a short row is padded."""
    n = len(fields)

    def split(raw: object) -> Values | str:
        assert isinstance(raw, list)
        return _fit_count(raw + [""] * (n - len(raw)), n) if len(raw) < n else _fit_count(raw, n)

    return split


def _text_splitter(delimiter: str) -> SplitFor:
    def split_for(fields: Sequence[Field]) -> Split:
        n = len(fields)

        def split(raw: object) -> Values | str:
            values = raw.split(delimiter)  # type: ignore[attr-defined]
            if len(values) == n or not n:
                return values
            return _fit_count(values, n)

        return split

    return split_for


def _picking_splitter(split: SplitFor, picker: list[int | None]) -> SplitFor:
    """Values in field order from a row whose columns were named by its header row."""

    def split_for(fields: Sequence[Field]) -> Split:
        whole = split(())

        def pick(raw: object) -> Values | str:
            row = whole(raw)
            if isinstance(row, str):
                return row
            return [row[j] if j is not None and j < len(row) else "" for j in picker]

        return pick

    return split_for


def _int(text: str) -> int | None:
    s = text.strip()
    return int(s) if s.isdigit() and s.isascii() else None


def _sum(rows: Sequence[ReturnRow]) -> Decimal:
    return sum((r.amount for r in rows), Decimal("0.00"))


def _parse_date(text: str, fmt: str) -> date | None:
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        pass
    # an XLSX date cell reads as `YYYY-MM-DD 00:00:00`; an ISO date is never ambiguous
    iso = text[:10] if text.endswith(" 00:00:00") else text
    try:
        return date.fromisoformat(iso) if len(iso) == 10 else None
    except ValueError:
        return None


def _show_format(fmt: str) -> str:
    return fmt.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
