"""Bank files: direct-debit files out, bank return files in, in layouts declared in TOML.

Touches files only, never the database: the pipeline hands in the rows of a debit batch and
takes back the files' bytes, or the parsed rows of a return file, with their problems.
Imports only `billing.domain` (plus polars/fastexcel/xlsxwriter for XLSX).

- `load_layout(name, banks_dir)` -> `Layout` (`generic-csv` built in; else `banks_dir/NAME.toml`)
- `plan_debit(layout, batch)` -> `DebitPlan` (files in memory, or the problems that stop them)
- `write_debit(layout, batch, out_dir)` -> (paths, problems); nothing written on an error
- `read_return(layout, path)` -> `ReturnFile` (rows, summary, problems with file and line)

Modules: `layout` (the model and its validation), `debit`, `returns`, one module per file
kind (`delimited`, `fixed`, `xlsx`) and `text` (byte widths in GBK/GB18030/UTF-8).
"""

from billing.banks.debit import (
    DebitBatch,
    DebitFile,
    DebitPlan,
    DebitRow,
    plan_debit,
    write_debit,
    write_plan,
)
from billing.banks.layout import (
    GENERIC_CSV,
    PRESETS_DIR,
    REASONS,
    Layout,
    LayoutError,
    UnknownLayout,
    generic_csv,
    layout_names,
    load_layout,
    load_layout_file,
)
from billing.banks.returns import ReturnFile, ReturnRow, ReturnSummary, read_return

__all__ = [
    "GENERIC_CSV",
    "PRESETS_DIR",
    "REASONS",
    "DebitBatch",
    "DebitFile",
    "DebitPlan",
    "DebitRow",
    "Layout",
    "LayoutError",
    "ReturnFile",
    "ReturnRow",
    "ReturnSummary",
    "UnknownLayout",
    "generic_csv",
    "layout_names",
    "load_layout",
    "load_layout_file",
    "plan_debit",
    "read_return",
    "write_debit",
    "write_plan",
]
