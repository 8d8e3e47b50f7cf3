"""What we write, our parser reads back when the bank echoes it with its results."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.banks import DebitBatch, generic_csv, plan_debit, read_return, returns, write_debit

from .bank import FAILURES, Outcome, echo_fixed, echo_pipe, every_seventh_fails
from .builders import batch, golden_batch, preset, row


def echo_generic(data: bytes, outcome: Callable[[int], Outcome] = every_seventh_fails) -> bytes:
    """A bank answering a generic-csv debit file: the columns of CONTRACT §2, in Chinese."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["参考号", "账号", "金额", "状态", "原因", "日期"])
    for i, r in enumerate(csv.DictReader(io.StringIO(data.decode("utf-8")))):
        ok, _, text = outcome(i)
        w.writerow([r["reference"], r["account"], r["amount"], "成功" if ok else "失败", text, "2026-11-18"])
    return out.getvalue().encode("gbk")


def check_round_trip(b: DebitBatch, tmp_path: Path) -> None:
    for name, echo in (("generic-csv", echo_generic), ("pipe-gbk", echo_pipe), ("fixed-gbk", echo_fixed)):
        layout = generic_csv() if name == "generic-csv" else preset(name)
        paths, problems = write_debit(layout, b, tmp_path / name)
        assert all(not p.is_error for p in problems), problems
        rows = []
        firsts = [f.first for f in plan_debit(layout, b).files]
        for path, first in zip(paths, firsts, strict=True):
            back = path.with_suffix(".return")
            # the results of row i of this file are those of row first + i of the batch
            back.write_bytes(echo(path.read_bytes(), lambda i, first=first: every_seventh_fails(first + i)))
            rf = read_return(layout, back)
            assert rf.problems == (), rf.problems
            rows.extend(rf.rows)
        assert [(r.reference, r.account, r.amount) for r in rows] == [
            (d.reference, d.account, d.amount) for d in b.rows
        ]
        expected = [every_seventh_fails(i) for i in range(len(b.rows))]
        assert [r.success for r in rows] == [ok for ok, _, _ in expected]
        codes = {text: code for _, code, text in FAILURES}
        assert [r.reason_text for r in rows if not r.success] == [
            (f"{codes[t]} {t}" if name == "fixed-gbk" else t) for ok, _, t in expected if not ok
        ]


@pytest.mark.parametrize("fast", [True, False], ids=["column-wise", "row-by-row"])
def test_round_trip_of_every_layout(tmp_path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(returns, "FAST", fast)
    check_round_trip(golden_batch(), tmp_path)


def test_round_trip_over_several_files(tmp_path: Path) -> None:
    # 4,500 rows: pipe-gbk writes 3 files (2000 + 2000 + 500); the results come back file by file
    b = batch(
        *(row(i, ["王小明", "欧阳娜娜", "李四"][i % 3], f"{i % 500 + 1}.{i % 100:02d}") for i in range(4500))
    )
    check_round_trip(b, tmp_path)
    assert len(plan_debit(preset("pipe-gbk"), b).files) == 3


# names made of GBK characters (common surnames, some GBK-only ones, the middle dot, ASCII)
NAME_CHARS = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤喆堃镕赟·abcXYZ "
)
gbk_names = st.text(alphabet=st.sampled_from(NAME_CHARS), min_size=1, max_size=14).map(str.strip).filter(bool)
amounts = st.integers(min_value=1, max_value=99_999_999_99).map(lambda fen: Decimal(fen).scaleb(-2))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(gbk_names, amounts), min_size=1, max_size=12))
def test_round_trip_property(items: list[tuple[str, Decimal]]) -> None:
    import tempfile

    b = batch(*(row(i, name, str(amount)) for i, (name, amount) in enumerate(items, 1)))
    with tempfile.TemporaryDirectory() as tmp:
        check_round_trip(b, Path(tmp))
    # the totals the files carry add up to the batch, to the fen
    for name in ("pipe-gbk", "fixed-gbk"):
        plan = plan_debit(preset(name), b)
        assert plan.total == sum((a for _, a in items), Decimal(0))
