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

# read clean files column by column (tests turn it off to check that both ways agree)
FAST = True

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
        positions: list[int | None] = list(range(len(fields)))
        split_row = split(fields)
        if rl.file.column_names:
            if not details:
                self.error("NO_ROWS")
                return self.done(summary=self._summary(summary_values))
            line, raw = details[0]
            names = split(())(raw)
            assert isinstance(names, list)
            picked = self._columns(line, names)
            if picked is None:
                return self.done(summary=self._summary(summary_values))
            details = details[1:]
            positions = picked
            width = 1 + max(p for p in picked if p is not None)
            split_row = _cells_padder(width) if isinstance(raw, list) else _padding_splitter(split(()), width)
        if not details:
            self.error("NO_ROWS")
        rows = None
        if FAST and details:
            rows = self._fast_details(details, fields, positions, summary_values)
        if rows is None:
            rows = self._details(details, fields, positions, split_row, summary_values)
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
        """What the summary says against what the rows add up to (totals only when every row was read)."""
        complete = len(rows) == details
        computed: dict[str, Callable[[], object]] = {
            "count": lambda: details,
            "total": lambda: _sum(rows),
            "success_count": lambda: sum(1 for r in rows if r.success),
            "success_total": lambda: _sum([r for r in rows if r.success]),
            "failed_count": lambda: sum(1 for r in rows if not r.success),
            "failed_total": lambda: _sum([r for r in rows if not r.success]),
        }
        for key, compute in computed.items():
            if key in values and (complete or key == "count"):
                said, line = values[key]
                expected = compute()
                if said != expected:
                    self.error("TOTAL_MISMATCH", line, field=key, value=said, computed=expected)

    # --- details ------------------------------------------------------------------------------------

    def _fast_details(
        self,
        details: list[tuple[int, object]],
        fields: tuple[Field, ...],
        positions: list[int | None],
        summary: dict[str, tuple[object, int]],
    ) -> list[ReturnRow] | None:
        """The rows of a clean file, field by field over all rows at once (C-speed list work).

        Returns None at the first sign of anything unusual (a short line, an odd amount, an
        unknown status, a bad date…): `_details` then reads row by row and says what is wrong.
        Both give the same rows for a clean file.
        """
        rl = self.rl
        at = {f.source: positions[i] for i, f in enumerate(fields)}
        p_ref, p_amt, p_status = at["reference"], at["amount"], at["status"]
        p_acct, p_date = at.get("account"), at.get("date")
        reason_at = [positions[i] for i, f in enumerate(fields) if f.source == "reason"]
        # every field but `ignore` is decoded, so that a damaged byte anywhere is found as row by row
        wanted = [p for f, p in zip(fields, positions, strict=True) if p is not None and f.source != "ignore"]
        f_amt = fields[[f.source for f in fields].index("amount")]
        f_ref = fields[[f.source for f in fields].index("reference")]
        if f_ref.pattern or rl.other_failed or p_ref is None or p_amt is None or p_status is None:
            return None
        cols = self._bulk_columns([raw for _, raw in details], fields, wanted)
        if cols is None:
            return None
        n = len(details)
        refs = cols[p_ref]
        if not all(refs) or len(set(refs)) != n:
            return None
        texts = cols[p_amt]
        in_fen = f_amt.unit is AmountUnit.FEN
        if not all(map((_FEN if in_fen else _YUAN).fullmatch, texts)):
            return None
        amounts = list(map(Decimal, texts))
        if in_fen:
            amounts = [a.scaleb(-2) for a in amounts]
        if not all(amounts):
            return None
        status_of = {v: True for v in rl.success} | {v: False for v in rl.failed}
        oks = list(map(status_of.get, cols[p_status]))
        if None in oks:
            oks = [status_of.get(v.casefold()) for v in cols[p_status]]
            if None in oks:
                return None
        days: Sequence[date]
        if p_date is not None:
            f_date = fields[[f.source for f in fields].index("date")]
            found = {v: _parse_date(v, f_date.date_format) for v in set(cols[p_date])}
            if None in found.values():
                return None
            days = [found[v] for v in cols[p_date]]  # type: ignore[misc]
        else:
            file_date = summary.get("date", (None, 0))[0]
            if not isinstance(file_date, date):
                return None
            days = [file_date] * n
        accounts = cols[p_acct] if p_acct is not None else [""] * n
        codes: list[str | None] = [None] * n
        reason_texts: list[str | None] = [None] * n
        reasons = self._reason_lookup()
        reason_cols = [cols[p] for p in reason_at if p is not None]
        for i in [i for i, ok in enumerate(oks) if not ok]:
            said = [c[i] for c in reason_cols if c[i]]
            if said:
                reason_texts[i] = " ".join(said)
                codes[i] = next((c for c in map(reasons, said) if c is not None), None)
        lines = [line for line, _ in details]
        return list(map(_row_maker(), lines, refs, accounts, amounts, oks, codes, reason_texts, days))

    def _bulk_columns(
        self, raws: list[object], fields: tuple[Field, ...], wanted: list[int]
    ) -> dict[int, list[str]] | None:
        ff = self.rl.file
        if ff.kind is Kind.FIXED:
            return fixed.columns(raws, fields, ff, wanted)  # type: ignore[arg-type]
        rows = [r.split(ff.delimiter) for r in raws] if isinstance(raws[0], str) else raws  # type: ignore[attr-defined]
        lengths = set(map(len, rows))  # type: ignore[arg-type]
        k = len(fields)
        if ff.column_names:
            if min(lengths) < 1 + max(wanted):
                return None
        elif lengths != {k} and not (lengths == {k + 1} and not any(r[-1] for r in rows)):  # type: ignore[index]
            return None
        cells = list(zip(*rows, strict=False))
        return {p: list(map(str.strip, cells[p])) for p in wanted}

    def _details(
        self,
        details: list[tuple[int, object]],
        fields: tuple[Field, ...],
        positions: list[int | None],
        split_row: Split,
        summary: dict[str, tuple[object, int]],
    ) -> list[ReturnRow]:
        """The rows; the loop is written for a million of them: no call per field on the usual path."""
        rl = self.rl
        at = {f.source: (f, positions[i]) for i, f in enumerate(fields)}
        f_ref, p_ref = at["reference"]
        f_amt, p_amt = at["amount"]
        f_status, p_status = at["status"]
        p_acct = at["account"][1] if "account" in at else None
        f_date, p_date = at.get("date", (None, None))
        assert p_ref is not None and p_amt is not None and p_status is not None
        reason_at = [
            positions[i] for i, f in enumerate(fields) if f.source == "reason" and positions[i] is not None
        ]
        pattern = re.compile(f_ref.pattern) if f_ref.pattern else None
        status_of = {v: True for v in rl.success} | {v: False for v in rl.failed}
        other_failed = rl.other_failed
        expected_status = " / ".join(sorted(rl.success | rl.failed)) + (" / …" if other_failed else "")
        file_date = summary.get("date", (None, 0))[0]
        assert file_date is None or isinstance(file_date, date)
        canonical = (_FEN if f_amt.unit is AmountUnit.FEN else _YUAN).fullmatch
        in_fen = f_amt.unit is AmountUnit.FEN
        reasons = self._reason_lookup()
        dates: dict[str, date] = {}
        seen: set[str] = set()
        rows: list[ReturnRow] = []
        error = self.error
        new_row = _row_maker()
        for line, raw in details:
            values = split_row(raw)
            if isinstance(values, str):
                self._bad_record(line, values)
                continue
            good = True
            ref = values[p_ref].strip()
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
                seen.add(ref)
            text = values[p_amt].strip()
            amt: Decimal | None = None
            if canonical(text):
                amt = Decimal(text).scaleb(-2) if in_fen else Decimal(text)
            if not amt:  # not in the usual form, or zero: the careful way, with its problem
                amt = self._amount(f_amt, text, line, allow_zero=False)
                if amt is None:
                    good = False
            status = values[p_status]
            ok = status_of.get(status)
            if ok is None:
                status = status.strip().casefold()
                ok = status_of.get(status)
                if ok is None:
                    if other_failed and status:
                        ok = False
                    else:
                        if status:
                            error(
                                "BAD_CHOICE",
                                line,
                                column=f_status.name,
                                value=values[p_status].strip(),
                                expected=expected_status,
                            )
                        else:
                            error("MISSING_VALUE", line, column=f_status.name)
                        good = False
                        ok = False
            if p_date is not None:
                raw_day = values[p_date]
                day = dates.get(raw_day)
                if day is None:
                    assert f_date is not None
                    day = self._date(f_date, raw_day, line)
                    if day is None:
                        good = False
                    else:
                        dates[raw_day] = day
            else:
                day = file_date
            if not good or day is None or amt is None:
                continue
            code = reason = None
            if not ok:
                texts = [values[i].strip() for i in reason_at if values[i].strip()]  # type: ignore[index]
                said = values[p_status].strip()
                if other_failed and status_of.get(said.casefold()) is None:
                    texts.insert(0, said)
                if texts:
                    reason = " ".join(texts)
                    code = next((c for c in map(reasons, texts) if c is not None), None)
            account = values[p_acct].strip() if p_acct is not None else ""
            rows.append(new_row(line, ref, account, amt, ok, code, reason, day))
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


