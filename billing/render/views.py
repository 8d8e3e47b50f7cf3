"""What the notice templates are given: frozen views holding finished numbers.

The pipeline builds these from the issued bills; the templates only place them. Amounts are
`Decimal`s already rounded to the fen (the template formats them with two decimals and
thousands separators); readings, quantities, prices and areas are strings exactly as they
should be printed. Nothing here is recomputed: the total printed is `NoticeView.total`.

A view checks on construction that its amounts are whole fen and that its lines add up to
its totals, so that a notice can never show figures that do not reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain.money import ZERO
from billing.domain.period import Period


def _check_money(name: str, amount: object) -> None:
    if not isinstance(amount, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{name} must be a whole number of fen, got {amount}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CompanyView:
    """The sender, from settings.toml (`company` and `[contact]`)."""

    name: str
    phone: str
    address: str
    counter_hours: str
    bank_name: str
    bank_account: str
    account_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TierView:
    """One tier a consumption falls into: `label` e.g. "第1档 0–15", quantity and price as printed."""

    label: str
    quantity: str
    price: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterChangeView:
    change_date: date
    old_final: str
    new_initial: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterView:
    """One meter's readings. With a change, `previous`→`old_final` on the old meter and
    `new_initial`→`current` on the new one; with a rollover, the register passed 10^digits."""

    meter_id: str
    previous: str
    current: str
    multiplier: str
    consumption: str
    rollover_digits: int | None = None
    change: MeterChangeView | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MeteredLine:
    """A water or electricity line: its meters, the unit's consumption, the tiers, the amount."""

    label: str  # 水费 / 电费
    measure: str  # m³ / kWh
    meters: tuple[MeterView, ...]
    consumption: str
    tiers: tuple[TierView, ...]
    amount: Decimal

    def __post_init__(self) -> None:
        _check_money(f"{self.label} amount", self.amount)


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedLine:
    """The unit's share of a master meter's shared consumption (公摊)."""

    label: str  # 公摊水费 / 公摊电费
    measure: str
    shared_quantity: str  # Q of the master meter
    basis: str  # 按面积 / 按用量 / 平均
    share_quantity: str  # the unit's share of Q, 3 decimals
    price: str
    amount: Decimal

    def __post_init__(self) -> None:
        _check_money(f"{self.label} amount", self.amount)


@dataclass(frozen=True, slots=True, kw_only=True)
class ManagementLine:
    """Area × monthly price, × days/days_in_month in the handover month (both or neither)."""

    area: str
    price: str
    amount: Decimal
    days: int | None = None
    days_in_month: int | None = None

    def __post_init__(self) -> None:
        _check_money("management amount", self.amount)
        if (self.days is None) != (self.days_in_month is None):
            raise ValueError("a pro-rated management fee needs both days and days_in_month")


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustmentLine:
    """A correction charged (or credited, < 0) on this bill, with the clerk's reason."""

    reason: str
    amount: Decimal
    label: str = "调整"

    def __post_init__(self) -> None:
        _check_money("adjustment amount", self.amount)


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitView:
    """A direct-debit owner: only the last four digits of the account ever reach a notice."""

    bank_name: str
    account_tail: str
    debit_date: date

    def __post_init__(self) -> None:
        if len(self.account_tail) != 4 or not self.account_tail.isdigit():
            raise ValueError("account_tail is the last 4 digits of the account")

    @classmethod
    def from_account(cls, *, bank_name: str, account: str, debit_date: date) -> DebitView:
        """>>> DebitView.from_account(bank_name="工行", account="6222020200001234", debit_date=date(2026, 11, 16)).account_tail
        '1234'
        """
        return cls(bank_name=bank_name, account_tail=account[-4:], debit_date=debit_date)


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeView:
    """One unit's payment notice for one period.

    `bill_total` is this period's bill (every line above, late fee and adjustments included);
    `earlier_balance` what earlier bills still owe (negative: a credit); `total` what the owner
    is asked to pay, printed in figures and in capitals. Checked: the lines add up to
    `bill_total` and `bill_total + earlier_balance == total`.
    """

    company: CompanyView
    period: Period
    issue_date: date
    due_date: date
    unit_id: str
    building: str
    floor: int | None
    owner_name: str
    kind: str  # 住宅 / 商铺
    area_m2: str
    metered: tuple[MeteredLine, ...] = ()
    shared: tuple[SharedLine, ...] = ()
    management: ManagementLine | None = None
    adjustments: tuple[AdjustmentLine, ...] = ()
    late_fee: Decimal = ZERO
    bill_total: Decimal
    earlier_balance: Decimal = ZERO
    total: Decimal
    reference: str  # the payment reference, also in the QR code
    debit: DebitView | None = None

    def __post_init__(self) -> None:
        for name in ("late_fee", "bill_total", "earlier_balance", "total"):
            _check_money(name, getattr(self, name))
        lines = (
            sum((m.amount for m in self.metered), ZERO)
            + sum((s.amount for s in self.shared), ZERO)
            + (self.management.amount if self.management else ZERO)
            + sum((a.amount for a in self.adjustments), ZERO)
            + self.late_fee
        )
        if lines != self.bill_total:
            raise ValueError(f"{self.unit_id}: the lines add up to {lines}, bill_total is {self.bill_total}")
        if self.bill_total + self.earlier_balance != self.total:
            raise ValueError(
                f"{self.unit_id}: bill_total {self.bill_total} + earlier_balance "
                f"{self.earlier_balance} is not total {self.total}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildingNotices:
    """The notices of one building for one period, in any order (rendering sorts them)."""

    building: str
    period: Period
    notices: tuple[NoticeView, ...]

    def __post_init__(self) -> None:
        for notice in self.notices:
            if notice.building != self.building or notice.period != self.period:
                raise ValueError(f"{notice.unit_id} is not a notice of {self.building} {self.period}")
