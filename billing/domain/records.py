"""The records of the estate: units, meters, readings, meter changes, payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.domain.period import Period


class UnitKind(StrEnum):
    RESIDENCE = "residence"
    SHOP = "shop"


class Utility(StrEnum):
    WATER = "water"
    ELECTRICITY = "electricity"


class Scope(StrEnum):
    UNIT = "unit"
    COMMON = "common"
    MASTER = "master"


class PaymentMethod(StrEnum):
    CASH = "cash"
    TRANSFER = "transfer"
    POS = "pos"
    DEBIT = "debit"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unit:
    unit_id: str
    building: str
    floor: int | None
    kind: UnitKind
    area_m2: Decimal
    handover_date: date | None
    owner_name: str | None = None
    phone: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    account_name: str | None = None
    debit: bool = False

    def billable_in(self, period: Period) -> bool:
        """Billable when handed over on or before the last day of the period (CONTRACT §3)."""
        return self.handover_date is not None and self.handover_date <= period.last_day


@dataclass(frozen=True, slots=True, kw_only=True)
class Meter:
    meter_id: str
    utility: Utility
    scope: Scope
    unit_id: str | None = None
    parent_id: str | None = None
    multiplier: Decimal = Decimal(1)
    digits: int | None = None
    initial_reading: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    meter_id: str
    period: Period
    reading: Decimal
    read_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterChange:
    meter_id: str
    change_date: date
    old_final: Decimal
    new_initial: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterPeriod:
    """What rating needs of one meter in one period: its readings either side and any change."""

    meter: Meter
    previous: Decimal
    previous_date: date | None
    current: Decimal
    current_date: date | None
    change: MeterChange | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Deposit:
    """One deposit slip: money received at the counter or by transfer for a unit."""

    pay_date: date
    slip_no: str
    unit_id: str
    payer: str
    amount: Decimal
    method: PaymentMethod
