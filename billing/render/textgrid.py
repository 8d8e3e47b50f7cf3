"""Columns made of text: a table row as one line of text, aligned by measured spaces.

Why: WeasyPrint spends about half a millisecond on every element it lays out, so a table
of charges with a cell per value costs more than the whole rest of a notice (measured: a
fixed-layout 8-column row ≈ 5 ms, the same row as one paragraph ≈ 0.5 ms). Our font is pinned
(`pdf.FONT_PATH`), so the width of any text is known exactly from its advance widths (kerning
is turned off in base.css): a row can be one paragraph whose cells are padded to their
column width with Unicode spaces of known widths (ideographic, en, figure, punctuation, thin,
hair space). None of these is U+0020, so CSS never collapses or stretches them.

A `TextGrid` holds the column widths (in mm) and the font size of its rows; `lines(*cells)`
gives the row as one or more lines of text (a cell too wide for its column wraps onto
continuation lines, CJK between any two characters, Latin between words).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Literal

PT_PER_MM = 72 / 25.4

# Spaces of the pinned font (WenQuanYi Micro Hei, 2048 units per em), widest first. U+0020
# and U+00A0 are left out on purpose: CSS collapses the one and justification stretches both.
_SPACES = (
    ("\u3000", 2048),  # ideographic space
    ("\u2007", 1128),  # figure space: the width of a digit
    ("\u2002", 1024),  # en space
    ("\u2008", 549),  # punctuation space: the width of "."
    ("\u2009", 410),  # thin space
    ("\u200a", 205),  # hair space
)
SPACE_CHARS = frozenset(c for c, _ in _SPACES)


@dataclass(frozen=True, slots=True)
class FontMetrics:
    """Advance widths of a font, in font units, by character."""

    units_per_em: int
    advances: dict[str, int]

    def width(self, text: str) -> int:
        """The advance width of `text` in font units (a character the font lacks counts 1 em)."""
        return sum(map(self.advances.get, text, repeat(self.units_per_em)))

    def covers(self, char: str) -> bool:
        return char in self.advances


@cache
def font_metrics(path: Path, font_number: int = 0) -> FontMetrics:
    """The advance widths of a font file (a face of a collection), read once per process."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=font_number, lazy=True)
    try:
        hmtx = font["hmtx"]
        advances = {chr(cp): hmtx[glyph][0] for cp, glyph in font.getBestCmap().items()}
        upem = font["head"].unitsPerEm
    finally:
        font.close()
    return FontMetrics(units_per_em=upem, advances=advances)


def _fits() -> list[str]:
    """For every width below 2 em, the fewest spaces that come closest to it without passing it."""
    limit = 2 * 2048
    best: list[str | None] = [None] * limit
    best[0] = ""
    for total in range(limit):
        current = best[total]
        if current is None:
            continue
        for char, width in _SPACES:
            nxt = total + width
            if nxt < limit and (best[nxt] is None or len(current) + 1 < len(best[nxt] or "")):
                best[nxt] = current + char
    fits: list[str] = []
    last = ""
    for found in best:
        last = found if found is not None else last
        fits.append(last)
    return fits


_FITS = _fits()


_SPACE_WIDTH = dict(_SPACES)


