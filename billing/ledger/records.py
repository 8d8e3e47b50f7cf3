"""What the ledger works on: one unit's bills and payments, and the late-fee policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain.money import RoundingMode
from billing.domain.period import Period


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerBill:
    """One issued bill, as the ledger sees it.

    - `principal`: all its lines but `late_fee`, as issued (adjustments included); P_b.
    - `late_fee_line`: the `late_fee` line printed on THIS bill (it charges for older bills).
    - `late_fee_charged`: C_b, what has been charged so far FOR this bill, on later bills. The
      caller decides which charges count (e.g. for a balance as of a past date, only those on
      bills issued on or before it).
    """

    bill_id: int
    period: Period
    issue_date: date
    due_date: date
    principal: Decimal
    late_fee_line: Decimal = Decimal(0)
    late_fee_charged: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerPayment:
    """Money received for the unit (counter, transfer or a successful debit), on its date."""

    payment_id: int
    pay_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class LateFeePolicy:
    """`[late_fee]` and `[rounding]` of settings.toml; defaults are the contract's."""

    daily_rate: Decimal = Decimal("0.0005")
    grace_days: int = 0
    cap_ratio: Decimal = Decimal(1)
    rounding: RoundingMode = RoundingMode.HALF_UP
