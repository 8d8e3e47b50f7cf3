"""Shared consumption (公摊): Q = master − unit meters, apportioned by area, usage or equally."""

from __future__ import annotations

from decimal import Decimal

from billing.domain.bill import Item
from billing.domain.money import RoundingMode
from billing.domain.period import Period
from billing.domain.problem import Severity
from billing.domain.records import Scope
from billing.domain.tariff import Basis, SharedPrice
from billing.rate import SharedMember, apportion_shared, rate_period

from .builders import E, W, contract_tariff, meter_period, unit

D = Decimal
HALF_UP = RoundingMode.HALF_UP


def member(unit_id: str, area: str, usage: str = "0") -> SharedMember:
    return SharedMember(unit_id=unit_id, area=D(area), usage=D(usage))


REFERENCE_MEMBERS = [
    member("SH-01", "60", "410.0"),
    member("1-102", "110.40", "352"),
    member("1-101", "95", "210"),
    member("1-201", "95", "88"),
]


def share(master: str = "1340", units: tuple[str, ...] = ("210", "352", "88", "11", "410.0"), **kw):
    return apportion_shared(
        master_id=kw.pop("master_id", "E1-M"),
        utility=kw.pop("utility", E),
        master_consumption=D(master),
        unit_consumptions=[D(u) for u in units],
        members=kw.pop("members", REFERENCE_MEMBERS),
        price=kw.pop("price", SharedPrice(price=D("0.6000"))),
        rounding=kw.pop("rounding", HALF_UP),
    )


def test_reference_master_by_area() -> None:
    # Q = 1340 − (210 + 352 + 88 + 11 + 410.0) = 1340 − 1071.0 = 269.0; 269.0 × 0.6000 = 161.40
    # by area over 95 + 110.40 + 95 + 60 = 360.40 (1-202, not handed over, is subtracted but shares nothing):
    #   amounts 42.55, 49.44, 42.54, 26.87 (see test_apportion; 1-101 wins the tie with 1-201)
    #   quantities 269 × 95 / 360.40 = 70.9073… → 70.907; × 110.40 → 82.4017… → 82.402;
    #              × 60 → 44.7835… → 44.784
    r = share()
    assert (r.quantity, r.units_consumption, r.total, r.weight_sum) == (
        D(269),
        D(1071),
        D("161.40"),
        D("360.40"),
    )
    assert r.problem is None and r.basis is Basis.AREA
    assert [(s.unit_id, s.amount, s.quantity, s.weight) for s in r.shares] == [
        ("1-101", D("42.55"), D("70.907"), D(95)),
        ("1-102", D("49.44"), D("82.402"), D("110.40")),
        ("1-201", D("42.54"), D("70.907"), D(95)),
        ("SH-01", D("26.87"), D("44.784"), D(60)),
    ]
    assert sum(s.amount for s in r.shares) == r.total
    # exact = 161.40 × 95 / 360.40 = 42.5443…
    assert r.shares[0].exact.quantize(D("0.0001")) == D("42.5444")


def test_master_below_its_units_shares_nothing() -> None:
    # Q = 1000 − 1071.0 = −71.0 < 0
    r = share(master="1000")
    assert r.shares == () and r.total == 0 and r.quantity == D(-71)
    assert r.problem is not None
    assert (r.problem.code, r.problem.severity) == ("MASTER_BELOW_UNITS", Severity.WARNING)
    assert dict(r.problem.params) == {"meter_id": "E1-M", "master": "1000", "units": "1071.0"}


def test_master_equal_to_its_units_shares_nothing_quietly() -> None:
    r = share(master="1071")
    assert r.shares == () and r.total == 0 and r.problem is None


def test_total_rounding_follows_the_mode() -> None:
    # Q = 3.125, × 0.6 = 1.875: half_up 1.88, down 1.87
    assert share(master="3.125", units=()).total == D("1.88")
    assert share(master="3.125", units=(), rounding=RoundingMode.DOWN).total == D("1.87")


def test_basis_usage() -> None:
    # Σ usage = 410.0 + 352 + 210 + 88 = 1060.0; in fen, 16140 × w / 1060:
    #   1-101 210 → 3197.547 → 3197 (.547)   1-102 352 → 5359.698 → 5359 (.698)
    #   1-201 88  → 1339.925 → 1339 (.925)   SH-01 410 → 6242.830 → 6242 (.830)
    # floors 16137, 3 fens left → 1-201 (.925), SH-01 (.830), 1-102 (.698)
    # quantities 269 × w / 1060: 53.292, 89.328, 22.332, 104.047
    r = share(price=SharedPrice(price=D("0.6000"), basis=Basis.USAGE))
    assert r.basis is Basis.USAGE and r.weight_sum == D(1060)
    assert [(s.unit_id, s.amount, s.quantity) for s in r.shares] == [
        ("1-101", D("31.97"), D("53.292")),
        ("1-102", D("53.60"), D("89.328")),
        ("1-201", D("13.40"), D("22.332")),
        ("SH-01", D("62.43"), D("104.047")),
    ]


