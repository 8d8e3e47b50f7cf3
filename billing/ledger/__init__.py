"""The ledger: payments allocated to bills, late fees, balances and arrears of one unit (pure).

Everything here works on one unit's bills (`LedgerBill`) and payments (`LedgerPayment`), with
the date (`as_of`) passed in. It imports only `billing.domain`: no files, no database, no clock.

- `allocate`: payments to bills in period order, principal before the bill's own late-fee line;
  what is left over is a credit, used by bills issued later as of their issue date.
- `accrue_late_fee` / `late_fee_to_charge`: the exact accrual A_b(D), the rounded and capped
  fee F_b(D), and what a run at D charges (F_b(D) − C_b) (CONTRACT §3).
- `balance`: billed, paid, outstanding and late fee accrued but not charged (CONTRACT §4).
- `unit_arrears`: unpaid amounts per overdue bill, days past due and age bucket.
"""

from billing.ledger.allocation import Allocation, AppliedAmount, BillAllocation, Part, allocate
from billing.ledger.arrears import (
    AgeBucket,
    BillArrears,
    UnitArrears,
    age_bucket,
    days_past_due,
    unit_arrears,
)
from billing.ledger.balance import UnitBalance, balance
from billing.ledger.late_fee import (
    LateFeeStretch,
    LateFeeWorking,
    accrue_late_fee,
    late_fee_to_charge,
    late_fee_workings,
)
from billing.ledger.records import LateFeePolicy, LedgerBill, LedgerPayment

__all__ = [
    "AgeBucket",
    "Allocation",
    "AppliedAmount",
    "BillAllocation",
    "BillArrears",
    "LateFeePolicy",
    "LateFeeStretch",
    "LateFeeWorking",
    "LedgerBill",
    "LedgerPayment",
    "Part",
    "UnitArrears",
    "UnitBalance",
    "accrue_late_fee",
    "age_bucket",
    "allocate",
    "balance",
    "days_past_due",
    "late_fee_to_charge",
    "late_fee_workings",
    "unit_arrears",
]
