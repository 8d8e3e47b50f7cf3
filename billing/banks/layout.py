"""Bank file layouts, declared in `config/banks/NAME.toml` and validated on load.

A layout describes the bytes of one bank's direct-debit file and of the return file the bank
sends back, so that a new bank needs no code. `generic-csv` is built in (CONTRACT §2, §4).
Every mistake in a layout file is reported with the file, the key and what was expected.

The TOML, in brief (see billing/defaults/banks/*.toml for two complete ones)::

    name = "mybank"              # = the file name; lowercase, digits, '-', '_'
    version = "1"                # recorded with every batch
    description = "…"

    [debit]                      # the file we send
    kind = "delimited"           # delimited | fixed-width (widths in BYTES) | xlsx
    encoding = "gbk"             # utf-8 | gbk | gb18030 (not for xlsx)
    newline = "crlf"             # crlf | lf
    delimiter = "|"              # delimited only (default ",")
    quoting = "none"             # none: a value holding the delimiter is a problem | csv
    trailing_delimiter = true    # `a|b|c|`
    column_names = false         # a row of the field names before the details
    max_rows = 2000              # split into numbered files
    file_name = "{batch_no}{suffix}.txt"   # also {date} (YYYYMMDD) {part} {parts}; suffix: "" or "-2"
    sheet = "Sheet1"             # xlsx only

    [debit.header] / [debit.summary] / [debit.trailer]   # optional records, each `fields = [...]`
    position = "first"           # summary only: first | last (default last)
    # record sources: count total date batch_no part parts purpose literal

    [[debit.fields]]             # the detail fields, in file order
    name = "户名"                # the column name (and the name in problems)
    source = "account_name"      # reference unit_id account account_name amount purpose date seq
                                 # batch_no literal
    value = "0"                  # literal only
    width = 20                   # bytes; required in fixed-width files
    pad = " "                    # one ASCII character (default "0" for numbers, " " for texts)
    align = "left"               # left | right (default right for numbers)
    unit = "yuan"                # amounts/totals: yuan (2 decimals) | fen (integer)
    format = "%Y%m%d"            # dates
    overflow = "cut"             # account_name/purpose only: cut between characters, with a warning

    [return]                     # the file the bank sends back; file keys default to [debit]'s
    encoding = "auto"            # also allowed here (delimited): UTF-8 (BOM or not)/GBK/GB18030 detected
    [[return.fields]]            # sources: reference account account_name unit_id amount status
                                 # reason (may repeat) date seq ignore; `pattern` on reference:
                                 # a regex whose group 1 is our reference inside a longer text
    [return.header] / [return.summary] / [return.trailer]
                                 # sources: count total success_count success_total failed_count
                                 # failed_total date batch_no ignore — reconciled (TOTAL_MISMATCH);
                                 # a record's date is the rows' date when they have none
    [return.status]
    success = ["成功", "0000"]   # compared case-folded
    failed = ["失败"]
    other_failed = false         # true: any other non-empty status is a failure, kept as reason text
    [return.reasons]             # bank text or code -> ours (REASONS), on top of DEFAULT_REASONS
    "3001" = "insufficient_funds"
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from billing.domain.problem import Problem

GENERIC_CSV = "generic-csv"
PRESETS_DIR = Path(__file__).resolve().parent.parent / "defaults" / "banks"

# Our reason codes for a failed debit; a bank's own text or code is mapped onto one of these.
REASONS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "insufficient_funds": ("余额不足", "insufficient funds"),
        "account_closed": ("账户已销户", "account closed"),
        "name_mismatch": ("户名不符", "account name mismatch"),
        "invalid_account": ("账号错误", "invalid account number"),
        "account_frozen": ("账户冻结", "account frozen"),
        "no_mandate": ("未签约", "no direct-debit agreement"),
    }
)

# Texts every layout understands; a layout's own [return.reasons] adds to and overrides these.
DEFAULT_REASONS: Mapping[str, str] = MappingProxyType(
    {
        **{code: code for code in REASONS},
        **{en: code for code, (_, en) in REASONS.items()},
        "余额不足": "insufficient_funds",
        "存款不足": "insufficient_funds",
        "账户已销户": "account_closed",
        "已销户": "account_closed",
        "销户": "account_closed",
        "已注销": "account_closed",
        "户名不符": "name_mismatch",
        "户名不一致": "name_mismatch",
        "户名错误": "name_mismatch",
        "账号错误": "invalid_account",
        "账号不存在": "invalid_account",
        "无此账号": "invalid_account",
        "账户冻结": "account_frozen",
        "冻结": "account_frozen",
        "止付": "account_frozen",
        "未签约": "no_mandate",
        "无协议": "no_mandate",
        "协议不存在": "no_mandate",
        "未签订代扣协议": "no_mandate",
    }
)


class Kind(StrEnum):
    DELIMITED = "delimited"
    FIXED = "fixed-width"
    XLSX = "xlsx"


class Align(StrEnum):
    LEFT = "left"
    RIGHT = "right"


class AmountUnit(StrEnum):
    YUAN = "yuan"  # 1234.50
    FEN = "fen"  # 123450


class Overflow(StrEnum):
    ERROR = "error"  # a value too long for its width is a problem
    CUT = "cut"  # cut at a character boundary (names and texts only), with a warning


class Quoting(StrEnum):
    NONE = "none"  # a value holding the delimiter or a newline is a problem
    CSV = "csv"  # RFC 4180 quoting


class Position(StrEnum):
    FIRST = "first"
    LAST = "last"


ENCODINGS = ("utf-8", "gbk", "gb18030")
NEWLINES = {"\n": "\n", "\r\n": "\r\n", "lf": "\n", "crlf": "\r\n"}

# Field sources, by where the field is.
DEBIT_DETAIL = frozenset(
    {
        "reference",
        "unit_id",
        "account",
        "account_name",
        "amount",
        "purpose",
        "date",
        "seq",
        "batch_no",
        "literal",
    }
)
DEBIT_RECORD = frozenset({"count", "total", "date", "batch_no", "part", "parts", "purpose", "literal"})
RETURN_DETAIL = frozenset(
    {"reference", "account", "account_name", "unit_id", "amount", "status", "reason", "date", "seq", "ignore"}
)
RETURN_RECORD = frozenset(
    {
        "count",
        "total",
        "success_count",
        "success_total",
        "failed_count",
        "failed_total",
        "date",
        "batch_no",
        "ignore",
    }
)
NUMERIC = frozenset(
    {"amount", "total", "count", "seq", "part", "parts", "success_count", "success_total"}
    | {"failed_count", "failed_total"}
)
AMOUNTS = frozenset({"amount", "total", "success_total", "failed_total"})
TEXTS = frozenset({"account_name", "purpose"})  # the only values that may be cut to fit

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_XLSX_MAX_ROWS = 1_048_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """One field of a record: where its value comes from and how it is written or read."""

    name: str
    source: str
    aliases: tuple[str, ...] = ()  # more column names that mean this field (reading with column names)
    value: str = ""  # the text of a `literal`
    width: int | None = None  # in bytes of the file's encoding
    pad: str = " "
    align: Align = Align.LEFT
    unit: AmountUnit = AmountUnit.YUAN
    date_format: str = "%Y-%m-%d"
    overflow: Overflow = Overflow.ERROR
    pattern: str | None = None  # reference: a regex whose first group is the reference


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """A header, summary or trailer line; the summary is first or last."""

    role: str
    position: Position
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileFormat:
    kind: Kind
    encoding: str  # utf-8 | gbk | gb18030; `auto` (return only): detected like every input file
    newline: str = "\r\n"
    delimiter: str = ","
    quoting: Quoting = Quoting.NONE
    trailing_delimiter: bool = False
    column_names: bool = False  # a row naming the columns, before the details
    sheet: str | None = None  # xlsx: the sheet name (written) or to read (default: the first)


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitLayout:
    file: FileFormat
    file_name: str  # template: {batch_no} {date} {part} {parts} {suffix}
    max_rows: int | None
    header: Record | None
    summary: Record | None
    trailer: Record | None
    fields: tuple[Field, ...]

    @property
    def records_first(self) -> tuple[Record, ...]:
        return _first(self.header, self.summary)

    @property
    def records_last(self) -> tuple[Record, ...]:
        return _last(self.summary, self.trailer)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnLayout:
    file: FileFormat
    header: Record | None
    summary: Record | None
    trailer: Record | None
    fields: tuple[Field, ...]
    success: frozenset[str]  # status values meaning success, compared case-folded
    failed: frozenset[str]
    other_failed: bool  # any other non-empty status is a failure (else it is a problem)
    reasons: Mapping[str, str]  # bank text or code (case-folded) -> our reason code

    @property
    def records_first(self) -> tuple[Record, ...]:
        return _first(self.header, self.summary)

    @property
    def records_last(self) -> tuple[Record, ...]:
        return _last(self.summary, self.trailer)


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    name: str
    version: str
    description: str
    debit: DebitLayout
    returns: ReturnLayout
    file: str | None = None  # where it was loaded from; None when built in


def _first(header: Record | None, summary: Record | None) -> tuple[Record, ...]:
    return tuple(r for r in (header, summary) if r is not None and r.position is Position.FIRST)


def _last(summary: Record | None, trailer: Record | None) -> tuple[Record, ...]:
    return tuple(r for r in (summary, trailer) if r is not None and r.position is Position.LAST)


class LayoutError(Exception):
    """A layout that cannot be used; one CONFIG problem (file, key, expected) per mistake."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__("\n".join(p.render("en") for p in problems))
        self.problems = problems


