"""Apportionment: split an amount in fen by weights so that the parts add up exactly to it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import (
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    localcontext,
)

# Enough digits that fen × weight, Σ weights and their quotient's integer part are exact; a
# trap, not a silent rounding, should one ever not be.
_EXACT = Context(prec=200, traps=[Inexact, Rounded, InvalidOperation, DivisionByZero, Overflow])


def apportion(total: Decimal, weights: Sequence[tuple[str, Decimal]]) -> tuple[tuple[str, Decimal], ...]:
    """Split `total` (≥ 0, whole fen) over (key, weight) pairs, in the order given.

    Each share is total × weight ÷ Σ weights rounded down to the fen; the fens left over go one
    each to the largest remainders, ties in key order. The shares add up exactly to `total`.
    Raises ValueError when the weights add up to 0 (the caller chooses another basis), or on a
    negative total or weight, a duplicate key, or a total finer than the fen.

    >>> apportion(Decimal("1.00"), [("b", Decimal(1)), ("a", Decimal(1)), ("c", Decimal(1))])
    (('b', Decimal('0.33')), ('a', Decimal('0.34')), ('c', Decimal('0.33')))
    """
    keys = [key for key, _ in weights]
    if len(set(keys)) != len(keys):
        raise ValueError("apportion keys must be unique")
    with localcontext(_EXACT):
        fen_total = total.scaleb(2)
        if fen_total < 0 or fen_total != fen_total.to_integral_value():
            raise ValueError(f"can only apportion a whole number of fen ≥ 0, got {total}")
        values = [w for _, w in weights]
        if not all(w.is_finite() and w >= 0 for w in values):
            raise ValueError("weights must be finite and not negative")
        weight_sum = sum(values, Decimal(0))
        if weight_sum == 0:
            raise ValueError("weights add up to 0")
        # divmod on non-negative numbers: the floor in fen and an exact remainder (over Σ weights).
        split = [divmod(fen_total * w, weight_sum) for w in values]
    shares = [int(share) for share, _ in split]
    left = int(fen_total) - sum(shares)
    if left:
        # Largest remainder first, ties in key order (the sort is stable, reversed or not).
        order = sorted(range(len(keys)), key=keys.__getitem__)
        order.sort(key=lambda i: split[i][1], reverse=True)
        for i in order[:left]:
            shares[i] += 1
    return tuple((key, Decimal(share).scaleb(-2)) for key, share in zip(keys, shares, strict=True))
