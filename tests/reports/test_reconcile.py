"""The reports agree with the bills, the payments and the balances, and with each other.

The acceptance estate (tests/reports/estate.py): 2026-10 issued 2026-11-03, a debit batch
returned 2026-11-12 (1-101 and SH-01 paid, 1-201 failed: 余额不足), 1-102 paid 553.99 cash on
2026-11-25, 2026-11 issued 2026-12-03; everything looked at as of 2026-12-31.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from billing.domain.money import ZERO
from billing.pipeline.exports import unit_balances
from billing.pipeline.ledgers import late_fee_policy
from billing.pipeline.queries import arrears, collection, meter_consumptions, payments_between
from billing.store import repo
from billing.store import schema as t
from tests.reports.conftest import AS_OF, P1, P2, Outputs
from tests.reports.estate import expected
from tests.reports.helpers import row_starting, xlsx_numbers, xlsx_rows

D = Decimal


def _bills_total(estate: Outputs, period: object) -> Decimal:
    with estate.ctx.engine.connect() as conn:
        fen = conn.execute(
            select(func.sum(t.bills.c.total_fen)).where(t.bills.c.period == str(period))
        ).scalar_one()
    return repo.money(fen)


def test_collection_billed_is_the_sum_of_the_bills(estate: Outputs) -> None:
    # 432.00 + 553.99 + 942.86 + 266.74 (1-101, 1-102, SH-01, 1-201) = 2195.59
    assert _bills_total(estate, P1) == D("2195.59")
    billed = sum((D(a) for *_, a in expected()[f"bills_{P1}"]), ZERO)  # type: ignore[attr-defined]
    assert billed == D("2195.59")
    xlsx = estate.files("collection", ".xlsx")[0]
    total = row_starting(xlsx, "收缴率", "合计")
    # units billed, billed, collected (432 + 553.99 + 942.86), outstanding, rate, units paid, household rate
    assert total[2:] == (4, 2195.59, 1928.85, 266.74, 0.8785, 3, 0.75)
    assert D("2195.59") in xlsx_numbers(xlsx)


def test_collection_groups_add_up_to_the_total(estate: Outputs) -> None:
    billed = _bills_total(estate, P1)
    with estate.ctx.engine.connect() as conn:
        c = collection(conn, P1, AS_OF, late_fee_policy(estate.ctx.settings))
    assert sum((g.figures.billed for g in c.groups), ZERO) == c.total.billed == billed
    assert sum((g.figures.collected for g in c.groups), ZERO) == c.total.collected
    for g in c.groups:
        assert g.figures.collected + g.figures.outstanding == g.figures.billed
    # residences 432 + 553.99 + 266.74 = 1252.73, of which 985.99 collected; the shop 942.86, all of it
    homes, shops = (next(g.figures for g in c.groups if str(g.kind) == k) for k in ("residence", "shop"))
    assert (homes.billed, homes.collected, homes.units_billed, homes.units_paid) == (
        D("1252.73"),
        D("985.99"),
        3,
        2,
    )
    assert (shops.billed, shops.collected, shops.collection_rate) == (D("942.86"), D("942.86"), D(1))
    # 1928.85 / 2195.59 = 0.878516… → 87.85 %
    assert c.total.collection_rate == D("0.8785")
    assert [str(p) for p, _ in c.trend] == ["2026-10"]


def test_cash_ledger_total_is_the_sum_of_the_payments(estate: Outputs) -> None:
    with estate.ctx.engine.connect() as conn:
        fen = conn.execute(select(func.sum(t.payments.c.amount_fen))).scalar_one()
        rows = payments_between(conn, AS_OF.replace(month=11, day=1), AS_OF)
    # every payment of the story: 432.00 + 942.86 (debit, 11-12) + 553.99 (cash, 11-25) = 1928.85
    assert repo.money(fen) == sum((r.amount for r in rows), ZERO) == D("1928.85")
    paid = sum((D(x[2]) for x in expected()[f"balances_{AS_OF}"]), ZERO)  # type: ignore[attr-defined]
    assert paid == D("1928.85")
    xlsx = estate.files("cash-ledger", ".xlsx")[0]
    assert row_starting(xlsx, "明细", "合计")[6:] == (1928.85, 1928.85)
    assert row_starting(xlsx, "按方式汇总", "合计") == ("合计", 3, 1928.85)
    assert row_starting(xlsx, "按方式汇总", "现金") == ("现金", 1, 553.99)
    assert row_starting(xlsx, "按方式汇总", "银行代扣") == ("银行代扣", 2, 1374.86)


def test_arrears_ledger_total_is_the_outstanding_of_the_overdue_units(estate: Outputs) -> None:
    balances = dict(unit_balances(estate.ctx, AS_OF))
    with estate.ctx.engine.connect() as conn:
        overdue = arrears(conn, AS_OF, late_fee_policy(estate.ctx.settings))
    # building, floor, room: the shop is on floor 1
    assert [u.unit.unit_id for u in overdue] == ["1-101", "1-102", "SH-01", "1-201"]
    for u in overdue:
        assert u.outstanding == balances[u.unit.unit_id].outstanding
        assert u.late_fee_accrued == balances[u.unit.unit_id].late_fee_accrued
    # 444.88 + 546.96 + 624.17 + 910.18 = 2526.19 outstanding; accrued 3.56 + 4.36 + 6.58 + 7.28 = 21.78
    outstanding = sum((b.outstanding for b in balances.values() if b.outstanding > 0), ZERO)
    assert outstanding == D("2526.19")
    xlsx = estate.files("arrears", ".xlsx")[0]
    total = row_starting(xlsx, "明细", "总计")
    # principal, late fee, unpaid, not due, 1–30, 31–90, 91–180, >180, accrued, total
    assert total[5:] == (2521.30, 4.89, 2526.19, 0.0, 2259.45, 266.74, 0.0, 0.0, 21.78, 2547.97)
    assert row_starting(xlsx, "汇总", "总计")[2:] == (4, *total[5:])
    # 1-201's 2026-10 bill (266.74, due 11-15) is 46 days past due: 31–90
    one_201 = [r for r in xlsx_rows(xlsx, "明细") if r[0] == "1-201"]
    assert [(r[2], r[4], r[7]) for r in one_201] == [("2026-10", 46, 266.74), ("2026-11", 16, 357.43)]


def test_journal_balances_and_agrees_with_the_ledger(estate: Outputs) -> None:
    from billing.pipeline.journal import build_journal

    movements = []
    totals = {p: _bills_total(estate, p) for p in (P1, P2)}  # (one connection at a time: SQLite's write lock)
    with estate.ctx.engine.connect() as conn:
        for period, billed, paid in ((P1, "2195.59", "1928.85"), (P2, "2259.45", "0.00")):
            figures = build_journal(conn, estate.ctx.settings, period)
            assert figures is not None
            journal = figures.journal
            for v in journal.vouchers:
                assert v.debit == v.credit
            assert journal.debit == journal.credit
            # receivable: billed for P − paid in the month P was issued in
            assert (figures.billed, figures.paid) == (D(billed), D(paid))
            assert figures.receivable_movement == D(billed) - D(paid)
            income = sum(
                (
                    e.credit - e.debit
                    for v in journal.vouchers
                    for e in v.entries
                    if e.account.ledger_name.startswith("Income:")
                ),
                ZERO,
            )
            assert income == totals[period]
            movements.append(figures.receivable_movement)
    # both months' journals move receivable by what is outstanding at the end of December
    balances = unit_balances(estate.ctx, AS_OF)
    assert sum(movements, ZERO) == sum((b.outstanding for _, b in balances), ZERO) == D("2526.19")


def test_balance_report_uses_the_consumptions_of_the_bills(estate: Outputs) -> None:
    xlsx = estate.files("balance", ".xlsx")[0]
    # W1-M: 2061 − 2000 = 61; units 14 + (418 − 410 + 7) + 5 + 2 + 19 = 55; loss 6, 6 / 61 = 9.84 %
    assert row_starting(xlsx, "平衡", "W1-M")[2:] == (5, 0, 61, 55, 0, 6, 0.0984, "超过预警")
    # E1-M: 1340; units 210 + 352 + 88 + 11 + (420.5 − 400) × 20 = 1071; common 150; loss 119 = 8.88 %
    assert row_starting(xlsx, "平衡", "E1-M")[2:] == (5, 1, 1340, 1071, 150, 119, 0.0888, "超过预警")
    with estate.ctx.engine.connect() as conn:
        used, bad = meter_consumptions(conn, P1)
        meters = repo.load_meters(conn)
        lines = conn.execute(
            select(t.bills.c.unit_id, t.bill_lines.c.item, t.bill_lines.c.quantity, t.bill_lines.c.detail)
            .join(t.bill_lines, t.bill_lines.c.bill_id == t.bills.c.id)
            .where(t.bills.c.period == str(P1))
        ).all()
    assert not bad
    shared = {}
    for ln in lines:
        if ln.item.startswith("shared_"):
            for share in json.loads(ln.detail)["shares"]:
                shared[share["master_meter_id"]] = (
                    D(share["master_consumption"]),
                    D(share["units_consumption"]),
                )
    assert shared == {"W1-M": (D(61), D(55)), "E1-M": (D(1340), D(1071))}
    by_unit: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for m in meters.values():
        if m.unit_id is not None:
            by_unit[(m.unit_id, str(m.utility))] += used[m.meter_id]
    metered = [ln for ln in lines if ln.item in ("water", "electricity")]
    assert len(metered) == 8
    for ln in metered:
        assert ln.quantity == by_unit[(ln.unit_id, ln.item)], (ln.unit_id, ln.item)


def test_balance_flags_warn(estate: Outputs) -> None:
    codes = [(p.code, p.unit) for p in estate.results["balance"].problems]
    assert codes == [("LOSS_RATE_HIGH", "W1-M"), ("LOSS_RATE_HIGH", "E1-M")]
    assert estate.results["balance"].exit_code == 1
    # 2026-11: W1-M 57 − 57 = 0 (balanced), E1-M 1362 − 1130 − 140 = 92 = 6.75 %
    codes = [(p.code, p.unit) for p in estate.results["balance-2"].problems]
    assert codes == [("LOSS_RATE_HIGH", "E1-M")]


def test_deposit_slip_and_cash_ledger_agree(estate: Outputs) -> None:
    from billing.pipeline.queries import day_receipts

    with estate.ctx.engine.connect() as conn:
        days = {
            d: day_receipts(conn, d)
            for d in (AS_OF.replace(month=11, day=12), AS_OF.replace(month=11, day=25))
        }
        rows = payments_between(conn, AS_OF.replace(month=11, day=1), AS_OF)
    assert sum((r.total for r in days.values()), ZERO) == sum((r.amount for r in rows), ZERO)
    debit_day = days[AS_OF.replace(month=11, day=12)]
    assert debit_day.counter == ()
    assert [(g.batch_no, g.count, g.total, g.failed) for g in debit_day.debits] == [
        ("generic-csv-2026-10-01", 2, D("1374.86"), 1)
    ]
