"""Amounts in Chinese capitals (人民币大写), as the People's Bank of China asks them written.

The rules (《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》):

- digits 零壹贰叁肆伍陆柒捌玖, places 拾佰仟万亿, money units 元角分;
- an amount that stops at 元 ends in 整; one that stops at 角 or 分 does not;
- a 0 between other digits is written 零, and a run of 0s as one 零;
- where the 万 or 元 place is 0 but the next place down (仟, 角) is not, 零 may be written or
  left out. We always follow the central bank's own examples: no 零 after 万 when 仟 follows
  (¥107,000.53 → 壹拾万柒仟元零伍角叁分), a 零 after 元 when 角 follows a 0 元 place
  (¥1,680.32 → 壹仟陆佰捌拾元零叁角贰分);
- 角 0 and 分 not 0: 零 after 元 is required (¥325.04 → 叁佰贰拾伍元零肆分).

A leading 1 in the 拾 place is written 壹拾 (cheque practice), amounts under one yuan start at
角 or 分 (¥0.50 → 伍角), zero is 零元整 and a negative amount is prefixed 负.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_LIMIT = 10**16


def rmb_capitals(amount: Decimal) -> str:
    """The amount written in Chinese capitals.

    The central bank's examples:

    >>> rmb_capitals(Decimal("1409.50"))
    '壹仟肆佰零玖元伍角'
    >>> rmb_capitals(Decimal("6007.14"))
    '陆仟零柒元壹角肆分'
    >>> rmb_capitals(Decimal("1680.32"))
    '壹仟陆佰捌拾元零叁角贰分'
    >>> rmb_capitals(Decimal("325.04"))
    '叁佰贰拾伍元零肆分'
    >>> rmb_capitals(Decimal("107000.53"))
    '壹拾万柒仟元零伍角叁分'
    >>> rmb_capitals(Decimal("16409.02"))
    '壹万陆仟肆佰零玖元零贰分'

    Whole amounts, amounts under one yuan, zero and credits:

    >>> rmb_capitals(Decimal("100700"))
    '壹拾万零柒佰元整'
    >>> rmb_capitals(Decimal("100010000.00"))
    '壹亿零壹万元整'
    >>> rmb_capitals(Decimal("0.50")), rmb_capitals(Decimal("0.05")), rmb_capitals(Decimal("0"))
    ('伍角', '伍分', '零元整')
    >>> rmb_capitals(Decimal("-12.30"))
    '负壹拾贰元叁角'

    Amounts finer than the fen are refused: round first.

    >>> rmb_capitals(Decimal("1.005"))
    Traceback (most recent call last):
    ...
    ValueError: 1.005 is not a whole number of fen
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"not an amount: {amount}")
    exact = amount * 100
    if exact != exact.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of fen")
    fen_total = abs(int(exact))
    if fen_total >= _LIMIT * 100:
        raise ValueError(f"{amount} is too large to write in capitals")
    sign = "负" if amount < 0 and fen_total else ""
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)

    if yuan == 0 and rest == 0:
        return "零元整"
    text = _yuan_capitals(yuan) + "元" if yuan else ""
    if rest == 0:
        return sign + text + "整"
    if yuan and (yuan % 10 == 0 or jiao == 0):
        text += "零"
    if jiao:
        text += _DIGITS[jiao] + "角"
    if fen:
        text += _DIGITS[fen] + "分"
    return sign + text


def _yuan_capitals(yuan: int) -> str:
    """A positive whole number of yuan (below 10^16) in capitals, without 元.

    亿 is written once: 1,2345,0000,0000 is 壹万贰仟叁佰肆拾伍亿, 1,0000,0000,0000 壹万亿.
    """
    return _joined(yuan, 10**8, "亿", _below_yi)


def _below_yi(number: int) -> str:
    return _joined(number, 10**4, "万", _group_capitals)


def _joined(number: int, base: int, unit: str, part: Callable[[int], str]) -> str:
    """`high` `unit` `low`, with 零 where the low part starts with a 0 (壹拾万零柒佰)."""
    high, low = divmod(number, base)
    if not high:
        return part(low)
    text = part(high) + unit
    if low:
        if low < base // 10:
            text += "零"
        text += part(low)
    return text


def _group_capitals(group: int) -> str:
    """0–9999 in capitals: inner runs of 0 as one 零, trailing 0s silent, leading 0s left out."""
    text = ""
    zero = False
    for place in range(3, -1, -1):
        digit = group // 10**place % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _PLACES[place]
    return text
