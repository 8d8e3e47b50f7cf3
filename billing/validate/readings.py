"""The readings file of one period: one reading per meter.

Built for a million rows: the column checks are polars expressions; the consumption of the
ordinary row (no meter change, reading ≥ previous, whole multiplier) is computed in polars'
exact Decimal; only the rows where the reading went down, the meter was changed, or the numbers
need more than polars' fixed scale go through `meter_consumption`, one by one. The valid
readings come back as a frame (`ValidatedReadings.frame`); `records` turns it into `Reading`s
when a caller wants objects.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from billing.domain.consumption import meter_consumption
from billing.domain.period import Period
from billing.domain.problem import Problem, Severity, has_errors
from billing.domain.records import Meter, MeterChange, MeterPeriod, Reading
from billing.ingest.table import LINE, Table
from billing.validate.checks import Checks, Number, canonical, date_value, is_date, member, present

SPIKE_FACTOR = 5
_READING = Number("reading", max_int=12, max_frac=6)
_SCALE = _READING.max_frac
_DECIMAL = pl.Decimal(38, _SCALE)
_SHOWN = Decimal("0.001")  # how an average is shown in a message

FRAME_SCHEMA = {"meter_id": pl.String, "reading": pl.String, "read_date": pl.Date, LINE: pl.Int64}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadingContext:
    """What the database knows when the readings of `period` come in.

    - `issued`: the period is already billed (PERIOD_ISSUED: nothing is checked or imported);
    - `meters`: every stored meter (an unknown meter_id is UNKNOWN_METER);
    - `previous`: per meter, its last reading before `period` and that reading's date; a meter
      missing here starts from its `initial_reading`;
    - `changes`: the meter change in `period`, per meter;
    - `average`: per meter, its trailing 3-month average consumption (× multiplier); a meter
      missing here, or with 0, has no history and is not checked for a spike.

    For a million meters the same knowledge comes as frames instead (`ReadingBasis`): then
    `meters`, `previous` and `average` are left empty and `basis.details` gives them for the few
    meters whose rows are worked out one by one.
    """

    period: Period
    issued: bool = False
    meters: Mapping[str, Meter] = field(default_factory=dict)
    previous: Mapping[str, tuple[Decimal, date | None]] = field(default_factory=dict)
    changes: Mapping[str, MeterChange] = field(default_factory=dict)
    average: Mapping[str, Decimal] = field(default_factory=dict)
    basis: ReadingBasis | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Details:
    """`meters`, `previous` and `average` as in `ReadingContext`, for some meters."""

    meters: Mapping[str, Meter]
    previous: Mapping[str, tuple[Decimal, date | None]]
    average: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ReadingBasis:
    """What the database knows of every meter, as frames of text (no Python object per meter).

    - `meters`: `meter_id`, `multiplier` and `previous` (its last reading before the period, else
      its initial reading) of every stored meter (at least those the file names);
    - `history`: `meter_id` and one column per month of `months` (oldest first, consecutive,
      ending the month before the period) holding the meter's reading of that month, or null;
      empty months when there is no history to average;
    - `details(ids)`: the `Details` of these meters, for the rows that go through
      `meter_consumption` one by one and the few possible spikes.
    """

    meters: pl.DataFrame
    history: pl.DataFrame
    months: tuple[str, ...]
    details: Callable[[Sequence[str]], Details]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ValidatedReadings:
    """The outcome of validating a readings file.

    `frame` holds the readings without an error, in file order: `meter_id` (String), `reading`
    (String: the canonical decimal text, e.g. "310.8"; `Decimal(text)` is exact), `read_date`
    (Date, null when not given) and `_line` (Int64). It is the fast way to store a million
    readings; `records` builds the `Reading` objects from it (each time it is called).
    """

    file: str
    period: Period
    frame: pl.DataFrame
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

    @property
    def records(self) -> tuple[Reading, ...]:
        return tuple(
            Reading(meter_id=m, period=self.period, reading=Decimal(r), read_date=d)
            for m, r, d in self.frame.select("meter_id", "reading", "read_date").iter_rows()
        )

    @property
    def lines(self) -> tuple[int, ...]:
        return tuple(self.frame.get_column(LINE).to_list())


def validate_readings(table: Table, context: ReadingContext) -> ValidatedReadings:
    """Every problem of every row of a readings file for `context.period`, and its valid readings.

    meter_id a known meter, once in the file; reading a number ≥ 0; read_date a date (a warning
    when it is outside the period and the month after it). Against the previous reading:
    a decrease is READING_DECREASED, or the warning ROLLOVER when the meter's digits allow it; a
    meter change of the period is rated through it (CONTRACT §3). A consumption over 5 × the
    meter's trailing 3-month average is the warning CONSUMPTION_SPIKE.
    """
    period = context.period
    empty = pl.DataFrame(schema=FRAME_SCHEMA)
    if not table.ok:
        return ValidatedReadings(file=table.file, period=period, frame=empty, problems=table.problems)
    if context.issued:
        problem = Problem.error("PERIOD_ISSUED", file=table.file, period=period)
        return ValidatedReadings(file=table.file, period=period, frame=empty, problems=(problem,))

    c = Checks(table)
    c.prepare(_READING)
    c.frame = _with_history(c.frame, context)
    known = pl.col("_known")

    c.required("meter_id")
    c.add(present("meter_id") & ~known, "UNKNOWN_METER", meter_id=pl.col("meter_id"))
    c.unique([pl.col("meter_id")], key=pl.col("meter_id"))
    c.required("reading")
    c.number(_READING, minimum="0")
    c.date("read_date")
    read_date = pl.col("read_date").str.to_date("%Y-%m-%d", strict=False)
    near = read_date.is_between(period.first_day, period.next().last_day)
    c.warn(
        is_date("read_date") & ~near, "READING_DATE_OUTSIDE", value=pl.col("read_date"), period=str(period)
    )
    checked, good = c.run()

    good = good.with_columns(
        _READING.canonical.alias("_text"),
        _READING.value.alias("_value"),
        date_value("read_date").alias("_date"),
    )
    # The rows the vectorised rule cannot settle exactly go through meter_consumption.
    one_by_one = (
        pl.col("_changed")
        | (pl.col("_value") < pl.col("_previous"))
        | pl.col("_previous").is_null()
        | pl.col("_multiplier").is_null()
    )
    slow = good.filter(one_by_one)
    fast = good.filter(~one_by_one)
    candidates = _spike_candidates(fast)
    details = (
        Details(meters=context.meters, previous=context.previous, average=context.average)
        if context.basis is None
        else _details(context.basis, slow, candidates)
    )

    problems: list[Problem] = list(checked)
    refused = _consumption_one_by_one(slow, context, details, table.file, problems)
    _spikes(candidates, details, table.file, problems)

    kept = good.filter(~pl.col(LINE).is_in(pl.Series(refused, dtype=pl.Int64).implode())) if refused else good
    if not kept.get_column(LINE).is_sorted():  # rows come in file order: a sort is rarely needed
        kept = kept.sort(LINE)
    frame = kept.select(
        pl.col("meter_id"), pl.col("_text").alias("reading"), pl.col("_date").alias("read_date"), pl.col(LINE)
    )
    problems.sort(key=lambda p: p.line or 0)  # stable: within a line, the order found
    return ValidatedReadings(file=table.file, period=period, frame=frame, problems=tuple(problems))


def _details(basis: ReadingBasis, slow: pl.DataFrame, candidates: pl.DataFrame) -> Details:
    ids = pl.concat([slow.get_column("meter_id"), candidates.get_column("meter_id")]).unique().sort()
    return basis.details(ids.to_list()) if ids.len() else Details(meters={}, previous={}, average={})


def _with_history(frame: pl.DataFrame, context: ReadingContext) -> pl.DataFrame:
    """Per row: `_known`, `_changed`, `_previous` (Decimal: the stored reading, else the initial
    reading; null when the fast path cannot hold it exactly), `_multiplier` (Int64, null when not
    whole) and what `_spike_candidates` needs of the average.

    Built from the context's frames, or from its mappings column by column (keys and values
    straight into series), not by looking each row up: a million rows take a fraction of a second.
    """
    if context.basis is not None:
        joined = _joined_basis(frame, context.basis)
    else:
        joined = _joined_mappings(frame, context)
    return joined.with_columns(
        member(pl.col("meter_id"), context.changes).fill_null(False).alias("_changed"),
        # exact only within the scale: a finer stored value takes the one-by-one path (null here)
        pl.when(pl.col("_prev_text").str.contains(_FITS))
        .then(pl.col("_prev_text").cast(_DECIMAL, strict=False))
        .alias("_previous"),
        pl.when(pl.col("_mult_text").str.contains(r"^[0-9]{1,9}(\.0*)?$"))
        .then(pl.col("_mult_text").str.extract(r"^([0-9]+)", 1).cast(pl.Int64))
        .alias("_multiplier"),
    ).drop("_prev_text", "_mult_text")


_FITS = rf"^[0-9]{{1,20}}(\.[0-9]{{0,{_SCALE}}})?$"


def _joined_mappings(frame: pl.DataFrame, context: ReadingContext) -> pl.DataFrame:
    meters, previous, average = context.meters, context.previous, context.average
    strings = {"meter_id": pl.String}
    # nearly every multiplier is 1: only the others are joined
    other = [(m, str(meter.multiplier)) for m, meter in meters.items() if meter.multiplier != 1]
    multipliers = pl.DataFrame(
        {"meter_id": [m for m, _ in other], "_mult_text": [t for _, t in other]},
        schema={**strings, "_mult_text": pl.String},
    )
    # A meter without a stored reading starts from its initial reading (the first period of all).
    # Skipped when every meter seems to have one: a row missing here still gets its initial
    # reading on the one-by-one path, so this only saves time.
    first = (
        [(m, str(meter.initial_reading)) for m, meter in meters.items() if m not in previous]
        if len(previous) < len(meters)
        else []
    )
    prev = pl.DataFrame(
        {
            "meter_id": list(previous) + [m for m, _ in first],
            "_prev_text": [str(v[0]) for v in previous.values()] + [t for _, t in first],
        },
        schema={**strings, "_prev_text": pl.String},
    )
    # str() of a Decimal uses an exponent for very small values; those few get the long form
    avg_texts = [str(v) for v in average.values()]
    avg_texts = [
        t if "E" not in t else format(v, "f") for t, v in zip(avg_texts, average.values(), strict=True)
    ]
    avg = pl.DataFrame(
        {"meter_id": list(average), "_avg_text": avg_texts}, schema={**strings, "_avg_text": pl.String}
    )
    joined = (
        frame.join(prev, on="meter_id", how="left", maintain_order="left")
        .join(avg, on="meter_id", how="left", maintain_order="left")
        .join(multipliers, on="meter_id", how="left", maintain_order="left")
        .with_columns(
            member(pl.col("meter_id"), meters).fill_null(False).alias("_known"),
            pl.col("_mult_text").fill_null("1"),
        )
    )
    return joined.with_columns(
        # the average cut to the scale: see _spike_candidates
        pl.col("_avg_text")
        .str.extract(rf"^([0-9]*(\.[0-9]{{0,{_SCALE}}})?)", 1)
        .cast(_DECIMAL, strict=False)
        .alias("_avg_low"),
        pl.col("_avg_text").str.contains(r"^[0-9.]*[1-9]").fill_null(False).alias("_avg_positive"),
    ).drop("_avg_text")


def _joined_basis(frame: pl.DataFrame, basis: ReadingBasis) -> pl.DataFrame:
    meters = basis.meters.select(
        "meter_id",
        pl.col("multiplier").alias("_mult_text"),
        pl.col("previous").alias("_prev_text"),
        pl.lit(True).alias("_known"),
    )
    joined = frame.join(meters, on="meter_id", how="left", maintain_order="left").with_columns(
        pl.col("_known").fill_null(False)
    )
    months = basis.months
    if len(months) < 2:
        return joined.with_columns(
            pl.lit(0, dtype=pl.Int64).alias("_hist_n"),
            pl.lit(None, dtype=_DECIMAL).alias("_hist_sum"),
            pl.lit(False).alias("_hist_unsure"),
        )
    # The trailing average, as trailing_average works it out, without dividing: per consecutive
    # pair of months with both readings and no decrease, the month's use; its sum and count.
    # Worked out in steps, each column once (a month missing from the frame has no pair).
    there = [m for m in months if m in basis.history.columns]
    pairs = [(a, b) for a, b in itertools.pairwise(months) if a in there and b in there]
    fits = basis.history.select(
        "meter_id",
        *(pl.col(m).str.contains(_FITS).alias(f"_fits{i}") for i, m in enumerate(there)),
        *(pl.col(m) for m in there),
    )
    values = fits.select(
        "meter_id",
        *(
            pl.when(pl.col(f"_fits{i}")).then(pl.col(m).cast(_DECIMAL, strict=False)).alias(m)
            for i, m in enumerate(there)
        ),
        (
            pl.any_horizontal([pl.col(m).is_not_null() & ~pl.col(f"_fits{i}") for i, m in enumerate(there)])
            if there
            else pl.lit(False)
        ).alias("_hist_unsure"),
    )
    used = values.select(
        "meter_id",
        "_hist_unsure",
        *(
            pl.when(pl.col(b) >= pl.col(a)).then(pl.col(b) - pl.col(a)).alias(f"_used{k}")
            for k, (a, b) in enumerate(pairs)
        ),
    )
    parts = [pl.col(f"_used{k}") for k in range(len(pairs))]
    zero = pl.lit(0).cast(_DECIMAL)
    history = used.select(
        "meter_id",
        (pl.sum_horizontal([u.fill_null(zero) for u in parts]).cast(_DECIMAL) if parts else zero).alias(
            "_hist_sum"
        ),
        (pl.sum_horizontal([u.is_not_null().cast(pl.Int64) for u in parts]) if parts else pl.lit(0)).alias(
            "_hist_n"
        ),
        pl.col("_hist_unsure").fill_null(False),
    )
    return joined.join(history, on="meter_id", how="left", maintain_order="left").with_columns(
        pl.col("_hist_n").fill_null(0).cast(pl.Int64), pl.col("_hist_unsure").fill_null(False)
    )


def _consumption_one_by_one(
    slow: pl.DataFrame, context: ReadingContext, details: Details, file: str, out: list[Problem]
) -> list[int]:
    """meter_consumption for each row; its problem located at the row; returns the refused lines."""
    refused: list[int] = []
    for meter_id, text, day, line in slow.select("meter_id", "_text", "_date", LINE).iter_rows():
        meter = details.meters[meter_id]
        prev = details.previous.get(meter_id)
        previous, previous_date = prev if prev is not None else (meter.initial_reading, None)
        result = meter_consumption(
            MeterPeriod(
                meter=meter,
                previous=previous,
                previous_date=previous_date,
                current=Decimal(text),
                current_date=day,
                change=context.changes.get(meter_id),
            )
        )
        if result.problem is not None:
            out.append(dataclasses.replace(result.problem, file=file, line=line))
            if result.problem.is_error:
                refused.append(line)
        if result.quantity is not None:
            average = details.average.get(meter_id)
            if average is not None and average > 0 and result.quantity > SPIKE_FACTOR * average:
                out.append(_spike(meter_id, result.quantity, average, file, line))
    return refused


def _spike_candidates(fast: pl.DataFrame) -> pl.DataFrame:
    """The rows that may be a CONSUMPTION_SPIKE (consumption > 5 × average), a few more than are:
    `meter_id`, `consumption` (text) and the line. `_spikes` decides with the exact average.

    From the mappings: with low = the average cut to the scale, consumption ≤ 5 × low is no spike.
    From the frames: with S the sum of n months' use, average = S × multiplier ÷ n, and
    consumption ≤ 5 × average − 1 (that is n × consumption ≤ 5 × S × multiplier − n) is no spike.
    """
    consumption = (pl.col("_value") - pl.col("_previous")) * pl.col("_multiplier")
    if "_hist_n" in fast.columns:
        n = pl.col("_hist_n").cast(_DECIMAL)
        bound = pl.col("_hist_sum") * pl.col("_multiplier") * SPIKE_FACTOR - n
        # a history finer than the scale (rare) is left to the exact average
        mask = pl.col("_hist_unsure") | (
            (pl.col("_hist_n") > 0) & (pl.col("_hist_sum") > 0) & (consumption * n > bound)
        )
    else:
        mask = pl.col("_avg_positive") & (consumption > pl.col("_avg_low") * SPIKE_FACTOR)
    return fast.filter(mask.fill_null(False)).select(
        "meter_id", consumption.cast(pl.String).alias("consumption"), LINE
    )


def _spikes(candidates: pl.DataFrame, details: Details, file: str, out: list[Problem]) -> None:
    """CONSUMPTION_SPIKE where the consumption is over 5 × the meter's exact average."""
    for meter_id, quantity, line in candidates.iter_rows():
        used = Decimal(quantity)
        average = details.average.get(meter_id)
        if average is not None and average > 0 and used > SPIKE_FACTOR * average:
            out.append(_spike(meter_id, used, average, file, line))


def _spike(meter_id: str, consumption: Decimal, average: Decimal, file: str, line: int) -> Problem:
    shown = average.quantize(_SHOWN, rounding=ROUND_HALF_UP)  # canonical() drops the padding zeros
    return Problem(
        code="CONSUMPTION_SPIKE",
        params=(
            ("meter_id", meter_id),
            ("consumption", canonical(consumption)),
            ("average", canonical(shown)),
        ),
        file=file,
        line=line,
        severity=Severity.WARNING,
    )