@cache
def _padding(units: int) -> tuple[str, int]:
    """Spaces adding up to `units` (of a 2048-unit em) as closely as they can, never wider;
    and their width."""
    if units <= 0:
        return "", 0
    wide = max(0, units // 2048 - 1)
    text = "\u3000" * wide + _FITS[units - wide * 2048]
    return text, sum(_SPACE_WIDTH[c] for c in text)


Align = Literal["left", "right", "center"]
Cell = str | Sequence[str] | None

# Between the parts of a cell given as a sequence: the only places it wraps.
_PART_GAP = "\u3000"


@dataclass(frozen=True, slots=True)
class Column:
    width_mm: float
    align: Align = "left"


class TextGrid:
    """Rows of text aligned in columns, for one font size; `gap_mm` between columns."""

    def __init__(
        self, metrics: FontMetrics, size_pt: float, columns: Sequence[Column], gap_mm: float = 2.0
    ) -> None:
        if metrics.units_per_em != 2048:
            raise ValueError("the spaces table is for a 2048-unit em")
        self.metrics = metrics
        self.size_pt = size_pt
        self.columns = tuple(columns)
        # Widths in font units at this size.
        self._widths = tuple(self.units(c.width_mm) for c in self.columns)
        self._gap = self.units(gap_mm)
        self._total = sum(self._widths) + self._gap * (len(self._widths) - 1)

    def units(self, mm: float) -> int:
        """A length in font units at this grid's size."""
        return round(mm * PT_PER_MM / self.size_pt * 2048)

    def width(self, text: str) -> int:
        return self.metrics.width(text)

    def lines(self, *cells: Cell, fill: bool = False) -> list[str]:
        """The row as lines of text: each cell padded (or wrapped) to its column.

        A cell `None` gives its column to the cell before it (like colspan); a sequence of
        strings is printed separated by ideographic spaces and wrapped only between them.
        `fill`: pad every line on to the grid's right edge, so that a rule drawn under the
        line's text (an underline) spans the whole row.
        """
        if len(cells) > len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        texts: list[str | tuple[str, ...]] = []
        columns: list[Column] = []
        widths: list[int] = []
        for cell, column, width in zip(cells, self.columns, self._widths, strict=False):
            if cell is None:
                if not texts:
                    raise ValueError("the first cell cannot be None")
                widths[-1] += self._gap + width
            else:
                texts.append(cell if isinstance(cell, str) else tuple(cell))
                columns.append(column)
                widths.append(width)
        wrapped = [self.wrap(text, width) for text, width in zip(texts, widths, strict=True)]
        height = max(len(w) for w in wrapped) if wrapped else 1
        out = []
        for i in range(height):
            parts = []
            carry = 0  # units short of the previous columns' edge
            x = 0  # units from the start of the line
            for index, (w, column, width) in enumerate(zip(wrapped, columns, widths, strict=True)):
                if index:
                    carry += self._gap
                text, used = w[i] if i < len(w) else ("", 0)
                if not text:
                    carry += width
                    continue
                room = width - used
                if column.align == "right":
                    left, right = room, 0
                elif column.align == "center":
                    left = room // 2
                    right = room - left
                else:
                    left, right = 0, room
                pad, pad_width = _padding(carry + left)
                parts.append(pad + text)
                carry = carry + left - pad_width + right
                x += pad_width + used
            if fill:
                parts.append(_padding(self._total - x)[0])
            out.append("".join(parts))
        return out

    def line(self, *cells: Cell, fill: bool = False) -> str:
        """The row as one line; a cell too wide for its column is an error."""
        lines = self.lines(*cells, fill=fill)
        if len(lines) > 1:
            raise ValueError(f"a cell of {cells!r} is wider than its column")
        return lines[0]

    def wrap(self, text: str | tuple[str, ...], width: int) -> list[tuple[str, int]]:
        """`text` broken into lines no wider than `width` font units, with their widths.

        Parts of a tuple are kept whole on a line when they fit.
        """
        if not isinstance(text, str):
            lines: list[str] = []
            for part in text:
                joined = f"{lines[-1]}{_PART_GAP}{part}" if lines else part
                if lines and self.width(joined) <= width:
                    lines[-1] = joined
                else:
                    lines.extend(self._wrap(part, width) if self.width(part) > width else [part])
            return [(line, self.width(line)) for line in lines] or [("", 0)]
        used = self.width(text)
        if used <= width:
            return [(text, used)]
        return [(line, self.width(line)) for line in self._wrap(text, width)]

    def _wrap(self, text: str, width: int) -> list[str]:
        lines: list[str] = []
        current = ""
        for token in _tokens(text):
            if current and self.width(current + token) > width:
                lines.append(current.rstrip())
                current = token.lstrip()
            else:
                current += token
            while self.width(current) > width and len(current) > 1:
                # A single token wider than the column (a long number): cut it.
                cut = len(current)
                while cut > 1 and self.width(current[:cut]) > width:
                    cut -= 1
                lines.append(current[:cut])
                current = current[cut:]
        if current:
            lines.append(current)
        return lines


# Punctuation that never begins a line (it stays with the character before it), and that
# never ends one (it goes with the character after it).
_CLOSING = frozenset("，。、；：！？）」』】》〉”’…—·%,.;:!?)]}")
_OPENING = frozenset("（「『【《〈“‘([{")


def _tokens(text: str) -> list[str]:
    """Break opportunities: after every CJK character, between Latin words (space kept);
    never before closing punctuation nor after opening punctuation."""
    raw: list[str] = []
    word = ""
    for char in text:
        if char == " ":
            raw.append(word + char)
            word = ""
        elif ord(char) >= 0x2E80:
            if word:
                raw.append(word)
                word = ""
            raw.append(char)
        else:
            word += char
    if word:
        raw.append(word)
    tokens: list[str] = []
    opening = ""
    for token in raw:
        if token in _OPENING or (opening and not token.strip()):
            opening += token
        elif token[0] in _CLOSING and tokens and not opening:
            if not tokens[-1].strip() and len(tokens) > 1:
                token = tokens.pop() + token
            tokens[-1] += token
        else:
            tokens.append(opening + token)
            opening = ""
    if opening:
        tokens.append(opening)
    return tokens
