"""rmb_capitals: the central bank's examples, its rules, and cn2an on many amounts.

(billing/domain/capitals.py is tested here because the notices are its reason to exist.)
"""

from __future__ import annotations

import doctest
import random
import re
from decimal import Decimal

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

import billing.domain.capitals as capitals_module
from billing.domain.capitals import rmb_capitals

# 《正确填写票据和结算凭证的基本规定》, the examples it gives, in the forms it prints first.
PBOC_EXAMPLES = [
    ("1409.50", "壹仟肆佰零玖元伍角"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
]


@pytest.mark.parametrize(("amount", "expected"), PBOC_EXAMPLES)
def test_central_bank_examples(amount: str, expected: str) -> None:
    assert rmb_capitals(Decimal(amount)) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "零元整"),
        ("0.00", "零元整"),
        ("-0.00", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("0.56", "伍角陆分"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),  # a leading 拾 is written 壹拾
        ("10.10", "壹拾元零壹角"),  # 元 place 0, 角 follows: 零
        ("11", "壹拾壹元整"),
        ("100", "壹佰元整"),
        ("101", "壹佰零壹元整"),
        ("1001", "壹仟零壹元整"),  # a run of 0s is one 零
        ("1010", "壹仟零壹拾元整"),
        ("1100", "壹仟壹佰元整"),  # trailing 0s are silent
        ("10000", "壹万元整"),
        ("10001", "壹万零壹元整"),
        ("100700", "壹拾万零柒佰元整"),  # a 0 between digits must be written
        ("1000000007", "壹拾亿零柒元整"),
        ("100010000", "壹亿零壹万元整"),
        ("100000000", "壹亿元整"),
        ("1234567890123.45", "壹万贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万零壹佰贰拾叁元肆角伍分"),
        ("1000100000000", "壹万零壹亿元整"),
        ("398.45", "叁佰玖拾捌元肆角伍分"),
        ("-20.00", "负贰拾元整"),
        ("-12.30", "负壹拾贰元叁角"),
    ],
)
def test_rules(amount: str, expected: str) -> None:
    assert rmb_capitals(Decimal(amount)) == expected


def test_finer_than_the_fen_is_refused() -> None:
    with pytest.raises(ValueError, match="fen"):
        rmb_capitals(Decimal("1.005"))


def test_not_a_decimal_is_refused() -> None:
    with pytest.raises(TypeError):
        rmb_capitals(1.5)  # type: ignore[arg-type]


def test_too_large_is_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        rmb_capitals(Decimal(10) ** 16)


def test_doctests() -> None:
    result = doctest.testmod(capitals_module)
    assert result.attempted >= 10 and result.failed == 0


def _normalised(text: str) -> str:
    """The variants the rules allow, brought to one form.

    - 零 after 元 before 角 (元位 0, 角 not 0) may be written or not: drop it;
    - 零 after 万/亿 before 仟 may be written or not: drop it;
    - 正 for 整; amounts below one yuan may start with 零元.
    """
    text = text.replace("正", "整")
    text = re.sub(r"元零(?=[壹贰叁肆伍陆柒捌玖]角)", "元", text)
    text = re.sub(r"([万亿])零(?=[壹贰叁肆伍陆柒捌玖]仟)", r"\1", text)
    text = re.sub(r"^(负?)零元(?=.)(?!整)", r"\1", text)
    return text


def _cn2an(amount: Decimal) -> str:
    return cn2an.an2cn(f"{amount:f}", "rmb")


def test_agrees_with_cn2an_on_many_amounts() -> None:
    rnd = random.Random(20261103)
    amounts = [Decimal(rnd.randrange(0, 10 ** rnd.randrange(1, 14))) / 100 for _ in range(5000)]
    amounts += [Decimal(n) / 100 for n in range(0, 20001, 7)]
    amounts += [
        Decimal(f"{d}{'0' * z}{e}.{f:02d}")
        for d in (1, 9)
        for z in range(10)
        for e in (0, 5)
        for f in (0, 5, 50)
    ]
    for amount in amounts:
        ours = rmb_capitals(amount)
        theirs = _cn2an(amount)
        assert _normalised(ours) == _normalised(theirs), (amount, ours, theirs)


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_agrees_with_cn2an_property(fen: int) -> None:
    amount = Decimal(fen) / 100
    assert _normalised(rmb_capitals(amount)) == _normalised(_cn2an(amount))


@given(st.integers(min_value=1, max_value=10**15))
def test_shape(fen: int) -> None:
    """Ends in 整 exactly when there are no 角 and 分; never two 零 running; never ends in 零."""
    text = rmb_capitals(Decimal(fen) / 100)
    assert text.endswith("整") == (fen % 100 == 0)
    assert "零零" not in text
    assert not text.rstrip("整").endswith("零")
