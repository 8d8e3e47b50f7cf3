"""Direct-debit files: a batch of rows rendered in a bank's layout, checked first, written whole.

`plan_debit` renders the files in memory and reports every problem (unencodable name, value too
long for its field, an amount that is not a positive whole number of fen…); `write_debit` writes
them only when there is no error. Same batch and layout, same bytes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from billing.banks import delimited, fixed, xlsx
from billing.banks.layout import (
    AMOUNTS,
    TEXTS,
    Align,
    AmountUnit,
    DebitLayout,
    Field,
    Kind,
    Layout,
    Overflow,
    Quoting,
    Record,
)
from billing.banks.text import bulk, byte_len, codec, fit
from billing.domain.money import FEN
from billing.domain.problem import Problem, has_errors

_SAFE_BATCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitRow:
    reference: str  # ours, unique; the bank echoes it in the return file
    unit_id: str
    account: str
    account_name: str
    amount: Decimal  # yuan, > 0, whole fen


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitBatch:
    batch_no: str  # also the file name: letters, digits, '-', '_', '.'
    bank: str  # the layout name
    created: date
    purpose: str  # e.g. 物业费 2026-10
    rows: tuple[DebitRow, ...]

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), Decimal(0))


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitFile:
    name: str
    data: bytes
    count: int
    total: Decimal
    first: int  # index in the batch of its first row


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitPlan:
    """The files of a batch, or the problems that stop it (then `files` is empty)."""

    layout: str
    layout_version: str
    files: tuple[DebitFile, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)

    @property
    def count(self) -> int:
        return sum(f.count for f in self.files)

    @property
    def total(self) -> Decimal:
        return sum((f.total for f in self.files), Decimal(0))


def write_debit(
    layout: Layout, batch: DebitBatch, out_dir: Path
) -> tuple[tuple[Path, ...], tuple[Problem, ...]]:
    """Render and write the batch: (paths written, problems).

    With any error among the problems nothing is written and the paths are empty; warnings
    (a name cut to fit its field) come back with the paths.
    """
    plan = plan_debit(layout, batch)
    if not plan.ok:
        return (), plan.problems
    return write_plan(plan, out_dir), plan.problems


def write_plan(plan: DebitPlan, out_dir: Path) -> tuple[Path, ...]:
    """Write the files of a plan with mode 0600 (they hold account numbers), each atomically."""
    if not plan.ok:
        raise ValueError("a plan with errors is never written")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in plan.files:
        target = out_dir / f.name
        tmp = out_dir / f".{f.name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(f.data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        paths.append(target)
    return tuple(paths)


def plan_debit(layout: Layout, batch: DebitBatch) -> DebitPlan:
    """The files of the batch in the layout, split by its `max_rows`, or every problem found."""
    with bulk():
        return _plan(layout, batch)


def _plan(layout: Layout, batch: DebitBatch) -> DebitPlan:
    if not _SAFE_BATCH.match(batch.batch_no):
        raise ValueError(f"batch number {batch.batch_no!r} cannot be a file name")
    dl = layout.debit
    rows = batch.rows
    n = len(rows)
    problems: list[Problem] = []
    units = [r.unit_id for r in rows]
    amounts = [r.amount for r in rows]
    if not all(type(a) is Decimal for a in amounts):
        raise TypeError("debit amounts must be Decimal")
    if n == 0:
        problems.append(Problem.error("NOTHING_TO_DEBIT"))
    for i in [i for i, a in enumerate(amounts) if not a > 0 or a != a.quantize(FEN)]:
        problems.append(
            Problem.error(
                "OUT_OF_RANGE", unit=units[i], column="amount", value=amounts[i], expected="> 0, in whole fen"
            )
        )
    if problems:
        return DebitPlan(
            layout=layout.name, layout_version=layout.version, files=(), problems=tuple(problems)
        )

    yuan = [f"{a:.2f}" for a in amounts]
    size = dl.max_rows or max(n, 1)
    bounds = [(start, min(start + size, n)) for start in range(0, n, size)]
    parts = len(bounds)
    names = [
        dl.file_name.format(
            batch_no=batch.batch_no,
            date=batch.created.strftime("%Y%m%d"),
            part=k,
            parts=parts,
            suffix=f"-{k}" if parts > 1 else "",
        )
        for k in range(1, parts + 1)
    ]
    enc = codec(dl.file.encoding)
    cells = _Cells(dl, enc, problems)

    columns: list[list[str]] = []
    seq_fields: list[int] = []
    for i, f in enumerate(dl.fields):
        if f.source == "seq":
            seq_fields.append(i)
            columns.append([])
            continue
        if f.source in ("purpose", "date", "batch_no", "literal"):
            columns.append(cells.constant(f, _detail_values(f, batch, yuan)[0] if n else "", n))
        else:
            columns.append(cells.column(f, _detail_values(f, batch, yuan), units))
    file_records = []
    for k, (start, end) in enumerate(bounds, 1):
        count = end - start
        total = sum(amounts[start:end], Decimal(0))
        values = {
            "count": str(count),
            "total": f"{total:.2f}",
            "date": batch.created,
            "batch_no": batch.batch_no,
            "part": str(k),
            "parts": str(parts),
            "purpose": batch.purpose,
        }
        first = [cells.record(r, values, names[k - 1]) for r in dl.records_first]
        last = [cells.record(r, values, names[k - 1]) for r in dl.records_last]
        file_records.append((first, last, total))
    seq_columns = {
        i: cells.column(dl.fields[i], [str(j) for j in range(1, size + 1)], None) for i in seq_fields
    }
    if has_errors(problems):
        return DebitPlan(
            layout=layout.name, layout_version=layout.version, files=(), problems=tuple(problems)
        )

    titles = [f.name for f in dl.fields] if dl.file.column_names else None
    files = []
    for k, (start, end) in enumerate(bounds):
        first, last, total = file_records[k]
        part_columns = [
            seq_columns[i][: end - start] if i in seq_columns else col[start:end]
            for i, col in enumerate(columns)
        ]
        rows_out: list[Sequence[str]] = [*first]
        if titles is not None:
            rows_out.append(titles)
        rows_out.extend(zip(*part_columns, strict=True))
        rows_out.extend(last)
        files.append(
            DebitFile(
                name=names[k],
                data=_render(dl, rows_out, enc, batch.created, plain=not cells.needs_quoting),
                count=end - start,
                total=total,
                first=start,
            )
        )
    return DebitPlan(
        layout=layout.name, layout_version=layout.version, files=tuple(files), problems=tuple(problems)
    )


def _render(dl: DebitLayout, rows: list[Sequence[str]], enc: str, created: date, *, plain: bool) -> bytes:
    if dl.file.kind is Kind.XLSX:
        return xlsx.render(rows, dl.file, created)
    if dl.file.kind is Kind.FIXED:
        return fixed.render(rows, dl.file).encode(enc)
    return delimited.render(rows, dl.file, plain=plain).encode(enc)


def _detail_values(f: Field, batch: DebitBatch, yuan: list[str]) -> list[str]:
    rows = batch.rows
    match f.source:
        case "reference":
            return [r.reference for r in rows]
        case "unit_id":
            return [r.unit_id for r in rows]
        case "account":
            return [r.account for r in rows]
        case "account_name":
            return [r.account_name for r in rows]
        case "amount":
            return yuan if f.unit is AmountUnit.YUAN else [_fen(y) for y in yuan]
        case "purpose":
            return [batch.purpose]
        case "date":
            return [batch.created.strftime(f.date_format)]
        case "batch_no":
            return [batch.batch_no]
        case _:  # literal
            return [f.value]


def _byte_len_or_none(text: str, enc: str) -> int | None:
    try:
        return len(text.encode(enc))
    except UnicodeEncodeError:
        return None


def _params(params: dict[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(v)) for k, v in params.items())


def _fen(yuan: str) -> str:
    """'1234.50' -> '123450' (the text of a positive amount with two decimals)."""
    return yuan.replace(".", "").lstrip("0") or "0"


class _Cells:
    """Turns the values of a field into the text of its cells, collecting the problems."""

    def __init__(self, dl: DebitLayout, enc: str, problems: list[Problem]) -> None:
        self.ff = dl.file
        self.enc = enc
        self.problems = problems
        self.is_xlsx = dl.file.kind is Kind.XLSX
        forbidden = "\r\n"
        if dl.file.kind is Kind.DELIMITED and dl.file.quoting is Quoting.NONE:
            forbidden += dl.file.delimiter
        elif self.is_xlsx:
            forbidden = ""
        self.forbidden = forbidden
        # CSV quoting: if no value holds one of these, plain joining gives the same bytes, faster
        self.special = ',"\r\n' + dl.file.delimiter if dl.file.quoting is Quoting.CSV else ""
        self.needs_quoting = False

    def column(self, f: Field, values: list[str], units: list[str] | None) -> list[str]:
        """The cells of one detail field over all rows; `units` names the unit of each row."""
        if f.source in ("reference", "account") and not all(values):
            for i in [i for i, v in enumerate(values) if not v.strip()]:
                self._error(f, i, units, "MISSING_VALUE", column=f.name)
        joined = "\x00".join(values)
        if self.forbidden and any(ch in joined for ch in self.forbidden):
            for i, v in enumerate(values):
                if any(ch in v for ch in self.forbidden):
                    self._error(f, i, units, "FIELD_HAS_DELIMITER", column=f.name, value=v)
        if self.is_xlsx:
            return values
        if self.special and any(ch in joined for ch in self.special):
            self.needs_quoting = True
        if joined.isascii():
            if f.width is None:
                return values
            if max(map(len, values), default=0) <= f.width:
                w, p = f.width, f.pad
                return (
                    [v.rjust(w, p) for v in values]
                    if f.align is Align.RIGHT
                    else [v.ljust(w, p) for v in values]
                )
        return self._measured(f, values, units)

    def constant(self, f: Field, value: str, n: int) -> list[str]:
        """The cells of a field whose value is the same on every row (purpose, date, literal…)."""
        return self.column(f, [value], None) * n

    def _measured(self, f: Field, values: list[str], units: list[str] | None) -> list[str]:
        """Cells of values that may be non-ASCII: measured in bytes in bulk, odd ones one by one."""
        enc, width = self.enc, f.width
        lens: list[int | None]
        try:
            lens = [len(v.encode(enc)) for v in values]
        except UnicodeEncodeError:
            lens = [_byte_len_or_none(v, enc) for v in values]
        odd = [i for i, n in enumerate(lens) if n is None or (width is not None and n > width)]
        if width is None:
            out = values
        elif f.align is Align.RIGHT:
            out = [f.pad * (width - (n or 0)) + v for v, n in zip(values, lens, strict=True)]
        else:
            out = [v + f.pad * (width - (n or 0)) for v, n in zip(values, lens, strict=True)]
        if odd:
            out = list(out)
            for i in odd:
                out[i] = self._one(f, i, values[i], units)
        return out

    def _one(self, f: Field, i: int, v: str, units: list[str] | None) -> str:
        """The cell of a value that cannot be encoded or is too long, with its problem."""
        try:
            if f.width is None:
                byte_len(v, self.enc)
                return v
            text, cut = fit(v, f.width, f.pad, f.align is Align.RIGHT, self.enc)
        except UnicodeEncodeError:
            self._error(f, i, units, "UNENCODABLE", value=v, encoding=self.ff.encoding.upper())
            return ""
        if cut and not (f.overflow is Overflow.CUT and f.source in TEXTS):
            self._error(f, i, units, "FIELD_TOO_LONG", column=f.name, value=v, width=f.width)
        elif cut:
            unit = units[i] if units is not None else None
            cut_to = text.strip()
            self.problems.append(
                Problem.warning("VALUE_CUT", unit=unit, column=f.name, value=v, width=f.width, cut=cut_to)
            )
        return text

    def record(self, r: Record, values: dict[str, object], file_name: str) -> list[str]:
        """The cells of a header, summary or trailer record of one file."""
        out = []
        for f in r.fields:
            value: str
            if f.source == "literal":
                value = f.value
            elif f.source == "date":
                day = values["date"]
                assert isinstance(day, date)
                value = day.strftime(f.date_format)
            elif f.source in AMOUNTS and f.unit is AmountUnit.FEN:
                value = _fen(str(values[f.source]))
            else:
                value = str(values[f.source])
            cell = self._record_cell(f, value, file_name)
            out.append(cell)
        return out

    def _record_cell(self, f: Field, value: str, file_name: str) -> str:
        if self.is_xlsx:
            return value
        if any(ch in value for ch in self.forbidden):
            self.problems.append(
                Problem.error("FIELD_HAS_DELIMITER", file=file_name, column=f.name, value=value)
            )
        try:
            if f.width is None:
                byte_len(value, self.enc)
                return value
            text, cut = fit(value, f.width, f.pad, f.align is Align.RIGHT, self.enc)
        except UnicodeEncodeError:
            self.problems.append(
                Problem.error("UNENCODABLE", file=file_name, value=value, encoding=self.ff.encoding.upper())
            )
            return ""
        if cut and f.overflow is Overflow.CUT and f.source in TEXTS:
            self.problems.append(
                Problem.warning(
                    "VALUE_CUT", file=file_name, column=f.name, value=value, width=f.width, cut=text
                )
            )
        elif cut:
            self.problems.append(
                Problem.error("FIELD_TOO_LONG", file=file_name, column=f.name, value=value, width=f.width)
            )
        return text

    def _error(self, f: Field, i: int, units: list[str] | None, code: str, **params: object) -> None:
        unit = units[i] if units is not None else None
        self.problems.append(Problem(code=code, params=_params(params), unit=unit))
