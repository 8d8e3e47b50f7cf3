"""The column checks every file kind uses, as polars expressions over the whole frame.

A `Checks` collects (mask, code, params) for a frame; `run()` evaluates them all at once and
returns every problem of every row, in line order, plus the rows without an error. No Python loop
runs over the rows: a check is an expression, and only the rows it flags become `Problem`s.

Cell values are text. Numbers are plain decimals (`-12.5`, `1,234.50`; full-width digits are read
too), never exponents; they are turned into exact decimals through their canonical text and
polars' `Decimal` type, never through a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

import polars as pl

from billing.domain.problem import Problem, Severity, has_errors
from billing.ingest.table import LINE, Table

R = TypeVar("R")

_FULLWIDTH = {**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "，": ",", "－": "-", "＋": "+"}
_NUMBER = r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass(frozen=True, slots=True, kw_only=True)
class Validated(Generic[R]):
    """The outcome of validating one file: its records and every problem found.

    `records` are the rows without an error, in file order; `lines[i]` is the line of
    `records[i]`. A file with any error must not be imported (CONTRACT §2): check `ok`.
    """

    file: str
    records: tuple[R, ...] = ()
    lines: tuple[int, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)


def canonical(value: Decimal) -> str:
    """A decimal as plain text without exponent or trailing fractional zeros: 310.80 → "310.8"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def member(expr: pl.Expr, values: Iterable[str]) -> pl.Expr:
    """`expr` is one of `values` (null stays null)."""
    return expr.is_in(pl.Series(list(values), dtype=pl.String).implode())


