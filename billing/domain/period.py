"""Billing periods (calendar months) and the dates that hang on them."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A billing month, written `YYYY-MM`.

    >>> p = Period.parse("2026-02")
    >>> p.days, p.last_day, str(p.next())
    (28, datetime.date(2026, 2, 28), '2026-03')
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"not a period: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD.match(text.strip())
        if not m:
            raise ValueError(f"not a period (YYYY-MM): {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def prev(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def due_date(self, due_day: int) -> date:
        """Day `due_day` of the month after the period (CONTRACT §3)."""
        nxt = self.next()
        return date(nxt.year, nxt.month, due_day)


def parse_date(text: str) -> date:
    """A `YYYY-MM-DD` date; raises ValueError otherwise (2026-02-30 included)."""
    return date.fromisoformat(text.strip())


def days_between(first: date, last: date) -> int:
    """Days from first to last, both included (0 when last is before first)."""
    return max(0, (last - first).days + 1)


ONE_DAY = timedelta(days=1)
