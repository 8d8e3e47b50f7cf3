"""A unit's balance as of a date: the row of `billing export balances` (CONTRACT §4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain.money import ZERO
from billing.ledger.allocation import allocate
from billing.ledger.late_fee import accrue_late_fee
from billing.ledger.records import LateFeePolicy, LedgerBill, LedgerPayment


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitBalance:
    billed: Decimal
    paid: Decimal
    outstanding: Decimal  # billed − paid; negative for a credit
    late_fee_accrued: Decimal  # accrued, not yet charged


def balance(
    bills: Iterable[LedgerBill], payments: Iterable[LedgerPayment], as_of: date, policy: LateFeePolicy
) -> UnitBalance:
    """billed = Σ (principal + late_fee_line) of the bills issued on or before `as_of`;
    paid = Σ payments dated on or before it; outstanding = billed − paid;
    late_fee_accrued = Σ_b (F_b(as_of) − C_b) over those bills.

    C_b is each bill's `late_fee_charged` as given: the caller counts in it only the charges on
    bills issued on or before `as_of`. Each term is taken as at least 0 — exactly what a run at
    `as_of` would charge (`late_fee_to_charge`), so a payment recorded late does not show as a
    negative accrual.
    """
    issued = tuple(b for b in bills if b.issue_date <= as_of)
    paid_in = tuple(p for p in payments if p.pay_date <= as_of)
    billed = sum((b.principal + b.late_fee_line for b in issued), ZERO)
    paid = sum((p.amount for p in paid_in), ZERO)
    allocation = allocate(issued, paid_in)
    accrued = sum((accrue_late_fee(b, allocation, as_of, policy).to_charge for b in issued), ZERO)
    return UnitBalance(billed=billed, paid=paid, outstanding=billed - paid, late_fee_accrued=accrued)
