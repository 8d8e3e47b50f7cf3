"""Short constructors for the ledger tests: amounts as text, dates as ISO text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.domain.money import RoundingMode
from billing.domain.period import Period
from billing.ledger import LateFeePolicy, LedgerBill, LedgerPayment

CONTRACT_DEFAULTS = LateFeePolicy(
    daily_rate=Decimal("0.0005"), grace_days=0, cap_ratio=Decimal(1), rounding=RoundingMode.HALF_UP
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def bill(
    bill_id: int,
    period: str,
    principal: str,
    *,
    issued: str,
    due: str,
    late_fee_line: str = "0",
    charged: str = "0",
) -> LedgerBill:
    return LedgerBill(
        bill_id=bill_id,
        period=Period.parse(period),
        issue_date=d(issued),
        due_date=d(due),
        principal=Decimal(principal),
        late_fee_line=Decimal(late_fee_line),
        late_fee_charged=Decimal(charged),
    )


def pay(payment_id: int, on: str, amount: str) -> LedgerPayment:
    return LedgerPayment(payment_id=payment_id, pay_date=d(on), amount=Decimal(amount))
