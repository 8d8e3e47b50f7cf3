"""Validate: the rows of an input file → domain records + every problem of every row (no I/O).

One module per file kind, each with one function `validate_<kind>(table, context)`:
`units`, `meters`, `readings`, `meter_changes`, `deposits`. The table comes from
`billing.ingest.read_table`; the context is what the database knows (known units, meters,
previous readings…), loaded by the pipeline. The checks are polars expressions over the whole
frame; a problem carries the file and line. Records are the rows without an error; a file with
any error must not be imported.

May import domain and ingest's `Table`; nothing else of ours.
"""

from billing.validate.checks import Validated
from billing.validate.deposits import Deposit, DepositContext, validate_deposits
from billing.validate.meter_changes import MeterChangeContext, validate_meter_changes
from billing.validate.meters import MeterContext, validate_meters
from billing.validate.readings import ReadingContext, ValidatedReadings, validate_readings
from billing.validate.units import validate_units

__all__ = [
    "Deposit",
    "DepositContext",
    "MeterChangeContext",
    "MeterContext",
    "ReadingContext",
    "Validated",
    "ValidatedReadings",
    "validate_deposits",
    "validate_meter_changes",
    "validate_meters",
    "validate_readings",
    "validate_units",
]