class UnknownLayout(LayoutError):
    """No layout of that name: not built in, and no `NAME.toml` in the banks folder."""


# --- loading ----------------------------------------------------------------------------------------


def load_layout(name: str, banks_dir: Path) -> Layout:
    """The layout `name`: built in (`generic-csv`) or read from `banks_dir/NAME.toml`.

    Raises UnknownLayout when there is no such layout, LayoutError when its file is wrong.
    """
    if name == GENERIC_CSV:
        return generic_csv()
    if not _NAME.match(name):
        raise UnknownLayout((Problem.error("UNKNOWN_BANK", bank=name),))
    path = banks_dir / f"{name}.toml"
    if not path.is_file():
        raise UnknownLayout((Problem.error("UNKNOWN_BANK", file=str(path), bank=name),))
    return load_layout_file(path)


def load_layout_file(path: Path) -> Layout:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LayoutError(
            (Problem.error("CONFIG", file=str(path), key="(file)", expected=str(exc)),)
        ) from exc
    return parse_layout(data, file=str(path), expected_name=path.stem)


def layout_names(banks_dir: Path) -> tuple[str, ...]:
    """Every layout that `load_layout` can find: the built-in one and the files of the folder."""
    found = {p.stem for p in banks_dir.glob("*.toml")} if banks_dir.is_dir() else set()
    return (GENERIC_CSV, *sorted(found - {GENERIC_CSV}))


