"""Apportionment: shares floored to the fen, leftover fens to the largest remainders, exact total."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.rate import apportion

D = Decimal


def test_reference_shared_electricity_with_a_tie() -> None:
    # 161.40 = 16140 fen over areas 95 + 110.40 + 95 + 60 = 360.40
    #   1-101: 16140 × 95 / 360.40    = 4254.439… → 4254, remainder .439
    #   1-102: 16140 × 110.40 / 360.40 = 4944.106… → 4944, remainder .106
    #   1-201: same as 1-101           = 4254.439… → 4254, remainder .439
    #   SH-01: 16140 × 60 / 360.40     = 2686.991… → 2686, remainder .991
    # floors add to 16138: 2 fens left → SH-01 (.991), then 1-101 (tie with 1-201, first by unit_id)
    parts = apportion(
        D("161.40"),
        [("1-101", D(95)), ("1-102", D("110.40")), ("1-201", D(95)), ("SH-01", D(60))],
    )
    assert parts == (
        ("1-101", D("42.55")),
        ("1-102", D("49.44")),
        ("1-201", D("42.54")),
        ("SH-01", D("26.87")),
    )


def test_ties_go_by_key_not_by_input_order() -> None:
    # 100 fen / 3 = 33 each, remainder 1 each: the 1 fen left goes to "a", the first key
    parts = apportion(D("1.00"), [("c", D(1)), ("b", D(1)), ("a", D(1))])
    assert parts == (("c", D("0.33")), ("b", D("0.33")), ("a", D("0.34")))


def test_several_fens_left() -> None:
    # 0.05 = 5 fen over 7, 1, 1, 1 (Σ 10): 3.5, 0.5, 0.5, 0.5 → floors 3, 0, 0, 0 (3 fen);
    # 2 left, all remainders equal (.5): to "a" and "b" in key order
    parts = apportion(D("0.05"), [("a", D(7)), ("b", D(1)), ("c", D(1)), ("d", D(1))])
    assert parts == (("a", D("0.04")), ("b", D("0.01")), ("c", D("0.00")), ("d", D("0.00")))


def test_even_split_has_nothing_left() -> None:
    # 90.00 over 1 : 2 → 30.00, 60.00
    assert apportion(D("90.00"), [("x", D(1)), ("y", D(2))]) == (("x", D("30.00")), ("y", D("60.00")))


def test_zero_total_gives_zero_shares() -> None:
    assert apportion(D(0), [("x", D(1)), ("y", D(0))]) == (("x", D("0.00")), ("y", D("0.00")))


def test_zero_weights_are_the_callers_choice() -> None:
    with pytest.raises(ValueError):
        apportion(D("1.00"), [("x", D(0)), ("y", D(0))])
    with pytest.raises(ValueError):
        apportion(D("1.00"), [])


def test_refuses_what_it_cannot_split_exactly() -> None:
    with pytest.raises(ValueError):
        apportion(D("-1.00"), [("x", D(1))])
    with pytest.raises(ValueError):
        apportion(D("1.005"), [("x", D(1))])
    with pytest.raises(ValueError):
        apportion(D("1.00"), [("x", D(1)), ("x", D(2))])
    with pytest.raises(ValueError):
        apportion(D("1.00"), [("x", D(1)), ("y", D(-1))])


totals = st.integers(min_value=0, max_value=10**9).map(lambda fen: D(fen).scaleb(-2))
weights = st.lists(
    st.tuples(
        st.text(alphabet="0123456789-AB", min_size=1, max_size=6),
        st.decimals(min_value=0, max_value=100_000, places=3),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda kw: kw[0],
).filter(lambda ws: sum(w for _, w in ws) > 0)


@given(totals, weights)
def test_parts_add_up_to_the_total_and_none_is_negative(
    total: Decimal, ws: list[tuple[str, Decimal]]
) -> None:
    parts = apportion(total, ws)
    assert [k for k, _ in parts] == [k for k, _ in ws]
    assert sum((p for _, p in parts), D(0)) == total
    assert all(p >= 0 for _, p in parts)
    weight_sum = sum((w for _, w in ws), D(0))
    for (_, p), (_, w) in zip(parts, ws, strict=True):
        # never more than one fen above its floor
        floor = (total * w / weight_sum).quantize(D("0.01"), rounding="ROUND_FLOOR")
        assert floor - D("0.01") <= p <= floor + D("0.01")


@given(totals, weights, st.randoms())
def test_input_order_does_not_change_any_share(total: Decimal, ws: list[tuple[str, Decimal]], rnd) -> None:
    shuffled = list(ws)
    rnd.shuffle(shuffled)
    assert dict(apportion(total, ws)) == dict(apportion(total, shuffled))
