"""Consumption of one meter in one period: multiplier, rollover and meter change (CONTRACT §3).

Lives in domain because both the import validation and the rating engine need it. The Problem
it returns carries only its code and params (meter_id included); callers attach file and line,
or the unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.domain.problem import Problem
from billing.domain.records import MeterPeriod

_NINE_TENTHS = Decimal("0.9")
_ONE_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True, kw_only=True)
class Consumption:
    """`quantity` is × multiplier and None when the readings are wrong (`problem` is then an error);
    `raw` is the register difference before the multiplier."""

    quantity: Decimal | None
    raw: Decimal
    rollover: bool = False
    changed: bool = False
    problem: Problem | None = None


def meter_consumption(mp: MeterPeriod) -> Consumption:
    """The consumption of `mp.meter` between its previous and current reading.

    >>> from billing.domain.records import Meter, Scope, Utility
    >>> m = Meter(meter_id="W", utility=Utility.WATER, scope=Scope.UNIT, digits=4)
    >>> c = meter_consumption(MeterPeriod(meter=m, previous=Decimal(9990), previous_date=None,
    ...                                   current=Decimal(5), current_date=None))
    >>> c.quantity, c.rollover, c.problem.code
    (Decimal('15'), True, 'ROLLOVER')
    """
    meter = mp.meter
    previous = mp.previous
    reading = mp.current
    multiplier = meter.multiplier
    change = mp.change

    if change is not None:
        raw = (change.old_final - previous) + (reading - change.new_initial)
        if change.old_final < previous:
            problem = Problem.error(
                "CHANGE_BELOW_PREVIOUS",
                meter_id=meter.meter_id,
                old_final=change.old_final,
                previous=previous,
            )
            return Consumption(quantity=None, raw=raw, changed=True, problem=problem)
        if reading < change.new_initial:
            problem = Problem.error(
                "READING_BELOW_NEW_INITIAL",
                meter_id=meter.meter_id,
                reading=reading,
                new_initial=change.new_initial,
            )
            return Consumption(quantity=None, raw=raw, changed=True, problem=problem)
        return Consumption(quantity=raw * multiplier, raw=raw, changed=True)

    if reading >= previous:
        raw = reading - previous
        return Consumption(quantity=raw * multiplier, raw=raw)

    digits = meter.digits
    if digits is not None and digits > 0:
        full = Decimal(10) ** digits
        wrapped = reading + full - previous
        # The last test keeps a reading above the register's range (bad data) from becoming a
        # negative "rollover": it stays a decrease.
        if previous >= _NINE_TENTHS * full and reading < _ONE_TENTH * full and wrapped >= 0:
            quantity = wrapped * multiplier
            problem = Problem.warning(
                "ROLLOVER",
                meter_id=meter.meter_id,
                reading=reading,
                previous=previous,
                digits=digits,
                consumption=quantity,
            )
            return Consumption(quantity=quantity, raw=wrapped, rollover=True, problem=problem)

    problem = Problem.error("READING_DECREASED", meter_id=meter.meter_id, reading=reading, previous=previous)
    return Consumption(quantity=None, raw=reading - previous, problem=problem)