def present(column: str) -> pl.Expr:
    return pl.col(column).is_not_null()


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric column: `ok` well formed, `value` its exact Decimal, `canonical` its text.

    At most `max_int` digits before the point and `max_frac` after, so that `value`
    (Decimal(38, max_frac)) holds it exactly. The expressions read helper columns that
    `prepare()` computes once (`Checks.prepare` adds them to the frame).
    """

    column: str
    max_int: int = 12
    max_frac: int = 6

    def prepare(self, frame: pl.DataFrame) -> list[pl.Expr]:
        col = pl.col(self.column)
        # the clean-up of full-width digits, separators and "+" is skipped when no cell needs it
        plain = not frame.select(col.str.contains(r"[^0-9.\-]").any()).item()
        text = (
            col
            if plain
            else col.str.replace_many(list(_FULLWIDTH), list(_FULLWIDTH.values()))
            .str.replace_all(r"[,\s]", "")
            .str.strip_prefix("+")
        )
        text = pl.when(text.str.contains(_NUMBER)).then(text)
        parts = text.str.strip_prefix("-").str.split_exact(".", 1)
        int_part = parts.struct.field("field_0").str.strip_chars_start("0")
        return [
            text.alias(self._t),
            pl.when(int_part == "").then(pl.lit("0")).otherwise(int_part).alias(self._i),
            parts.struct.field("field_1").fill_null("").str.strip_chars_end("0").alias(self._f),
        ]

    @property
    def _t(self) -> str:
        return f"_{self.column}_text"

    @property
    def _i(self) -> str:
        return f"_{self.column}_int"

    @property
    def _f(self) -> str:
        return f"_{self.column}_frac"

    @property
    def ok(self) -> pl.Expr:
        return pl.col(self._t).is_not_null()

    @property
    def bad(self) -> pl.Expr:
        return present(self.column) & ~self.ok

    @property
    def _magnitude(self) -> pl.Expr:
        frac = pl.col(self._f)
        return (
            pl.when(frac == "")
            .then(pl.col(self._i))
            .otherwise(pl.concat_str(pl.col(self._i), pl.lit("."), frac))
        )

    @property
    def negative(self) -> pl.Expr:
        return self.ok & pl.col(self._t).str.starts_with("-") & ~self.zero

    @property
    def zero(self) -> pl.Expr:
        return self.ok & (pl.col(self._i) == "0") & (pl.col(self._f) == "")

    @property
    def canonical(self) -> pl.Expr:
        """Plain text without sign noise, leading zeros or trailing fractional zeros: " 0310.80" → "310.8"."""
        sign = pl.when(self.negative).then(pl.lit("-")).otherwise(pl.lit(""))
        return pl.when(self.ok).then(pl.concat_str(sign, self._magnitude))

    @property
    def too_precise(self) -> pl.Expr:
        """Well formed but more digits than the column takes."""
        return self.ok & (
            (pl.col(self._i).str.len_chars() > self.max_int)
            | (pl.col(self._f).str.len_chars() > self.max_frac)
        )

    @property
    def value(self) -> pl.Expr:
        return self.canonical.cast(pl.Decimal(38, self.max_frac), strict=False)

    @property
    def integral(self) -> pl.Expr:
        return self.ok & (pl.col(self._f) == "")


def is_date(column: str) -> pl.Expr:
    col = pl.col(column)
    return (col.str.contains(_DATE) & col.str.to_date("%Y-%m-%d", strict=False).is_not_null()).fill_null(
        False
    )


def date_value(column: str) -> pl.Expr:
    return pl.when(is_date(column)).then(pl.col(column).str.to_date("%Y-%m-%d", strict=False))


def choice(column: str, mapping: Mapping[str, str]) -> pl.Expr:
    """The canonical value of a choice column (case-insensitive), null when absent or not a choice."""
    lowered = {k.lower(): v for k, v in mapping.items()}
    return pl.col(column).str.to_lowercase().replace_strict(lowered, default=None, return_dtype=pl.String)


def choices_text(mapping: Mapping[str, str]) -> str:
    """`water/水, electricity/电`: every accepted spelling, grouped by value."""
    groups: dict[str, list[str]] = {}
    for spelling, value in mapping.items():
        groups.setdefault(value, []).append(spelling)
    return ", ".join("/".join(spellings) for spellings in groups.values())


@dataclass(frozen=True, slots=True)
class _Check:
    mask: pl.Expr
    code: str
    severity: Severity
    params: tuple[tuple[str, pl.Expr | str], ...]


@dataclass(slots=True)
class Checks:
    """The checks of one file. Add them in the order their problems should read within a line."""

    table: Table
    frame: pl.DataFrame = field(init=False)
    _checks: list[_Check] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.frame = normalized(self.table.frame)

    @property
    def file(self) -> str:
        return self.table.file

    def prepare(self, *numbers: Number) -> None:
        """Compute the helper columns of these numeric columns once."""
        self.frame = self.frame.with_columns([e for n in numbers for e in n.prepare(self.frame)])

    def label(self, column: str) -> str:
        """The column as the file names it (e.g. 表号), for messages."""
        return self.table.headers.get(column, column)

    def add(
        self, mask: pl.Expr, code: str, *, severity: Severity = Severity.ERROR, **params: pl.Expr | str
    ) -> None:
        self._checks.append(_Check(mask.fill_null(False), code, severity, tuple(params.items())))

    def warn(self, mask: pl.Expr, code: str, **params: pl.Expr | str) -> None:
        self.add(mask, code, severity=Severity.WARNING, **params)

    # the common checks

    def required(self, column: str) -> None:
        self.add(pl.col(column).is_null(), "MISSING_VALUE", column=self.label(column))

    def number(self, num: Number, *, minimum: str | None = None, exclusive: bool = False) -> None:
        """NOT_A_NUMBER, TOO_MANY_DIGITS, then OUT_OF_RANGE below `minimum` ("0" only)."""
        col = num.column
        self.add(num.bad, "NOT_A_NUMBER", column=self.label(col), value=pl.col(col))
        self.add(
            num.too_precise,
            "TOO_MANY_DIGITS",
            column=self.label(col),
            value=pl.col(col),
            integer=str(num.max_int),
            decimals=str(num.max_frac),
        )
        if minimum is not None:
            if minimum != "0":
                raise ValueError("only a minimum of 0 is supported")
            below = num.negative | num.zero if exclusive else num.negative
            self.add(
                below & ~num.too_precise,
                "OUT_OF_RANGE",
                column=self.label(col),
                value=pl.col(col),
                expected="> 0" if exclusive else "≥ 0",
            )

    def date(self, column: str) -> None:
        self.add(
            present(column) & ~is_date(column), "NOT_A_DATE", column=self.label(column), value=pl.col(column)
        )

    def choice(self, column: str, mapping: Mapping[str, str]) -> None:
        self.add(
            present(column) & choice(column, mapping).is_null(),
            "BAD_CHOICE",
            column=self.label(column),
            value=pl.col(column),
            expected=choices_text(mapping),
        )

    def max_length(self, column: str, limit: int) -> None:
        self.add(
            pl.col(column).str.len_chars() > limit,
            "TOO_LONG",
            column=self.label(column),
            value=pl.col(column),
            limit=str(limit),
        )

    def unique(self, keys: Sequence[pl.Expr], *, key: pl.Expr) -> None:
        """DUPLICATE_KEY on every row but the first of each key (rows with a null key part are skipped)."""
        first = pl.col(LINE).min().over(keys)
        complete = pl.all_horizontal([k.is_not_null() for k in keys])
        self.add(complete & (pl.col(LINE) != first), "DUPLICATE_KEY", key=key, first=first.cast(pl.String))

    def run(self) -> tuple[tuple[Problem, ...], pl.DataFrame]:
        """Every problem, in line order (then in the order the checks were added), and the rows of
        `frame` without an error."""
        frame = self.frame
        # One pass computes every mask and parameter over the whole frame (windows such as the
        # first line of a key must see every row); then each check's rows are picked out.
        exprs: list[pl.Expr] = []
        for i, check in enumerate(self._checks):
            exprs.append(check.mask.alias(f"_m{i}"))
            exprs.extend(
                pl.when(check.mask).then(p.cast(pl.String)).alias(f"_p{i}_{j}")
                for j, (_, p) in enumerate(check.params)
                if isinstance(p, pl.Expr)
            )
        evaluated = frame.lazy().with_columns(exprs).collect()  # lazy: shared subexpressions once
        errors = [pl.col(f"_m{i}") for i, c in enumerate(self._checks) if c.severity is Severity.ERROR]
        ok = ~pl.any_horizontal(errors) if errors else pl.lit(True)
        good = evaluated.filter(ok).select(frame.columns)
        located: list[tuple[int, int, Problem]] = []
        for i, check in enumerate(self._checks):
            columns = [f"_p{i}_{j}" for j, (_, p) in enumerate(check.params) if isinstance(p, pl.Expr)]
            hits = evaluated.select(LINE, f"_m{i}", *columns).filter(pl.col(f"_m{i}"))
            if hits.height == 0:
                continue
            values = [hits.get_column(LINE).to_list()] + [hits.get_column(c).to_list() for c in columns]
            for row in zip(*values, strict=True):
                computed = iter(row[1:])
                params = tuple(
                    (name, _param(next(computed)) if isinstance(p, pl.Expr) else p)
                    for name, p in check.params
                )
                problem = Problem(
                    code=check.code, params=params, file=self.file, line=row[0], severity=check.severity
                )
                located.append((row[0], i, problem))
        located.sort(key=lambda t: (t[0], t[1]))
        return tuple(p for _, _, p in located), good


def _param(value: object) -> str:
    return "" if value is None else str(value)


def normalized(frame: pl.DataFrame) -> pl.DataFrame:
    """Trimmed cells, empty ones null (a Table from ingest already is; a hand-built one may not be)."""
    cols = [c for c, t in frame.schema.items() if c != LINE and t == pl.String]
    return frame.with_columns(
        [
            pl.when(pl.col(c).str.strip_chars() == "")
            .then(None)
            .otherwise(pl.col(c).str.strip_chars())
            .alias(c)
            for c in cols
        ]
    )


def broken(table: Table) -> bool:
    """A table with a file-level error (missing column…): its problems are the whole answer, the
    rows are not checked (every row would only repeat the missing column)."""
    return not table.ok
