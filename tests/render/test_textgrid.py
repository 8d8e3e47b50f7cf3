"""The text grid: padding of measured widths, columns that line up, wrapping, spans."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from billing.render.pdf import FONT_PATH
from billing.render.textgrid import SPACE_CHARS, Column, TextGrid, _padding, _tokens, font_metrics

METRICS = font_metrics(FONT_PATH)
GRID = TextGrid(METRICS, 9, [Column(17), Column(15, "right"), Column(40), Column(18, "right")])


@given(st.integers(min_value=0, max_value=200_000))
def test_padding_never_passes_and_comes_close(units: int) -> None:
    text, width = _padding(units)
    assert set(text) <= SPACE_CHARS
    assert width == METRICS.width(text)
    assert width <= units
    # Below the narrowest space nothing fits; past it, within a hair space (205 units).
    assert units - width < 205


def _edges(line: str) -> list[int]:
    """Where each run of text ends, in font units from the line's start."""
    edges, x, in_text = [], 0, False
    for char in line:
        if char in SPACE_CHARS:
            if in_text:
                edges.append(x)
            in_text = False
        else:
            in_text = True
        x += METRICS.width(char)
    if in_text:
        edges.append(x)
    return edges


def test_right_aligned_columns_end_at_the_same_place() -> None:
    rows = [
        GRID.line("水费", "99990", "第1档 15 × 5.00", "124.00"),
        GRID.line("物业管理费", "1", "x", "1,114.33"),
    ]
    amounts = [_edges(r)[-1] for r in rows]
    readings = [_edges(r)[1] for r in rows]
    # Equal within the rounding of a hair space carried along the row.
    assert max(amounts) - min(amounts) < 205
    assert max(readings) - min(readings) < 205
    assert abs(amounts[0] - GRID.units(17 + 2 + 15 + 2 + 40 + 2 + 18)) < 205


def test_left_aligned_cells_start_at_their_column() -> None:
    line = GRID.line("电", "1", "第1档", "1.00")
    start = METRICS.width(line[: line.index("第")])
    assert abs(start - GRID.units(17 + 2 + 15 + 2)) < 205


def test_a_long_cell_wraps_within_its_column() -> None:
    reason = "九月水表读数抄错，退回多收的水费；十月起按新表读数计费，另有说明请致电物业服务中心"
    lines = GRID.lines("退款", "", reason, "-20.00")
    assert len(lines) > 1
    assert lines[0].endswith("-20.00") and all("-20.00" not in line for line in lines[1:])
    visible = ["".join(c for c in line if c not in SPACE_CHARS) for line in lines]
    assert (
        "".join(visible) == "退款" + reason[: len(visible[0]) - 8] + "-20.00" + reason[len(visible[0]) - 8 :]
    )
    start = GRID.units(17 + 2 + 15 + 2)
    for line in lines[1:]:
        assert abs(METRICS.width(line[: len(line) - len(line.lstrip("".join(SPACE_CHARS)))]) - start) < 205
    for line in lines:
        assert METRICS.width(line) <= GRID.units(17 + 2 + 15 + 2 + 40 + 2 + 18) + 205


def test_parts_are_kept_whole() -> None:
    grid = TextGrid(METRICS, 9, [Column(30)])
    lines = grid.lines(["第1档 240 × 0.4883", "第2档 160 × 0.5383", "第3档 70 × 0.7883"])
    assert all(line.count("档") == 1 for line in lines)
    assert len(lines) == 3


def test_none_spans_the_next_column() -> None:
    spanned = GRID.line("公摊水费", "本楼公摊 120.000 m³，按面积分摊", None, "6.17")
    assert "本楼公摊 120.000 m³，按面积分摊" in spanned
    assert abs(_edges(spanned)[-1] - _edges(GRID.line("水费", "1", "x", "6.17"))[-1]) < 205
    with pytest.raises(ValueError):
        GRID.line(None, "x")


def test_line_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError):
        GRID.line("一二三四五六七八九十一二三四五六七八九十")


def test_fill_pads_every_line_to_the_right_edge() -> None:
    total = GRID.units(17 + 2 + 15 + 2 + 40 + 2 + 18)
    reason = "九月水表读数抄错，退回多收的水费；十月起按新表读数计费，另有说明请致电物业服务中心"
    for lines in (GRID.lines("水费", "1", fill=True), GRID.lines("退款", "", reason, "-20.00", fill=True)):
        for line in lines:
            # Never past the edge, and short of it by less than a hair space (205 units).
            assert 0 <= total - METRICS.width(line) < 205
    assert GRID.line("水费", "1") == GRID.line("水费", "1", fill=True).rstrip("".join(SPACE_CHARS))


@given(st.text(alphabet="缴费参考号转账请填入附言，。；：（）「」 abc123", min_size=1, max_size=80))
def test_wrapped_lines_keep_punctuation_with_its_neighbour(text: str) -> None:
    grid = TextGrid(METRICS, 8, [Column(20)])
    # A run of text with no break in it that is wider than the column is cut where it must.
    assume(all(grid.width(token) <= grid.units(20) for token in _tokens(text)))
    lines = grid.lines(text)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines[1:]:
        assert line[:1] not in "，。；：）」"
    for line in lines[:-1]:
        assert line.rstrip()[-1:] not in "（「"
