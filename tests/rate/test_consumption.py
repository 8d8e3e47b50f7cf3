"""Meter consumption: multiplier, rollover, decreases and meter changes (CONTRACT §3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.domain.consumption import meter_consumption
from billing.domain.problem import Severity
from billing.domain.records import Scope

from .builders import E, W, meter_period

D = Decimal


def test_plain_difference() -> None:
    # 2710 − 2500 = 210
    c = meter_consumption(meter_period("E-1-101", E, "2500", "2710", unit_id="1-101"))
    assert (c.quantity, c.raw, c.rollover, c.changed, c.problem) == (D(210), D(210), False, False, None)


def test_multiplier_applies_after_the_difference() -> None:
    # (420.5 − 400) × 20 = 20.5 × 20 = 410.0
    c = meter_consumption(meter_period("E-SH-01", E, "400", "420.5", unit_id="SH-01", multiplier="20"))
    assert c.raw == D("20.5")
    assert c.quantity == D("410.0")


def test_unchanged_reading_is_zero() -> None:
    c = meter_consumption(meter_period("W1", W, "88", "88", unit_id="u"))
    assert c.quantity == 0 and c.problem is None


def test_rollover_of_a_four_digit_register() -> None:
    # 9990 ≥ 0.9 × 10⁴ = 9000 and 5 < 0.1 × 10⁴ = 1000: 5 + 10000 − 9990 = 15
    c = meter_consumption(meter_period("W1", W, "9990", "5", unit_id="u", digits=4))
    assert (c.quantity, c.raw, c.rollover) == (D(15), D(15), True)
    assert c.problem is not None
    assert c.problem.code == "ROLLOVER"
    assert c.problem.severity is Severity.WARNING
    assert dict(c.problem.params) == {
        "meter_id": "W1",
        "reading": "5",
        "previous": "9990",
        "digits": "4",
        "consumption": "15",
    }
    # Problems from here carry no place: the caller attaches file/line or unit.
    assert (c.problem.file, c.problem.line, c.problem.unit) == (None, None, None)


def test_rollover_with_multiplier() -> None:
    # (3 + 10000 − 9995) × 10 = 8 × 10 = 80
    c = meter_consumption(meter_period("E1", E, "9995", "3", unit_id="u", digits=4, multiplier="10"))
    assert (c.raw, c.quantity) == (D(8), D(80))


def test_rollover_at_the_exact_thresholds() -> None:
    # previous exactly 0.9 × 10⁴ counts: 999 + 10000 − 9000 = 1999
    c = meter_consumption(meter_period("W1", W, "9000", "999", unit_id="u", digits=4))
    assert c.quantity == D(1999) and c.rollover
    # reading exactly 0.1 × 10⁴ does not: it is a decrease
    c = meter_consumption(meter_period("W1", W, "9000", "1000", unit_id="u", digits=4))
    assert c.quantity is None and c.problem is not None and c.problem.code == "READING_DECREASED"


@pytest.mark.parametrize(
    ("previous", "reading", "digits"),
    [
        ("9990", "1500", 4),  # reading not near zero (1500 ≥ 1000)
        ("8000", "5", 4),  # previous not near the top (8000 < 9000)
        ("9990", "5", None),  # no digits: a rollover cannot be told from a mistake
        ("12000", "5", 4),  # previous beyond the register: 5 + 10000 − 12000 < 0
    ],
)
def test_a_decrease_that_is_not_a_rollover_is_an_error(
    previous: str, reading: str, digits: int | None
) -> None:
    c = meter_consumption(meter_period("W1", W, previous, reading, unit_id="u", digits=digits))
    assert c.quantity is None
    assert c.problem is not None
    assert c.problem.code == "READING_DECREASED" and c.problem.is_error
    assert dict(c.problem.params) == {"meter_id": "W1", "reading": reading, "previous": previous}
    assert c.raw == D(reading) - D(previous)


def test_meter_change_adds_the_old_and_the_new_meter() -> None:
    # (418 − 410) + (7 − 0) = 8 + 7 = 15
    c = meter_consumption(
        meter_period("W1-102", W, "410", "7", unit_id="1-102", change=("2026-10-20", "418", "0"))
    )
    assert (c.quantity, c.raw, c.changed, c.rollover, c.problem) == (D(15), D(15), True, False, None)


def test_meter_change_with_multiplier_and_non_zero_start() -> None:
    # ((1250 − 1200) + (35 − 20)) × 2 = (50 + 15) × 2 = 130
    mp = meter_period("E1", E, "1200", "35", unit_id="u", multiplier="2", change=("2026-10-05", "1250", "20"))
    assert meter_consumption(mp).quantity == D(130)


def test_meter_change_below_previous() -> None:
    c = meter_consumption(meter_period("W1", W, "410", "7", unit_id="u", change=("2026-10-20", "400", "0")))
    assert c.quantity is None and c.problem is not None
    assert c.problem.code == "CHANGE_BELOW_PREVIOUS"
    assert dict(c.problem.params) == {"meter_id": "W1", "old_final": "400", "previous": "410"}


def test_reading_below_the_new_meters_start() -> None:
    c = meter_consumption(meter_period("W1", W, "410", "3", unit_id="u", change=("2026-10-20", "418", "5")))
    assert c.quantity is None and c.problem is not None
    assert c.problem.code == "READING_BELOW_NEW_INITIAL"
    assert dict(c.problem.params) == {"meter_id": "W1", "reading": "3", "new_initial": "5"}


def test_master_meters_are_measured_the_same_way() -> None:
    # 11340 − 10000 = 1340
    c = meter_consumption(meter_period("E1-M", E, "10000", "11340", scope=Scope.MASTER))
    assert c.quantity == D(1340)
