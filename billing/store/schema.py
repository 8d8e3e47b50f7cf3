"""The tables. Core `Table` objects, not ORM classes: hot paths write rows in bulk."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal kept as its text (readings, quantities, areas, multipliers)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal | int | str):
            raise TypeError(f"decimal columns take Decimal, not {type(value).__name__}")
        return str(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("scope", String(40), nullable=False, default=""),  # the period of a readings file, the bank…
    Column("file_name", String(400), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("kind", "scope", "sha256", name="uq_imports_content"),
)


def _unit_values() -> list[Column[Any]]:
    """The columns of a unit's values, shared by the unit row and its history rows."""
    return [
        Column("building", String(40), nullable=False),
        Column("floor", Integer),
        Column("kind", String(12), nullable=False),
        Column("area_m2", DecimalText, nullable=False),
        Column("handover_date", Date),
        Column("owner_name", String(100)),
        Column("phone", String(40)),
        Column("bank_name", String(100)),
        Column("bank_account", String(40)),
        Column("account_name", String(100)),
        Column("debit", Boolean, nullable=False, default=False),
    ]


units = Table(
    "units",
    metadata,
    Column("unit_id", String(40), primary_key=True),
    *_unit_values(),
    Column("import_id", ForeignKey("imports.id")),
    Index("ix_units_building", "building", "floor", "unit_id"),
)

# The old values of a unit row, kept when an import changes it.
unit_history = Table(
    "unit_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", ForeignKey("units.unit_id"), nullable=False, index=True),
    Column("changed_on", Date, nullable=False),
    Column("import_id", ForeignKey("imports.id")),
    *_unit_values(),
)

meters = Table(
    "meters",
    metadata,
    Column("meter_id", String(40), primary_key=True),
    Column("utility", String(12), nullable=False),
    Column("scope", String(8), nullable=False),
    Column("unit_id", ForeignKey("units.unit_id"), index=True),
    Column("parent_id", ForeignKey("meters.meter_id"), index=True),
    Column("multiplier", DecimalText, nullable=False),
    Column("digits", Integer),
    Column("initial_reading", DecimalText, nullable=False),
    Column("import_id", ForeignKey("imports.id")),
)

readings = Table(
    "readings",
    metadata,
    Column("meter_id", ForeignKey("meters.meter_id"), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("reading", DecimalText, nullable=False),
    Column("read_date", Date),
    Column("import_id", ForeignKey("imports.id")),
    Index("ix_readings_period", "period"),
)

meter_changes = Table(
    "meter_changes",
    metadata,
    Column("meter_id", ForeignKey("meters.meter_id"), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("change_date", Date, nullable=False),
    Column("old_final", DecimalText, nullable=False),
    Column("new_initial", DecimalText, nullable=False),
    Column("import_id", ForeignKey("imports.id")),
)

bill_runs = Table(
    "bill_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period", String(7), nullable=False, unique=True),
    Column("as_of", Date, nullable=False),
    Column("tariff_version", String(10), nullable=False),
    Column("rounding", String(12), nullable=False),
    Column("bills", Integer, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

bills = Table(
    "bills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("bill_runs.id"), nullable=False, index=True),
    Column("unit_id", ForeignKey("units.unit_id"), nullable=False),
    Column("period", String(7), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("principal_fen", BigInteger, nullable=False),  # every line but the late fee
    Column("late_fee_fen", BigInteger, nullable=False),  # the late_fee line printed on this bill
    Column("total_fen", BigInteger, nullable=False),
    UniqueConstraint("unit_id", "period", name="uq_bills_unit_period"),
    Index("ix_bills_period", "period"),
)

bill_lines = Table(
    "bill_lines",
    metadata,
    Column("bill_id", ForeignKey("bills.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("item", String(20), nullable=False),
    Column("quantity", DecimalText),
    Column("amount_fen", BigInteger, nullable=False),
    Column("exact", DecimalText, nullable=False),
    Column("detail", Text, nullable=False),  # JSON: the working shown by `billing explain`
)

# What each late_fee line charged for which earlier bill: C_b = Σ amount_fen over target_bill_id.
late_fee_charges = Table(
    "late_fee_charges",
    metadata,
    Column("bill_id", ForeignKey("bills.id"), primary_key=True),
    Column("target_bill_id", ForeignKey("bills.id"), primary_key=True, index=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("accrued_fen", BigInteger, nullable=False),  # F_b at the charging run's date
)

adjustments = Table(
    "adjustments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", ForeignKey("units.unit_id"), nullable=False, index=True),
    Column("period", String(7), nullable=False),  # the bill it corrects
    Column("item", String(20), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("applied_bill_id", ForeignKey("bills.id")),  # the bill that carries it, once issued
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", ForeignKey("units.unit_id"), nullable=False, index=True),
    Column("pay_date", Date, nullable=False, index=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("method", String(12), nullable=False),
    Column("payer", String(100)),
    Column("slip_no", String(60), unique=True),
    Column("debit_item_id", ForeignKey("debit_items.id"), unique=True),
    Column("import_id", ForeignKey("imports.id")),
)

debit_batches = Table(
    "debit_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_no", String(40), nullable=False, unique=True),
    Column("bank", String(40), nullable=False),
    Column("layout_version", String(20), nullable=False),
    Column("period", String(7), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("files", Text, nullable=False),  # JSON list of file names
    Column("sha256", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),  # sent | returned
    Column("created_at", DateTime, nullable=False),
)

debit_items = Table(
    "debit_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", ForeignKey("debit_batches.id"), nullable=False, index=True),
    Column("reference", String(40), nullable=False, unique=True),
    Column("unit_id", ForeignKey("units.unit_id"), nullable=False, index=True),
    Column("account", String(40), nullable=False),
    Column("account_name", String(100)),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),  # sent | success | failed
    Column("reason_code", String(40)),
    Column("reason_text", String(200)),
    Column("return_date", Date),
    Column("return_import_id", ForeignKey("imports.id")),
)

# --- scheduled jobs (billing/pipeline/jobs.py) ---------------------------------------------------

# One row per job and key (the fire's minute, day or period): the claim that makes a job run once.
job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job", String(40), nullable=False),
    Column("key", String(40), nullable=False),
    Column("fired", String(40), nullable=False),  # the fire time, ISO 8601 in the schedule's zone
    Column("as_of", Date, nullable=False),
    Column("status", String(12), nullable=False),  # running | done | waiting | failed | skipped
    Column("attempts", Integer, nullable=False),
    Column("runner", String(200), nullable=False),  # host:pid of the last attempt
    Column("started", DateTime, nullable=False),
    Column("finished", DateTime),
    Column("summary", Text, nullable=False),
    Column("problems", Text, nullable=False),  # one rendered problem a line
    UniqueConstraint("job", "key", name="uq_job_runs_job_key"),
    Index("ix_job_runs_started", "started"),
)

# APScheduler's SQLAlchemyJobStore table (its own layout), created here so that two schedulers
# starting at once never race to create it.
scheduler_jobs = Table(
    "scheduler_jobs",
    metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
