"""The bank's side of the benchmark: answer a generic-csv debit file with a return file.

Every 20th debit fails (insufficient funds, or an account closed); the others succeed on the
return day. Deterministic: the same debit file gives the same return file.
"""

from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path

FAILURES = ((20, "余额不足"), (97, "账户已销户"))


def answer(debit_file: Path, return_file: Path, day: date) -> tuple[int, int]:
    """Write the return file of `debit_file`; returns (successes, failures)."""
    ok = failed = 0
    with (
        debit_file.open(encoding="utf-8", newline="") as src,
        return_file.open("w", encoding="utf-8", newline="") as dst,
    ):
        rows = csv.DictReader(src)
        out = csv.writer(dst, lineterminator="\n")
        out.writerow(("reference", "account", "amount", "status", "reason", "date"))
        for n, row in enumerate(rows, start=1):
            reason = next((text for every, text in FAILURES if n % every == 0), "")
            status = "failed" if reason else "success"
            out.writerow((row["reference"], row["account"], row["amount"], status, reason, day.isoformat()))
            if reason:
                failed += 1
            else:
                ok += 1
    return ok, failed


if __name__ == "__main__":
    made = answer(Path(sys.argv[1]), Path(sys.argv[2]), date.fromisoformat(sys.argv[3]))
    print(f"{made[0]} success, {made[1]} failed")