_YUAN = re.compile(r"[0-9]{1,16}\.[0-9]{2}")  # the usual amount texts, read without ceremony
_FEN = re.compile(r"[0-9]{1,18}")


def _row_maker() -> Callable[[int, str, str, Decimal, bool, str | None, str | None, date], ReturnRow]:
    """A ReturnRow without the keyword-argument ceremony of the frozen dataclass's __init__
    (half the time for a million rows); the row is the same frozen object."""
    new = object.__new__
    setters = [getattr(ReturnRow, name).__set__ for name in ReturnRow.__slots__]
    s0, s1, s2, s3, s4, s5, s6, s7 = setters
    assert ReturnRow.__slots__ == (
        "line",
        "reference",
        "account",
        "amount",
        "success",
        "reason_code",
        "reason_text",
        "date",
    )

    def make(
        line: int,
        ref: str,
        account: str,
        amount: Decimal,
        success: bool,
        code: str | None,
        text: str | None,
        day: date,
    ) -> ReturnRow:
        row = new(ReturnRow)
        s0(row, line)
        s1(row, ref)
        s2(row, account)
        s3(row, amount)
        s4(row, success)
        s5(row, code)
        s6(row, text)
        s7(row, day)
        return row

    return make


def _cells_padder(width: int) -> Split:
    """Rows already cut into cells (CSV, XLSX): only short rows need padding."""

    def split(raw: object) -> Values | str:
        assert isinstance(raw, list)
        return raw if len(raw) >= width else raw + [""] * (width - len(raw))

    return split


def _padding_splitter(whole: Split, width: int) -> Split:
    """A row read by its column names: short rows (cells missing at the end) are padded."""

    def split(raw: object) -> Values | str:
        row = whole(raw)
        if isinstance(row, str) or len(row) >= width:
            return row
        return row + [""] * (width - len(row))

    return split


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
            count = len(values)
            if count == n or not n:
                return values
            if count == n + 1 and not values[-1]:  # the trailing delimiter
                values.pop()
                return values
            return _fit_count(values, n)

        return split

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