def parse_layout(data: Mapping[str, Any], *, file: str, expected_name: str | None = None) -> Layout:
    """A layout from its parsed TOML; every mistake found is reported at once."""
    c = _Checker(file)
    top = c.table(data, "", {"name", "version", "description", "debit", "return"})
    name = c.string(top, "name", "", required=True)
    if name and not _NAME.match(name):
        c.fail("name", "lowercase letters, digits, '-' and '_' (up to 40)", name)
    if name == GENERIC_CSV:
        c.fail("name", f"another name: '{GENERIC_CSV}' is built in", name)
    elif name and expected_name is not None and name != expected_name:
        c.fail("name", f"the file's own name '{expected_name}'", name)
    version = top.get("version")
    if isinstance(version, bool) or not isinstance(version, (int, str)) or str(version).strip() == "":
        c.fail("version", "a version number or text (recorded with every batch)", version)
        version = ""
    description = c.string(top, "description", "")

    debit_data = c.table(
        top.get("debit"), "debit", _FILE_KEYS | {"file_name", "max_rows", "fields", *_RECORDS}
    )
    debit_file = _file_format(c, debit_data, "debit", None)
    return_data = c.table(
        top.get("return"),
        "return",
        _FILE_KEYS | {"fields", "status", "reasons", *_RECORDS},
    )
    return_file = _file_format(c, return_data, "return", debit_file)

    debit = _debit_layout(c, debit_data, debit_file)
    returns = _return_layout(c, return_data, return_file)
    if c.problems:
        raise LayoutError(tuple(c.problems))
    return Layout(
        name=name,
        version=str(version).strip(),
        description=description,
        debit=debit,
        returns=returns,
        file=file,
    )


