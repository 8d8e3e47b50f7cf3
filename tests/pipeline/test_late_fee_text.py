"""The late_fee line's stored working: the JSON text the bill run writes, field by field."""

from __future__ import annotations

import json
from datetime import date

from billing.ledger import late_fee_workings
from billing.pipeline.billrun import late_fee_text
from tests.ledger.builders import CONTRACT_DEFAULTS, bill, pay


def test_the_working_of_two_bills_with_a_part_payment() -> None:
    bills = [
        bill(1, "2026-09", "200.00", issued="2026-10-03", due="2026-10-15"),
        bill(2, "2026-10", "100.00", issued="2026-11-03", due="2026-11-15", charged="0.50"),
    ]
    # 50.00 paid on 2026-11-20 goes to bill 1 (oldest first): its unpaid principal drops to 150.00
    payments = [pay(7, "2026-11-20", "50.00")]
    as_of = date(2026, 12, 3)
    workings = late_fee_workings(bills, payments, as_of, CONTRACT_DEFAULTS)
    text = late_fee_text(workings, {1: "2026-09", 2: "2026-10"}, as_of)

    # stored as compact JSON with its keys sorted, the same text json.dumps gives
    assert text == json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    detail = json.loads(text)
    assert detail["as_of"] == "2026-12-03"
    first, second = detail["bills"]
    # bill 1: 2026-10-16..2026-11-19 = 35 days on 200.00, 2026-11-20..2026-12-03 = 14 days on 150.00;
    # 35 × 0.0005 × 200 = 3.5000, 14 × 0.0005 × 150 = 1.0500; A = 4.5500 → F = 4.55
    assert first["stretches"] == [
        {"first": "2026-10-16", "last": "2026-11-19", "days": 35, "unpaid": "200.00", "amount": "3.500000"},
        {"first": "2026-11-20", "last": "2026-12-03", "days": 14, "unpaid": "150.00", "amount": "1.050000"},
    ]
    assert (first["bill_id"], first["period"], first["days"], first["fee"]) == (1, "2026-09", 49, "4.55")
    assert (first["charged_before"], first["charged_now"], first["capped"]) == ("0", "4.55", False)
    assert (first["principal"], first["daily_rate"], first["cap"]) == ("200.00", "0.0005", "200.00")
    # bill 2: 2026-11-16..2026-12-03 = 18 days × 0.0005 × 100.00 = 0.9000 → F = 0.90, of which
    # 0.50 was charged by an earlier run: 0.40 now
    assert second["stretches"] == [
        {"first": "2026-11-16", "last": "2026-12-03", "days": 18, "unpaid": "100.00", "amount": "0.900000"},
    ]
    assert (second["fee"], second["charged_before"], second["charged_now"]) == ("0.90", "0.50", "0.40")
