"""Money: Decimal amounts, the one rounding function, and conversion to whole fen."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum

FEN = Decimal("0.01")
ZERO = Decimal(0)


class RoundingMode(StrEnum):
    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"
    UP = "up"


_DECIMAL_ROUNDING = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingMode.DOWN: ROUND_DOWN,
    RoundingMode.UP: ROUND_UP,
}


def round_money(amount: Decimal, mode: RoundingMode = RoundingMode.HALF_UP) -> Decimal:
    """Round an exact amount to the fen. Every rounding of money in the product goes through here.

    >>> round_money(Decimal("102.543"))
    Decimal('102.54')
    >>> round_money(Decimal("0.125"), RoundingMode.HALF_EVEN)
    Decimal('0.12')
    >>> round_money(Decimal("0.121"), RoundingMode.UP)
    Decimal('0.13')
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}")
    return amount.quantize(FEN, rounding=_DECIMAL_ROUNDING[RoundingMode(mode)])


def floor_fen(amount: Decimal) -> Decimal:
    """Round toward minus infinity to the fen (apportionment hands the rest out separately)."""
    return amount.quantize(FEN, rounding=ROUND_FLOOR)


def ceil_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_CEILING)


def to_fen(amount: Decimal) -> int:
    """A rounded amount as a whole number of fen; refuses an amount finer than the fen.

    >>> to_fen(Decimal("12.30"))
    1230
    """
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of fen")
    return int(fen)


def from_fen(fen: int) -> Decimal:
    """A whole number of fen as an amount.

    >>> from_fen(1230)
    Decimal('12.30')
    """
    return (Decimal(fen) / 100).quantize(FEN)


def parse_decimal(text: object) -> Decimal | None:
    """A Decimal from its text (or int, or Decimal); None when it is not a finite number.

    Floats are refused: a number must arrive as its decimal text.

    >>> parse_decimal(" 310.8 ")
    Decimal('310.8')
    >>> parse_decimal("1,234.50")
    Decimal('1234.50')
    >>> parse_decimal("abc") is None
    True
    """
    if isinstance(text, (bool, float)):
        raise TypeError("floats never carry money or quantities; pass the decimal text")
    if isinstance(text, Decimal):
        return text if text.is_finite() else None
    if isinstance(text, int):
        return Decimal(text)
    if not isinstance(text, str):
        return None
    s = text.strip().replace(",", "").replace("，", "")
    if not s:
        return None
    try:
        value = Decimal(s)
    except ArithmeticError:
        return None
    return value if value.is_finite() else None


def format_money(amount: Decimal) -> str:
    """Two decimals, no thousands separator: the form of every CSV amount."""
    return f"{amount.quantize(FEN):.2f}"
