"""Direct debit and the bank's return file, on SQLite and PostgreSQL (CONTRACT §3)."""

from __future__ import annotations

import csv
import os
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from billing.pipeline.collections import import_bank_return, make_debit
from billing.pipeline.context import Context
from billing.pipeline.exports import unit_balances
from tests.pipeline.estate import OCT, october, ok, use_estate_config

# October's bills (tests/pipeline/test_billrun.py): 1-101 70.00 + 102.54 + 7.91 + 42.55 + 209.00
# = 432.00; 1-201 25.00 + 42.97 + 7.91 + 42.54 + 148.32 = 266.74; SH-01 152.00 + 369.00 + 4.99
# + 26.87 + 390.00 = 942.86. 1-102 has no debit agreement, 1-202 no bill.
DEBITS = {"1-101": "432.00", "1-201": "266.74", "SH-01": "942.86"}


def _debit_rows(ctx: Context) -> list[dict[str, str]]:
    folder = ctx.workspace.out_dir / str(OCT) / "debit"
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def _answer(tmp_path: Path, rows: list[dict[str, str]], fail: dict[str, str], name: str = "ret.csv") -> Path:
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["reference", "account", "amount", "status", "reason", "date"])
        for r in rows:
            why = fail.get(r["unit_id"], "")
            w.writerow(
                [r["reference"], r["account"], r["amount"], "失败" if why else "成功", why, "2026-11-12"]
            )
    return path


def test_debit_file_has_one_row_per_agreement_with_something_owed(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    october(ctx, tmp_path)
    result = ok(make_debit(ctx, OCT, "generic-csv", date(2026, 11, 10)))
    rows = _debit_rows(ctx)
    assert {r["unit_id"]: r["amount"] for r in rows} == DEBITS
    assert list(rows[0]) == ["reference", "unit_id", "account", "account_name", "amount"]
    assert len({r["reference"] for r in rows}) == 3
    assert any("1641.60" in m for m in result.messages)  # 432.00 + 266.74 + 942.86
    assert os.stat(result.files[0]).st_mode & 0o777 == 0o600


def test_the_same_batch_again_writes_the_same_bytes(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    october(ctx, tmp_path)
    first = ok(make_debit(ctx, OCT, "generic-csv", date(2026, 11, 10))).files[0].read_bytes()
    again = ok(make_debit(ctx, OCT, "generic-csv", date(2026, 11, 10)))
    assert again.files[0].read_bytes() == first
    # a new batch on another day leaves out the units whose batch has not come back
    later = ok(make_debit(ctx, OCT, "generic-csv", date(2026, 11, 11)))
    assert not later.files


def test_return_file_posts_successes_and_keeps_failures(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    october(ctx, tmp_path)
    ok(make_debit(ctx, OCT, "generic-csv", date(2026, 11, 10)))
    answer = _answer(tmp_path, _debit_rows(ctx), {"1-201": "余额不足"})
    ok(import_bank_return(ctx, answer, "generic-csv"))
    paid = {u: b.paid for u, b in unit_balances(ctx, date(2026, 11, 30))}
    assert paid == {"1-101": D("432.00"), "1-102": 0, "1-201": 0, "SH-01": D("942.86")}
    again = ok(import_bank_return(ctx, answer, "generic-csv"))
    assert "already imported" in again.messages[0]
    # 1-201 failed: its debt stays, and it can be debited again in a new batch
    retry = ok(make_debit(ctx, OCT, "generic-csv", date(2026, 11, 20)))
    assert [r["unit_id"] for r in _debit_rows(ctx) if r["reference"].startswith("20261002")] == ["1-201"]
    assert retry.files


def test_a_return_row_with_another_amount_refuses_the_file(ctx: Context, tmp_path: Path) -> None:
    use_estate_config(ctx)
    october(ctx, tmp_path)
    ok(make_debit(ctx, OCT, "generic-csv", date(2026, 11, 10)))
    rows = _debit_rows(ctx)
    rows[0] = {**rows[0], "amount": "400.00"}
    rows.append(dict(rows[1]))  # and a duplicate row
    rows.append({**rows[1], "reference": "NOPE", "account": "1"})  # and one that matches nothing
    refused = import_bank_return(ctx, _answer(tmp_path, rows, {}), "generic-csv")
    assert refused.exit_code == 2
    assert sorted(p.code for p in refused.errors) == [
        "AMOUNT_MISMATCH",
        "DUPLICATE_RETURN",
        "UNMATCHED_RETURN",
    ]
    assert all(b.paid == 0 for _, b in unit_balances(ctx, date(2026, 11, 30)))