_FILE_KEYS = frozenset(
    {"kind", "encoding", "newline", "delimiter", "quoting", "trailing_delimiter", "column_names", "sheet"}
)
_RECORDS = ("header", "summary", "trailer")
_FIELD_KEYS = frozenset(
    {"name", "aliases", "source", "value", "width", "pad", "align", "unit", "format", "overflow", "pattern"}
)


class _Checker:
    """Reads the TOML tree key by key, collecting one CONFIG problem per mistake."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, key: str, expected: str, got: object = None) -> None:
        said = f"expected {expected}" + ("" if got is None else f", got {_show(got)}")
        self.problems.append(Problem.error("CONFIG", file=self.file, key=key or "(file)", expected=said))

    def table(self, value: object, key: str, allowed: frozenset[str] | set[str]) -> Mapping[str, Any]:
        if value is None:
            if key:
                self.fail(key, "a table")
            return {}
        if not isinstance(value, Mapping):
            self.fail(key, "a table", value)
            return {}
        for k in value:
            if k not in allowed:
                self.fail(
                    _join(key, k), "one of the keys " + ", ".join(sorted(allowed)) + f" (unknown key '{k}')"
                )
        return value

    def string(self, table: Mapping[str, Any], key: str, prefix: str, *, required: bool = False) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.fail(_join(prefix, key), "a text")
            return ""
        if not isinstance(value, str):
            self.fail(_join(prefix, key), "a text", value)
            return ""
        return value

    def choice(
        self, table: Mapping[str, Any], key: str, prefix: str, choices: tuple[str, ...], default: str
    ) -> str:
        value = table.get(key, default)
        if value not in choices:
            self.fail(_join(prefix, key), "one of " + ", ".join(choices), value)
            return default
        return str(value)

    def boolean(self, table: Mapping[str, Any], key: str, prefix: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(_join(prefix, key), "true or false", value)
            return default
        return value

    def integer(self, table: Mapping[str, Any], key: str, prefix: str, low: int, high: int) -> int | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(_join(prefix, key), f"a whole number from {low} to {high}", value)
            return None
        return value

    def strings(self, table: Mapping[str, Any], key: str, prefix: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(_join(prefix, key), "a list of texts", value)
            return ()
        return tuple(value)


def _join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _file_format(c: _Checker, t: Mapping[str, Any], prefix: str, inherit: FileFormat | None) -> FileFormat:
    """The file keys of `[debit]` or `[return]`; the return file inherits what it does not say."""

    def given(key: str) -> bool:
        return key in t

    base = inherit
    kind_default = base.kind.value if base else Kind.DELIMITED.value
    kind = Kind(c.choice(t, "kind", prefix, tuple(Kind), kind_default))
    encodings = (*ENCODINGS, "auto") if inherit is not None else ENCODINGS
    if not given("encoding") and base is None and kind is not Kind.XLSX:
        c.fail(_join(prefix, "encoding"), "one of " + ", ".join(ENCODINGS))
    encoding_default = base.encoding if base else "utf-8"
    encoding = c.choice(t, "encoding", prefix, encodings, encoding_default)
    newline_text = t.get("newline", base.newline if base else "\r\n")
    newline = NEWLINES.get(newline_text) if isinstance(newline_text, str) else None
    if newline is None:
        c.fail(_join(prefix, "newline"), "one of 'crlf', 'lf' (or \"\\r\\n\", \"\\n\")", newline_text)
        newline = "\r\n"
    delimiter = c.string(t, "delimiter", prefix) or (base.delimiter if base and base.delimiter else ",")
    if kind is Kind.DELIMITED and (len(delimiter) != 1 or delimiter in '\r\n"' or not delimiter.isascii()):
        c.fail(_join(prefix, "delimiter"), "one ASCII character (not a quote or newline)", delimiter)
    quoting_default = (
        base.quoting.value if base else (Quoting.CSV if delimiter == "," else Quoting.NONE).value
    )
    quoting = Quoting(c.choice(t, "quoting", prefix, tuple(Quoting), quoting_default))
    trailing = c.boolean(t, "trailing_delimiter", prefix, base.trailing_delimiter if base else False)
    column_names = c.boolean(t, "column_names", prefix, base.column_names if base else False)
    sheet = c.string(t, "sheet", prefix) or (base.sheet if base else None)
    if kind is Kind.FIXED and column_names:
        c.fail(_join(prefix, "column_names"), "false for a fixed-width file", True)
    if kind is not Kind.DELIMITED and given("delimiter"):
        c.fail(_join(prefix, "delimiter"), "no delimiter: only a delimited file has one", delimiter)
    if encoding == "auto" and kind is not Kind.DELIMITED:
        c.fail(
            _join(prefix, "encoding"), "a declared encoding: only a delimited file's may be detected", "auto"
        )
        encoding = "gb18030"
    if kind is Kind.XLSX:
        encoding = "utf-8"
    return FileFormat(
        kind=kind,
        encoding=encoding,
        newline=newline,
        delimiter=delimiter if kind is Kind.DELIMITED else "",
        quoting=quoting if kind is Kind.DELIMITED else Quoting.NONE,
        trailing_delimiter=trailing and kind is Kind.DELIMITED,
        column_names=column_names,
        sheet=sheet,
    )


def _fields(
    c: _Checker, value: object, prefix: str, sources: frozenset[str], ff: FileFormat, *, reading: bool
) -> tuple[Field, ...]:
    if not isinstance(value, list) or not value:
        c.fail(prefix, "a non-empty list of fields ([[...fields]] tables)", value)
        return ()
    out = []
    for i, item in enumerate(value):
        f = _field(c, item, _join(prefix, i), sources, ff, reading=reading)
        if f is not None:
            out.append(f)
    return tuple(out)


def _field(
    c: _Checker, item: object, key: str, sources: frozenset[str], ff: FileFormat, *, reading: bool
) -> Field | None:
    t = c.table(item, key, _FIELD_KEYS)
    if not t:
        return None
    source = t.get("source")
    if source not in sources:
        c.fail(_join(key, "source"), "one of " + ", ".join(sorted(sources)), source)
        return None
    name = c.string(t, "name", key) or source
    aliases = c.strings(t, "aliases", key)
    numeric = source in NUMERIC
    value = c.string(t, "value", key)
    if source == "literal" and "value" not in t:
        c.fail(_join(key, "value"), "the text of the literal field")
    elif source != "literal" and "value" in t:
        c.fail(_join(key, "value"), "no value: only a `literal` field has one", value)
    width = c.integer(t, "width", key, 1, 1000)
    if ff.kind is Kind.XLSX and width is not None:
        c.fail(_join(key, "width"), "no width: the cells of an xlsx file have none", width)
        width = None
    if ff.kind is Kind.FIXED and width is None and "width" not in t:
        c.fail(_join(key, "width"), "a width in bytes (every field of a fixed-width file has one)")
    pad = c.string(t, "pad", key) or ("0" if numeric else " ")
    if len(pad) != 1 or not pad.isascii() or pad in "\r\n":
        c.fail(_join(key, "pad"), "one ASCII character", pad)
        pad = " "
    align = Align(c.choice(t, "align", key, tuple(Align), (Align.RIGHT if numeric else Align.LEFT).value))
    unit = AmountUnit(c.choice(t, "unit", key, tuple(AmountUnit), AmountUnit.YUAN.value))
    if "unit" in t and source not in AMOUNTS:
        c.fail(_join(key, "unit"), "no unit: only amounts and totals have one", t["unit"])
    date_format = c.string(t, "format", key) or "%Y-%m-%d"
    if "format" in t and source != "date":
        c.fail(_join(key, "format"), "no format: only a date field has one", t["format"])
    elif source == "date" and not _round_trips(date_format):
        c.fail(_join(key, "format"), "a date format with year, month and day such as '%Y%m%d'", date_format)
    overflow = Overflow(c.choice(t, "overflow", key, tuple(Overflow), Overflow.ERROR.value))
    if overflow is Overflow.CUT and (reading or source not in TEXTS):
        c.fail(_join(key, "overflow"), "'error': only a written account name or purpose may be cut", "cut")
    pattern = c.string(t, "pattern", key) or None
    if pattern is not None:
        if source != "reference" or not reading:
            c.fail(_join(key, "pattern"), "no pattern: only the reference of a return file has one", pattern)
        else:
            try:
                if re.compile(pattern).groups != 1:
                    c.fail(
                        _join(key, "pattern"), "a regular expression with exactly one group (...)", pattern
                    )
            except re.error as exc:
                c.fail(_join(key, "pattern"), f"a valid regular expression ({exc})", pattern)
    written = (
        ((value, "value"), (name, "name"), *((a, "aliases") for a in aliases))
        if ff.column_names
        else ((value, "value"),)
    )
    for text, what in written:
        if ff.kind is not Kind.XLSX and not _encodable(text, ff.encoding):
            c.fail(_join(key, what), f"text that {ff.encoding} can encode", text)
        plain = not reading and ff.kind is Kind.DELIMITED and ff.quoting is Quoting.NONE
        if plain and what == "value" and any(ch in text for ch in (ff.delimiter, "\n", "\r")):
            c.fail(_join(key, what), "no delimiter or newline in the text", text)
    literal_fits = (
        source != "literal" or width is None or ff.kind is Kind.XLSX or not _encodable(value, ff.encoding)
    )
    if not literal_fits and len(value.encode(_codec(ff.encoding))) > (width or 0):
        c.fail(_join(key, "value"), f"a text of at most {width} bytes", value)
    return Field(
        name=name,
        source=source,
        aliases=aliases,
        value=value,
        width=width,
        pad=pad,
        align=align,
        unit=unit,
        date_format=date_format,
        overflow=overflow,
        pattern=pattern,
    )


def _record(
    c: _Checker,
    t: Mapping[str, Any],
    role: str,
    prefix: str,
    sources: frozenset[str],
    ff: FileFormat,
    *,
    reading: bool,
) -> Record | None:
    if role not in t:
        return None
    key = _join(prefix, role)
    rt = c.table(t[role], key, {"fields", "position"})
    if not rt:
        return None
    if role == "summary":
        position = Position(c.choice(rt, "position", key, tuple(Position), Position.LAST.value))
    else:
        if "position" in rt:
            c.fail(
                _join(key, "position"), "no position: a header is first and a trailer last", rt["position"]
            )
        position = Position.FIRST if role == "header" else Position.LAST
    fields = _fields(c, rt.get("fields"), _join(key, "fields"), sources, ff, reading=reading)
    return Record(role=role, position=position, fields=fields)


def _debit_layout(c: _Checker, t: Mapping[str, Any], ff: FileFormat) -> DebitLayout:
    max_rows = c.integer(t, "max_rows", "debit", 1, _XLSX_MAX_ROWS if ff.kind is Kind.XLSX else 10_000_000)
    if max_rows is None and ff.kind is Kind.XLSX:
        max_rows = _XLSX_MAX_ROWS
    ext = {Kind.XLSX: "xlsx", Kind.FIXED: "txt"}.get(ff.kind, "csv" if ff.delimiter == "," else "txt")
    file_name = c.string(t, "file_name", "debit") or "{batch_no}{suffix}." + ext
    try:
        sample = file_name.format(batch_no="B", date="20260101", part=2, parts=3, suffix="-2")
        if "/" in sample or "\\" in sample or sample.startswith("."):
            c.fail("debit.file_name", "a file name, not a path", file_name)
        if max_rows is not None and "{part" not in file_name and "{suffix" not in file_name:
            c.fail("debit.file_name", "{part} or {suffix} in the name, since a batch may be split", file_name)
    except (KeyError, IndexError, ValueError) as exc:
        c.fail(
            "debit.file_name",
            f"only the placeholders {{batch_no}} {{date}} {{part}} {{parts}} {{suffix}} ({exc})",
        )
    records = {role: _record(c, t, role, "debit", DEBIT_RECORD, ff, reading=False) for role in _RECORDS}
    fields = _fields(c, t.get("fields"), "debit.fields", DEBIT_DETAIL, ff, reading=False)
    sources = [f.source for f in fields]
    for needed in ("reference", "account", "amount"):
        if fields and needed not in sources:
            c.fail("debit.fields", f"a field with source = '{needed}'")
    return DebitLayout(
        file=ff,
        file_name=file_name,
        max_rows=max_rows,
        header=records["header"],
        summary=records["summary"],
        trailer=records["trailer"],
        fields=fields,
    )


def _return_layout(c: _Checker, t: Mapping[str, Any], ff: FileFormat) -> ReturnLayout:
    records = {role: _record(c, t, role, "return", RETURN_RECORD, ff, reading=True) for role in _RECORDS}
    fields = _fields(c, t.get("fields"), "return.fields", RETURN_DETAIL, ff, reading=True)
    sources = [f.source for f in fields]
    if fields:
        for needed in ("reference", "amount", "status"):
            if sources.count(needed) != 1:
                c.fail("return.fields", f"exactly one field with source = '{needed}'", sources.count(needed))
        for once in ("account", "date", "seq", "account_name", "unit_id"):
            if sources.count(once) > 1:
                c.fail("return.fields", f"at most one field with source = '{once}'", sources.count(once))
        in_records = [f.source for r in records.values() if r is not None for f in r.fields]
        if "date" not in sources and "date" not in in_records:
            c.fail(
                "return.fields", "a date: a field with source = 'date' here or in a header/summary/trailer"
            )
        if ff.column_names:
            seen: set[str] = set()
            for f in fields:
                for n in (f.name, *f.aliases):
                    if n.casefold() in seen:
                        c.fail("return.fields", "column names that differ", n)
                    seen.add(n.strip().casefold())
    st = c.table(t.get("status"), "return.status", {"success", "failed", "other_failed"})
    success = frozenset(s.strip().casefold() for s in c.strings(st, "success", "return.status"))
    failed = frozenset(s.strip().casefold() for s in c.strings(st, "failed", "return.status"))
    other_failed = c.boolean(st, "other_failed", "return.status", False)
    if st and not success:
        c.fail("return.status.success", "the status values that mean the debit succeeded")
    if st and not failed and not other_failed:
        c.fail("return.status.failed", "the status values that mean it failed (or other_failed = true)")
    if success & failed:
        c.fail("return.status", "no value both in success and in failed", sorted(success & failed))
    reasons = dict(DEFAULT_REASONS)
    rt = t.get("reasons", {})
    if not isinstance(rt, Mapping):
        c.fail("return.reasons", "a table of bank text = our reason code", rt)
        rt = {}
    for text, code in rt.items():
        if code not in REASONS:
            c.fail(f"return.reasons.{text}", "one of " + ", ".join(REASONS), code)
        else:
            reasons[text] = code
    return ReturnLayout(
        file=ff,
        header=records["header"],
        summary=records["summary"],
        trailer=records["trailer"],
        fields=fields,
        success=success,
        failed=failed,
        other_failed=other_failed,
        reasons=MappingProxyType({k.strip().casefold(): v for k, v in reasons.items()}),
    )


def _round_trips(fmt: str) -> bool:
    day = date(2026, 12, 31)
    try:
        return datetime.strptime(day.strftime(fmt), fmt).date() == day
    except ValueError:
        return False


def _codec(encoding: str) -> str:
    return "utf-8" if encoding == "auto" else encoding


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(_codec(encoding))
    except UnicodeEncodeError:
        return False
    return True


# --- the built-in layout ------------------------------------------------------------------------------


def generic_csv() -> Layout:
    """CONTRACT §4 (debit) and §2 (return): UTF-8 CSV with a header row, amounts in yuan."""
    out = FileFormat(
        kind=Kind.DELIMITED, encoding="utf-8", newline="\n", quoting=Quoting.CSV, column_names=True
    )
    inp = FileFormat(
        kind=Kind.DELIMITED, encoding="auto", newline="\n", quoting=Quoting.CSV, column_names=True
    )

    def f(name: str, source: str, *aliases: str) -> Field:
        return Field(name=name, source=source, aliases=aliases)

    debit = DebitLayout(
        file=out,
        file_name="{batch_no}{suffix}.csv",
        max_rows=None,
        header=None,
        summary=None,
        trailer=None,
        fields=tuple(f(s, s) for s in ("reference", "unit_id", "account", "account_name", "amount")),
    )
    returns = ReturnLayout(
        file=inp,
        header=None,
        summary=None,
        trailer=None,
        fields=(
            f("reference", "reference", "参考号"),
            f("account", "account", "账号"),
            f("amount", "amount", "金额"),
            f("status", "status", "状态"),
            f("reason", "reason", "原因"),
            f("date", "date", "日期"),
        ),
        success=frozenset({"success", "成功"}),
        failed=frozenset({"failed", "失败"}),
        other_failed=False,
        reasons=MappingProxyType({k.casefold(): v for k, v in DEFAULT_REASONS.items()}),
    )
    return Layout(
        name=GENERIC_CSV, version="1", description="CONTRACT §2 and §4", debit=debit, returns=returns
    )
