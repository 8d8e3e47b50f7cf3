"""Management fee (物业管理费): price per m² × area, pro-rated by day in the handover month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.domain.money import ZERO
from billing.domain.period import Period, days_between


def management_fee(
    area: Decimal, price: Decimal, period: Period, handover_date: date | None
) -> tuple[Decimal, int, int]:
    """(exact fee, days billed, days in month) for `period`.

    In the handover month: price × area × (days from handover to month end, both included)
    ÷ days in month, left exact — the bill line rounds it once. Before it: the full fee. Not
    handed over by the end of the period: (0, 0, days in month).

    >>> fee, billed, days = management_fee(Decimal(95), Decimal("2.20"), Period(2026, 10), date(2026, 10, 10))
    >>> billed, days, round(fee, 4)        # 95 × 2.20 × 22 / 31
    (22, 31, Decimal('148.3226'))
    """
    days_in_month = period.days
    last_day = date(period.year, period.month, days_in_month)
    if handover_date is None or handover_date > last_day:
        return ZERO, 0, days_in_month
    full = price * area
    if handover_date <= period.first_day:
        return full, days_in_month, days_in_month
    days_billed = days_between(handover_date, last_day)
    # Multiply first so the one inexact step, the division, comes last.
    return full * days_billed / days_in_month, days_billed, days_in_month
