"""validate_deposits: slips unique and new, units known, amounts > 0 to the fen, methods."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from billing.domain.records import PaymentMethod
from billing.ingest import DEPOSITS
from billing.validate import Deposit, DepositContext, validate_deposits

from .helpers import D, found, params, table

HEADER = "date,slip_no,unit_id,payer,amount,method\n"
CONTEXT = DepositContext(units={"1-101", "1-102"}, slips={"OLD-1"})


def test_a_good_file_in_chinese(tmp_path: Path) -> None:
    text = (
        "日期,单号,房号,交款人,金额,方式\n"
        "2026-11-20,JK1,1-101,周一,850,现金\n"
        '2026-11-20,JK2,1-102,吴二,"1,454.7",刷卡\n'
    )
    v = validate_deposits(table(tmp_path, text, DEPOSITS), CONTEXT)
    assert v.problems == ()
    assert v.records == (
        Deposit(
            pay_date=date(2026, 11, 20),
            slip_no="JK1",
            unit_id="1-101",
            payer="周一",
            amount=D("850.00"),
            method=PaymentMethod.CASH,
        ),
        Deposit(
            pay_date=date(2026, 11, 20),
            slip_no="JK2",
            unit_id="1-102",
            payer="吴二",
            amount=D("1454.70"),
            method=PaymentMethod.POS,
        ),
    )
    assert str(v.records[0].amount) == "850.00"


def test_every_rule(tmp_path: Path) -> None:
    text = HEADER + (
        "2026-11-20,A1,1-101,甲,100,cash\n"  # 2 fine
        "2026-11-20,A1,1-101,甲,100,cash\n"  # 3 duplicate slip in the file
        "2026-11-20,OLD-1,1-101,甲,100,cash\n"  # 4 slip imported before
        "2026-11-20,A4,9-999,甲,100,cash\n"  # 5 unknown unit
        "2026-11-20,A5,1-101,,0,cash\n"  # 6 payer missing, amount 0
        "2026-11-20,A6,1-101,甲,10.005,cash\n"  # 7 finer than the fen
        "2026-11-20,A7,1-101,甲,-3,支票\n"  # 8 negative, unknown method
        "20261120,A8,1-101,甲,abc,transfer\n"  # 9 bad date, not a number
    )
    v = validate_deposits(table(tmp_path, text, DEPOSITS), CONTEXT)
    assert found(v.problems) == [
        (3, "DUPLICATE_KEY"),
        (4, "DUPLICATE_SLIP"),
        (5, "UNKNOWN_UNIT"),
        (6, "MISSING_VALUE"),
        (6, "OUT_OF_RANGE"),
        (7, "TOO_MANY_DIGITS"),
        (8, "OUT_OF_RANGE"),
        (8, "BAD_CHOICE"),
        (9, "NOT_A_DATE"),
        (9, "NOT_A_NUMBER"),
    ]
    assert params(v.problems[1]) == {"slip_no": "OLD-1"}
    assert params(v.problems[5])["value"] == "10.005"
    assert [d.slip_no for d in v.records] == ["A1"]