def test_basis_usage_with_all_weights_zero_falls_back_to_area() -> None:
    members = [member(m.unit_id, str(m.area), "0") for m in REFERENCE_MEMBERS]
    r = share(members=members, price=SharedPrice(price=D("0.6000"), basis=Basis.USAGE))
    assert (r.basis, r.configured_basis) == (Basis.AREA, Basis.USAGE)
    assert [s.amount for s in r.shares] == [D("42.55"), D("49.44"), D("42.54"), D("26.87")]


def test_basis_equal_with_fens_and_a_tie() -> None:
    # 161.40 / 4 = 40.35 each: nothing left
    r = share(price=SharedPrice(price=D("0.6000"), basis=Basis.EQUAL))
    assert [s.amount for s in r.shares] == [D("40.35")] * 4
    # Q = 1.7, × 0.6 = 1.02 = 102 fen / 4 = 25.5: floors 25 each, 2 left, all tied → 1-101, 1-102
    r = share(master="1.7", units=(), price=SharedPrice(price=D("0.6000"), basis=Basis.EQUAL))
    assert [(s.unit_id, s.amount, s.quantity) for s in r.shares] == [
        ("1-101", D("0.26"), D("0.425")),  # 1.7 / 4 = 0.425
        ("1-102", D("0.26"), D("0.425")),
        ("1-201", D("0.25"), D("0.425")),
        ("SH-01", D("0.25"), D("0.425")),
    ]


def test_zero_shares_make_no_share() -> None:
    # Q = 0.02, × 0.6 = 0.012 → 0.01: one fen, to the first of the four equal remainders (1-101)
    r = share(master="0.02", units=(), price=SharedPrice(price=D("0.6000"), basis=Basis.EQUAL))
    assert [(s.unit_id, s.amount) for s in r.shares] == [("1-101", D("0.01"))]


def test_share_quantity_is_rounded_half_up() -> None:
    # Q = 1, weights 1 and 1999: 1 / 2000 = 0.0005 → 0.001 (half up; half even would give 0.000),
    # 1999 / 2000 = 0.9995 → 1.000
    # amount 1 × 2000.00 = 2000.00, shares 1.00 and 1999.00
    r = share(
        master="1",
        units=(),
        members=[member("a", "1"), member("b", "1999")],
        price=SharedPrice(price=D("2000.00")),
    )
    assert [(s.unit_id, s.amount, s.quantity) for s in r.shares] == [
        ("a", D("1.00"), D("0.001")),
        ("b", D("1999.00"), D("1.000")),
    ]


def test_no_billable_unit_shares_nothing() -> None:
    r = share(members=[])
    assert r.shares == () and r.total == D("161.40")


def test_common_meters_are_part_of_q_and_units_not_billable_are_subtracted() -> None:
    # master 1000 → 1300 = 300; common 50 (not subtracted); unit A 100 (billable), unit B 80 (not
    # handed over): Q = 300 − (100 + 80) = 120 m³ × 5.00 = 600.00, all to A (the only billable unit)
    units = [unit("A", "80"), unit("B", "90", handover=None)]
    mps = [
        meter_period("WM", W, "1000", "1300", scope=Scope.MASTER),
        meter_period("WC", W, "0", "50", scope=Scope.COMMON, parent="WM"),
        meter_period("WA", W, "0", "100", unit_id="A", parent="WM"),
        meter_period("WB", W, "0", "80", unit_id="B", parent="WM"),
    ]
    rating = rate_period(
        period=Period(2026, 10), units=units, meter_periods=mps, tariff=contract_tariff(), rounding=HALF_UP
    )
    shared = [ln for ln in rating.lines if ln.item is Item.SHARED_WATER]
    assert [(ln.unit_id, ln.quantity, ln.amount) for ln in shared] == [("A", D("120.000"), D("600.00"))]
    assert shared[0].detail["shares"][0]["units_consumption"] == "180"  # type: ignore[index]
    assert {ln.unit_id for ln in rating.lines} == {"A"}
