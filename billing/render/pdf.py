"""HTML → PDF with WeasyPrint, one warm renderer per process.

Each process keeps one `FontConfiguration`, the parsed stylesheets and the Jinja2 environment
in a module-level cache, built on first use: a worker of a process pool (or a Dask worker)
pays for fonts and CSS once, not once per document. WeasyPrint is imported here only, and
only when something is rendered.

Every document uses `templates/css/base.css` (the pinned font, type, colours); reports add
`report.css` (A4, header with company and title, page numbers), notices `notice.css`.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import re
import struct
import tempfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from itertools import zip_longest
from pathlib import Path
from typing import Any, ClassVar, cast
from urllib.parse import quote, unquote
from xml.etree import ElementTree

import jinja2
import segno
import segno.consts

from billing.domain.capitals import rmb_capitals
from billing.render.textgrid import Align, Column, TextGrid, font_metrics
from billing.render.views import TierView

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

# Debian 12 `fonts-wqy-microhei` 0.2.0-beta-3.1: TrueType outlines, face 0 is WenQuanYi Micro Hei.
# Referenced by this path in templates/css/base.css.
FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"
FONT_PACKAGES = ("fonts-wqy-microhei", "libharfbuzz-subset0")

BASE_CSS = "css/base.css"
REPORT_CSS = "css/report.css"


def check_fast_subsetter() -> str | None:
    """A warning when WeasyPrint would subset fonts with fontTools (≈50× slower with CJK).

    WeasyPrint 70 (`pdf/fonts.py`, `Font.subset`) uses HarfBuzz's hb-subset through its cffi
    binding when `libharfbuzz-subset` could be loaded (`text/ffi.py`, `harfbuzz_subset`) and
    HarfBuzz is at least 4.1.0; otherwise it logs a warning and falls back to fontTools.
    """
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset is None:
        return (
            "WeasyPrint cannot load libharfbuzz-subset: fonts will be subset with fontTools, "
            "about 50 times slower for Chinese notices. Install it: apt-get install libharfbuzz-subset0"
        )
    if not harfbuzz.hb_version_atleast(4, 1, 0):
        return (
            "HarfBuzz is older than 4.1.0: WeasyPrint will subset fonts with fontTools, "
            "about 50 times slower for Chinese notices. Install HarfBuzz 4.1 or later"
        )
    return None


def check_font() -> str | None:
    """A warning when the pinned notice font is missing or not the pinned file."""
    if not FONT_PATH.is_file():
        return f"the notice font {FONT_PATH} is missing: apt-get install fonts-wqy-microhei"
    if _file_sha256(FONT_PATH) != FONT_SHA256:
        return f"{FONT_PATH} is not the pinned font file (sha256 differs): notices may render differently"
    return None


def money(amount: Decimal) -> str:
    """Two decimals with thousands separators: 1,409.50 and -20.00.

    >>> money(Decimal("1409.5")), money(Decimal("-20")), money(Decimal("0"))
    ('1,409.50', '-20.00', '0.00')
    """
    return f"{amount.quantize(Decimal('0.01')):,.2f}"


def ymd(day: date) -> str:
    """>>> ymd(date(2026, 11, 5))
    '2026年11月5日'
    """
    return f"{day.year}年{day.month}月{day.day}日"


def qr_url(text: str) -> str:
    """`qr:<text>`: the QR code of `text`, made when WeasyPrint fetches it (`Renderer.fetcher`).

    Not a data URI: a notice's HTML stays small, and WeasyPrint neither parses a long URL in
    the stylesheet nor decodes it through urllib for every notice (measured: 0.3 ms each).
    """
    return QR_SCHEME + quote(text, safe="")


def qr_png(text: str) -> bytes:
    """The QR code of `text` as a PNG, one pixel per module, 2 modules of quiet zone.

    A PNG (sized by CSS, drawn unsmoothed) costs WeasyPrint well under 1 ms; the same code as
    an SVG path costs it 4 ms more (measured). It is written here as 8-bit greyscale, the
    form WeasyPrint embeds as it is: a 1-bit PNG (what segno writes) is converted to RGB and
    encoded again, for every notice.
    """
    matrix = qr_matrix(text)
    side = len(matrix) + 2 * _QR_BORDER
    blank = b"\0" + b"\xff" * side
    edge = b"\xff" * _QR_BORDER
    rows = [blank] * _QR_BORDER
    rows += [b"\0" + edge + bytes(row).translate(_QR_GREY) + edge for row in matrix]
    rows += [blank] * _QR_BORDER
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _png_chunk(b"IEND", b"")
    )


QR_SCHEME = "qr:"
_QR_BORDER = 2
# Modules are bytes, dark ones odd: dark to black (0), light to white (255).
_QR_GREY = bytes(0 if m & 1 else 255 for m in range(256))
_QR_MASK = 4  # any mask makes a valid code; choosing the best of eight costs 2.5 ms


def qr_matrix(text: str) -> list[bytes]:
    """The modules of the QR code of `text` (error correction M or better, mask 4), rows of
    0 and 1: the same code segno makes, in an eighth of the time.

    segno spends ~0.4 ms a code in Python, most of it placing and masking modules one by
    one. Here everything that depends only on the version and error level (the function
    patterns, the format and version modules, where each data bit goes and whether the
    mask turns it over) is made once, by segno and `_qr_layout`; a code is then its
    codewords, their Reed-Solomon check words, and one pass over the data modules.
    Numeric, alphanumeric and ASCII texts up to version 9 take this way; other texts are
    left to segno. test_notices compares both.
    """
    segments = _qr_segments(text)
    if segments is None:
        return [bytes(row) for row in segno.make(text, error="m", micro=False, mask=_QR_MASK).matrix]
    mode, count, bits = segments
    needed = 4 + _QR_COUNT_BITS[mode] + len(bits)
    capacity = _QR_TABLES.SYMBOL_CAPACITY
    version = next((v for v in range(1, 10) if capacity[v][_QR_M] >= needed), None)
    if version is None:
        return [bytes(row) for row in segno.make(text, error="m", micro=False, mask=_QR_MASK).matrix]
    error = _QR_M
    for better in (_QR_Q, _QR_H):  # as segno: the best level the version still holds
        if capacity[version][better] < needed:
            break
        error = better
    side, skeleton, positions, flips = _qr_layout(version, error)
    # The data bit stream: mode, count, data, terminator, padding to a byte, pad codewords.
    size = capacity[version][error]
    stream = _QR_MODE_BITS[mode] + format(count, f"0{_QR_COUNT_BITS[mode]}b") + bits
    stream += "0" * min(4, size - len(stream))
    stream += "0" * (8 - len(stream) % 8)  # as segno: a whole zero byte when already aligned
    data = [int(stream[i : i + 8], 2) for i in range(0, len(stream), 8)][: size // 8]
    data += [(0xEC, 0x11)[i % 2] for i in range(size // 8 - len(data))]
    # Blocks, their check words, interleaved.
    log, exp = _QR_TABLES.GALIOS_LOG, _QR_TABLES.GALIOS_EXP
    data_blocks, check_blocks = [], []
    at = 0
    for group in _QR_TABLES.ECC[version][error]:
        n_check = group.num_total - group.num_data
        gen = _QR_TABLES.GEN_POLY[n_check]
        for _ in range(group.num_blocks):
            block = data[at : at + group.num_data]
            at += group.num_data
            work = block + [0] * n_check
            for k in range(len(block)):
                coef = work[k]
                if coef:
                    lcoef = log[coef]
                    for n in range(n_check):
                        work[k + n + 1] ^= exp[lcoef + gen[n]]
            data_blocks.append(block)
            check_blocks.append(work[len(block) :])
    words = [w for column in zip_longest(*data_blocks) for w in column if w is not None]
    words += [w for column in zip_longest(*check_blocks) for w in column if w is not None]
    message = "".join(format(w, "08b") for w in words)
    message += "0" * (len(positions) - len(message))  # remainder bits
    modules = bytearray(skeleton)
    for position, bit, flip in zip(positions, message, flips, strict=True):
        modules[position] = (bit == "1") ^ flip
    return [bytes(modules[r * side : (r + 1) * side]) for r in range(side)]


_QR_TABLES: Any = segno.consts  # the standard's tables (capacities, blocks, Galois field)
_QR_M, _QR_Q, _QR_H = 0, 3, 2  # segno's error level constants
_QR_MODE_BITS = {"numeric": "0001", "alphanumeric": "0010", "byte": "0100"}
_QR_COUNT_BITS = {"numeric": 10, "alphanumeric": 9, "byte": 8}  # versions 1 to 9
_QR_ALPHANUMERIC = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")}


def _qr_segments(text: str) -> tuple[str, int, str] | None:
    """The mode segno would choose for `text` as one segment, the count and the data bits;
    None for a text this module leaves to segno (empty, or beyond ASCII)."""
    if not text:
        return None
    if text.isascii() and text.isdigit():
        groups = [text[i : i + 3] for i in range(0, len(text), 3)]
        return "numeric", len(text), "".join(format(int(g), f"0{3 * len(g) + 1}b") for g in groups)
    if all(c in _QR_ALPHANUMERIC for c in text):
        values = [_QR_ALPHANUMERIC[c] for c in text]
        bits = "".join(format(45 * a + b, "011b") for a, b in zip(values[::2], values[1::2], strict=False))
        if len(values) % 2:
            bits += format(values[-1], "06b")
        return "alphanumeric", len(text), bits
    if not text.isascii():  # segno may choose kanji mode, or UTF-8
        return None
    return "byte", len(text), "".join(format(b, "08b") for b in text.encode("ascii"))


@cache
def _qr_layout(version: int, error: int) -> tuple[int, bytes, tuple[int, ...], tuple[bool, ...]]:
    """For one version and level: the side, the modules of a code with its data modules
    light (function patterns, format and version information as segno makes them), the
    data modules in placement order (flat indexes), and whether the mask flips each."""
    side = 17 + 4 * version
    reserved = bytearray(side * side)

    def reserve(rows: range, cols: range) -> None:
        for r in rows:
            for c in cols:
                reserved[r * side + c] = 1

    # Finder patterns with their separators and the format information beside them.
    reserve(range(9), range(9))
    reserve(range(9), range(side - 8, side))
    reserve(range(side - 8, side), range(9))
    # Alignment patterns, except where they would overlap a finder pattern.
    if version > 1:
        centres = _QR_TABLES.ALIGNMENT_POS[version - 2]
        for r in centres:
            for c in centres:
                if not reserved[r * side + c]:
                    reserve(range(r - 2, r + 3), range(c - 2, c + 3))
    # Timing patterns.
    reserve(range(6, 7), range(side))
    reserve(range(side), range(6, 7))
    # Version information.
    if version >= 7:
        reserve(range(6), range(side - 11, side - 8))
        reserve(range(side - 11, side - 8), range(6))
    positions = []
    col = side - 1
    upward = True
    while col > 0:
        if col == 6:  # the vertical timing pattern
            col -= 1
        for row in range(side - 1, -1, -1) if upward else range(side):
            for c in (col, col - 1):
                if not reserved[row * side + c]:
                    positions.append(row * side + c)
        upward = not upward
        col -= 2
    flips = tuple((p // side // 2 + p % side // 3) % 2 == 0 for p in positions)
    # The rest of a code of this version and level: segno's, with the data modules cleared.
    level = {_QR_M: "m", _QR_Q: "q", _QR_H: "h"}[error]
    probe = segno.make_qr("0", version=version, error=level, mask=_QR_MASK, boost_error=False)
    skeleton = bytearray(b for row in probe.matrix for b in row)
    for p in positions:
        skeleton[p] = 0
    return side, bytes(skeleton), tuple(positions), flips


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tier(t: TierView) -> str:
    """>>> tier(TierView(label="第1档", quantity="15", price="5.00"))
    '第1档 15 × 5.00'
    """
    return f"{t.label} {t.quantity} × {t.price}"


@cache
def _grid(size_pt: float, columns: tuple[tuple[float, str], ...], gap_mm: float) -> TextGrid:
    return TextGrid(font_metrics(FONT_PATH), size_pt, [Column(w, cast(Align, a)) for w, a in columns], gap_mm)


def grid(size_pt: float, columns: Iterable[Sequence[Any]], gap_mm: float = 2.0) -> TextGrid:
    """A text grid for templates: `grid(8.5, [(17, "left"), (18, "right")])` (widths in mm)."""
    return _grid(float(size_pt), tuple((float(w), str(a)) for w, a in columns), float(gap_mm))


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> jinja2.Environment:
    """The Jinja2 environment of every document: autoescaped, strict, with our filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["capitals"] = rmb_capitals
    env.filters["ymd"] = ymd
    env.filters["qr_url"] = qr_url
    env.filters["tier"] = tier
    env.globals["grid"] = grid
    return env


@dataclass(slots=True)
class Renderer:
    """What one process keeps warm: fonts, parsed stylesheets, templates, the font's cmap."""

    templates_dir: Path
    env: jinja2.Environment
    font_config: Any
    fetcher: Any = None
    _css: dict[str, Any] = field(default_factory=dict)

    def css(self, name: str) -> Any:
        """A stylesheet of templates/, parsed once per process."""
        sheet = self._css.get(name)
        if sheet is None:
            from weasyprint import CSS

            sheet = CSS(filename=str(self.templates_dir / name), font_config=self.font_config)
            self._css[name] = sheet
        return sheet

    def document(
        self,
        html: str,
        stylesheets: Sequence[str],
        base_url: str | Path | None = None,
        *,
        plain: bool = False,
    ) -> Any:
        """Lay out `html` with base.css and the given stylesheets (names under templates/).

        `plain`: one of our own documents (notice.html.j2, signoff.html.j2), made for speed:
        - it has no lists, footnotes or notes, so it is laid out without the user-agent
          rules for their pseudo-elements (`::marker`, `::footnote-*`, `::note-*`). Those
          rules match every element, and WeasyPrint makes a style for each of them on every
          element: for a notice, three quarters of the objects it allocates and later
          collects (measured: 0.8 ms of a notice's 13);
        - its markup is well-formed XML, so it is parsed by the C XML parser instead of
          WeasyPrint's HTML5 parser, written in Python (measured: 0.45 ms a notice). Markup
          that is not XML after all (a control character in the data) is parsed as HTML.
        """
        sheets = [self.css(BASE_CSS), *(self.css(name) for name in stylesheets)]
        if self.fetcher is None:
            self.fetcher = _fetcher()
        html_class = _plain_html() if plain else _html()
        return html_class(
            string=html, base_url=str(base_url or self.templates_dir), url_fetcher=self.fetcher
        ).render(font_config=self.font_config, stylesheets=sheets)

    def missing_glyphs(self, text: str) -> str:
        """The characters of `text` the pinned font has no glyph for, in order, once each."""
        metrics = font_metrics(FONT_PATH)
        return "".join(sorted(c for c in set(text) if not metrics.covers(c) and not c.isspace()))


def _html() -> Any:
    from weasyprint import HTML

    return HTML


@cache
def _plain_html() -> Any:
    """WeasyPrint's `HTML` with a user-agent stylesheet that has no rules for `::name` alone."""
    import cssselect2
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA

    ua = re.sub(r"(?m)^::[^\n]*\n", "", UA)
    if ua == UA or not hasattr(HTML, "_ua_stylesheets"):  # another WeasyPrint: leave it as it is
        return HTML
    # Documents take their counter styles from WeasyPrint's own copy of these rules.
    sheet = CSS(string=ua, counter_style=CounterStyle())

    # What WeasyPrint's HTML sets when it parses a document: a PlainHTML parsed as XML must
    # set the same, and does only while that is all (another WeasyPrint may set more).
    parsed = set(vars(HTML(string="<p></p>")))
    fields = {"base_url", "url_fetcher", "media_type", "wrapper_element", "etree_element"}

    class PlainHTML(HTML):
        def __init__(self, *, string: str, base_url: str, url_fetcher: Any) -> None:
            try:
                if parsed != fields:
                    raise ElementTree.ParseError("another WeasyPrint")
                root = ElementTree.fromstring(string)
            except ElementTree.ParseError:
                super().__init__(string=string, base_url=base_url, url_fetcher=url_fetcher)
                return
            # The whitespace the HTML parser leaves out (it lays out as nothing either way).
            root.text = None
            for body in root.iter("body"):
                body.tail = None
            self.base_url = base_url
            self.url_fetcher = url_fetcher
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [sheet]

    return PlainHTML


# The sixteen margin boxes of a page (CSS Paged Media), as WeasyPrint names them.
_MARGIN_BOXES = tuple(
    f"@{side}-{place}"
    for side, places in (
        ("top", ("left-corner", "left", "center", "right", "right-corner")),
        ("bottom", ("left-corner", "left", "center", "right", "right-corner")),
        ("left", ("top", "middle", "bottom")),
        ("right", ("top", "middle", "bottom")),
    )
    for place in places
)


def skip_empty_margin_boxes() -> None:
    """Make WeasyPrint pass over a page's margin boxes when none of them has content.

    WeasyPrint 70 builds and resolves all sixteen margin boxes of every page, even when no
    rule gives any of them content and none is drawn: for a half-page notice, a twentieth
    of its cost (measured in instructions). A page with content in any margin box (the
    reports' running heads and page numbers) is laid out exactly as before; a page with
    none gets no margin boxes, which are what it would have drawn. The patch is applied
    once per process, and only to a WeasyPrint whose function has the expected form.
    """
    import inspect

    from weasyprint import layout

    make = getattr(layout, "make_margin_boxes", None)
    if make is None or hasattr(make, "original"):
        return
    if list(inspect.signature(make).parameters) != ["context", "page", "state"]:
        return

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        for keyword in _MARGIN_BOXES:
            style = context.style_for(page.page_type, keyword)
            if style is not None and style["content"] not in ("normal", "inhibit", "none"):
                return make(context, page, state)
        return ()

    make_margin_boxes.original = make  # type: ignore[attr-defined]
    layout.make_margin_boxes = make_margin_boxes


# PangoGlyphInfo: glyph (uint32), geometry (width, x_offset, y_offset: int32), attr (uint32).
_GLYPH_INFO = struct.Struct("=Iiii4x")
# The computed style properties WeasyPrint's Pango layout of a text is made from
# (`text/line_break.py`, `Layout.setup` and `set_text`; `text/fonts.py`, `get_font_description`).
_TEXT_STYLE = (
    "font_family",
    "font_style",
    "font_stretch",
    "font_weight",
    "font_size",
    "font_variant_caps",
    "font_variation_settings",
    "direction",
    "font_language_override",
    "lang",
    "text_decoration_line",
    "font_kerning",
    "font_variant_ligatures",
    "font_variant_position",
    "font_variant_numeric",
    "font_variant_alternates",
    "font_variant_east_asian",
    "font_feature_settings",
    "word_spacing",
    "letter_spacing",
    "overflow_wrap",
    "tab_size",
    "white_space",
)


# Characters besides "\n" at which Pango ends a line or a paragraph.
_BREAKS = frozenset("\r\u2028\u2029\x85\x0b\x0c")
_PARAGRAPH_ENDS = _BREAKS | {"\n"}


def _text_style_key(style: Any) -> tuple[Any, ...] | None:
    """What a line of text is laid out and drawn from, besides its text; None: not hashable."""
    values: list[Any] = [id(style.font_config)]
    for name in _TEXT_STYLE:
        value = style[name]
        if isinstance(value, set):
            value = frozenset(value)
        elif isinstance(value, list):
            value = tuple(value)
        values.append(value)
    key = tuple(values)
    try:
        hash(key)
    except TypeError:
        return None
    return key


class _Lines:
    """The lines of text of the document being drawn: per text and style, what was written."""

    fonts: ClassVar[Any] = None  # the document's fonts (WeasyPrint's `Document.fonts`) they belong to
    shows: ClassVar[dict[tuple[Any, ...], list[tuple[Any, float, str]]]] = {}
    # The lines laid out since the last document was written, by text and style.
    laid_out: ClassVar[dict[tuple[Any, ...], tuple[Any, ...]]] = {}

    @classmethod
    def for_fonts(cls, fonts: Any) -> dict[tuple[Any, ...], list[tuple[Any, float, str]]]:
        if fonts is not cls.fonts:
            cls.fonts = fonts
            cls.shows = {}
        return cls.shows

    @classmethod
    def clear(cls) -> None:
        cls.fonts = None
        cls.shows = {}
        cls.laid_out.clear()


def fast_text_lines() -> None:
    """Make WeasyPrint lay out and draw a line of text it has seen before without Pango,
    and write a line's glyphs from bytes instead of cffi objects.

    WeasyPrint 70 makes a new Pango layout (context, font description, shaping) for every
    line of text twice: to lay it out (`text/line_break.py`, `split_first_line`) and again
    to draw it (`Layout.reactivate`), then turns each glyph into PDF text in Python, reading
    its id and widths as cffi attributes one by one (`draw/text.py`, `draw_first_line`):
    for a notice, 3.1 of the 6.1 ms of writing its PDF and a third of laying it out
    (measured). Half the lines of a building's notices are lines seen before (headings,
    column heads, payment texts), and every line is laid out in `white-space: pre` (never
    wrapped, so its layout depends on its text and style alone). So:
    - a pre or nowrap line laid out before, with the same style of text, gets a copy of
      the Layout WeasyPrint made the first time, and the same measures; a pre line not
      seen before is shaped once, alone, not with the start of the next line and again
      alone (the next line starts after its newline in any case);
    - a line is drawn from what it wrote the first time in this document; a line not seen
      before is drawn from the Pango layout it was laid out with, kept (the same text,
      style and attributes: what `Layout.reactivate` would make and shape again), and
      `Layout.reactivate` is lazy, done only when something uses the Pango layout;
    - a run of glyphs is read at once as bytes, and one seen before in the same font (the
      same glyph array) reuses the text it gave.
    The PDF operators are those WeasyPrint writes, byte for byte (test_notices compares).
    Lines WeasyPrint draws otherwise (ellipsis, bitmap, SVG, PNG or COLR glyphs, missing
    glyphs, raised glyphs) go to its own function. The patches are applied once per
    process, and only to a WeasyPrint whose functions have the expected form.
    """
    import inspect

    from weasyprint.draw import text as draw_text_module
    from weasyprint.layout import inline
    from weasyprint.text import line_break
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    original = getattr(draw_text_module, "draw_first_line", None)
    split = getattr(inline, "split_first_line", None)
    layout_class = getattr(line_break, "Layout", None)
    if original is None or split is None or layout_class is None or hasattr(original, "original"):
        return
    if (
        list(inspect.signature(original).parameters)
        != ["stream", "textbox", "text_overflow", "block_ellipsis", "matrix"]
        or list(inspect.signature(split).parameters)
        != ["text", "style", "context", "max_width", "justification_spacing", "is_line_start", "minimum"]
        or list(inspect.signature(layout_class.reactivate).parameters) != ["self", "style"]
        or list(inspect.signature(layout_class.deactivate).parameters) != ["self"]
        or hasattr(layout_class, "__getattr__")
        or ffi.sizeof("PangoGlyphInfo") != 20
    ):
        return
    empty = pango.PANGO_GLYPH_EMPTY
    unknown = pango.PANGO_GLYPH_UNKNOWN_FLAG
    old_pango = pango.pango_version() < 14802
    hexes: dict[int, str] = {}
    reactivate = layout_class.reactivate
    deactivate = layout_class.deactivate

    # Lazy reactivation: the Pango objects are made when first asked for.
    def lazy_reactivate(self: Any, style: Any) -> None:
        self.__dict__["_estate_pending"] = style
        self.style = style

    keeping = [False]  # in split_first_line: keep the Pango layout of the line for drawing it

    def lazy_deactivate(self: Any) -> None:
        state = self.__dict__
        if state.pop("_estate_pending", None) is not None:
            state.pop("style", None)
            state.pop("_estate_kept", None)
            return
        if keeping[0] and not self.justification_spacing:
            state["_estate_kept"] = (state["layout"], state["language"], state["style"])
        else:
            state.pop("_estate_kept", None)
        deactivate(self)

    def lazy_getattr(self: Any, name: str) -> Any:
        state = self.__dict__
        style = state.get("_estate_pending")
        if style is None or name not in ("layout", "language"):
            raise AttributeError(name)
        del state["_estate_pending"]
        kept = state.pop("_estate_kept", None)
        if kept is not None and kept[2] is style:
            # The Pango layout this line was laid out with: what reactivate would make again
            # (the same style, text and attributes, no justification), already shaped.
            state["layout"], state["language"] = kept[0], kept[1]
        else:
            reactivate(self, style)
        return getattr(self, name)

    # Layouts of pre lines by text and style: (layout, length, resume_index, width, height, baseline).
    laid_out = _Lines.laid_out

    def shaped(*args: Any) -> Any:
        keeping[0] = True
        try:
            return split(*args)
        finally:
            keeping[0] = False

    def split_first_line(
        text: str,
        style: Any,
        context: Any,
        max_width: Any,
        justification_spacing: Any,
        is_line_start: bool = True,
        minimum: bool = False,
    ) -> Any:
        if style["white_space"] not in ("pre", "nowrap"):
            return split(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        style_key = _text_style_key(style)
        if style_key is None:
            return split(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        end = text.find("\n")  # Pango is given the first line and one character more
        key = (text if end == -1 else text[: end + 2], justification_spacing, style_key)
        found = laid_out.get(key)
        if found is None:
            if end > 0 and style["white_space"] == "pre" and _BREAKS.isdisjoint(text[:end]):
                # WeasyPrint lays out the first line with the newline and a character more,
                # to find where the next one starts, then the line alone again: a pre line
                # ends at its newline, so the line alone is enough (one shaping, not two).
                line = text[:end]
                alone = shaped(line, style, context, max_width, justification_spacing, is_line_start, minimum)
                if alone[2] is None:  # (else Pango broke the line itself: as WeasyPrint does it)
                    found = (alone[0], alone[1], len(line.encode()) + 1, *alone[3:])
            if found is None:
                found = shaped(text, style, context, max_width, justification_spacing, is_line_start, minimum)
            if len(laid_out) > 20_000:  # a document not written: see write_pdf
                laid_out.clear()
            laid_out[key] = found
        layout, *measures = found
        fresh = object.__new__(layout_class)  # its own copy: WeasyPrint may change a box's layout
        fresh.__dict__.update(layout.__dict__)
        return (fresh, *measures)

    def glyph_text(
        stream: Any, font: Any, font_size: float, glyph_item: Any, glyphs: bytes, text: str
    ) -> str | None:
        """The TJ text of one run, as WeasyPrint writes it; None: leave the line to WeasyPrint."""
        parts = ["<"]
        widths = font.widths
        to_unicode = font.to_unicode
        utf8_text = None
        count = len(glyphs) // 20
        for i, (glyph_id, width, x_offset, y_offset) in enumerate(_GLYPH_INFO.iter_unpack(glyphs)):
            if glyph_id == empty:
                parts.append(f">{-width / font_size}<")
                continue
            if glyph_id & unknown or y_offset:
                return None
            if glyph_id not in to_unicode:
                offset = glyph_item.item.offset
                clusters = glyph_item.glyphs.log_clusters
                t1 = clusters[i]
                if glyph_item.item.analysis.level % 2:  # right to left
                    t2 = glyph_item.item.length if i == 0 else clusters[i - 1]
                else:
                    t2 = glyph_item.item.length if i == count - 1 else clusters[i + 1]
                utf8_text = utf8_text or text.encode()
                to_unicode[glyph_id] = utf8_text[offset + t1 : offset + t2].decode()
            offset = x_offset / font_size
            if offset:
                parts.append(f">{-offset}<")
            hexed = hexes.get(glyph_id)
            if hexed is None:
                hexed = hexes[glyph_id] = f"{glyph_id:04x}"
            parts.append(hexed)
            logical_width = widths.get(glyph_id)
            if logical_width is None:
                pango.pango_font_get_glyph_extents(
                    glyph_item.item.analysis.font, glyph_id, stream.ink_rect, stream.logical_rect
                )
                logical_width = widths[glyph_id] = round(
                    stream.logical_rect.width * 1000 * FROM_UNITS / font_size
                )
            kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
            if kerning:
                parts.append(f">{int(kerning)}<")
        string = "".join(parts)
        # A run ends with ">", or loses its last "<" when that opened nothing.
        return string[:-1] if string[-1] == "<" else string + ">"

    def draw_first_line(
        stream: Any, textbox: Any, text_overflow: Any, block_ellipsis: Any, matrix: Any
    ) -> Any:
        if text_overflow == "ellipsis" or block_ellipsis != "none":
            return original(stream, textbox, text_overflow, block_ellipsis, matrix)
        if not textbox.text.strip():
            return []
        if textbox.style["font_size"] < 1e-6:
            return []
        layout = textbox.pango_layout
        lines = _Lines.for_fonts(stream._fonts)
        style_key = _text_style_key(textbox.style)
        key = None if style_key is None else (layout.text, layout.justification_spacing, style_key)
        shows = None if key is None else lines.get(key)
        if shows is None:
            shows = line_shows(stream, textbox)
            if shows is None:
                return original(stream, textbox, text_overflow, block_ellipsis, matrix)
            if key is not None:
                lines[key] = shows
        stream.set_text_matrix(*matrix.values)
        string = ""
        for font, font_size, texts in shows:
            if string:
                stream.show_text(string)
            stream.set_font_size(font.hash, font_size)
            string = texts
        stream.show_text(string)
        return []

    def line_shows(stream: Any, textbox: Any) -> list[tuple[Any, float, str]] | None:
        """(font, size, TJ text) per change of font along the line; None: WeasyPrint draws it."""
        layout = textbox.pango_layout
        if not _PARAGRAPH_ENDS.isdisjoint(layout.text):
            # (Without such characters the mode changes nothing, and setting it would make
            # Pango lay out and shape a kept layout again.)
            pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        first_line, _ = layout.get_first_line()
        shows: list[tuple[Any, float, list[str]]] = []
        previous_pango_font = None
        runs: dict[tuple[float, bytes], str] = {}
        font_size = 0.0
        run = first_line.runs[0]
        while run != ffi.NULL:
            glyph_item = run.data
            run = run.next
            glyph_string = glyph_item.glyphs
            pango_font = glyph_item.item.analysis.font
            if pango_font != previous_pango_font:
                previous_pango_font = pango_font
                font, font_size = stream.add_font(pango_font)
                if font.bitmap or font.svg or font.png or font.colr:
                    return None
                if old_pango:
                    font_size = textbox.style["font_size"]
                shows.append((font, font_size, []))
                runs = font.__dict__.setdefault("_estate_runs", {})
            glyphs = ffi.buffer(glyph_string.glyphs, glyph_string.num_glyphs * 20)[:]
            text = runs.get((font_size, glyphs))
            if text is None:
                text = glyph_text(stream, font, font_size, glyph_item, glyphs, layout.text)
                if text is None:
                    return None
                runs[font_size, glyphs] = text
            shows[-1][2].append(text)
        return [(font, size, "".join(texts)) for font, size, texts in shows]

    lazy_reactivate.original = reactivate  # type: ignore[attr-defined]
    lazy_deactivate.original = deactivate  # type: ignore[attr-defined]
    layout_class.reactivate = lazy_reactivate
    layout_class.deactivate = lazy_deactivate
    layout_class.__getattr__ = lazy_getattr
    split_first_line.original = split  # type: ignore[attr-defined]
    inline.split_first_line = split_first_line
    draw_first_line.original = original  # type: ignore[attr-defined]
    draw_text_module.draw_first_line = draw_first_line


# zlib level of the PDF streams: pydyf compresses at 9, which on a notice's page streams takes
# 2.4 times as long as 6 for 2 % less (measured: 0.33 and 0.14 ms a notice).
PDF_ZLIB_LEVEL = 6


def faster_stream_compression() -> None:
    """Make pydyf compress PDF streams at `PDF_ZLIB_LEVEL` instead of 9 (once per process).

    pydyf 0.13 (`Stream.data`) calls `zlib.compressobj(level=9)` through its module's `zlib`;
    that name is given a stand-in whose `compressobj` uses our level. The PDF is as valid and
    shows the same; only its streams are compressed a little less.
    """
    import types

    import pydyf

    if getattr(pydyf, "zlib", None) is not zlib:
        return  # another pydyf, or already done

    def compressobj(level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(PDF_ZLIB_LEVEL, *args, **kwargs)

    stand_in = types.SimpleNamespace(
        **{name: getattr(zlib, name) for name in dir(zlib) if not name.startswith("__")}
    )
    stand_in.compressobj = compressobj
    pydyf.zlib = stand_in


def _fetcher() -> Any:
    """WeasyPrint's URL fetcher, which also answers `qr:` URLs (`qr_url`) with the code's PNG."""
    from email.message import EmailMessage

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PNGResponse(URLFetcherResponse):
        # Its type is known: no headers to parse. (Python's email headers make a new class
        # for every header they parse, which is slow to make and to collect.)
        content_type = "image/png"

        def __init__(self, url: str, body: bytes) -> None:
            self.url = url
            self.status = 200
            self.headers = EmailMessage()
            self._file_obj = io.BytesIO(body)

    class Fetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith(QR_SCHEME):
                return PNGResponse(url, qr_png(unquote(url.removeprefix(QR_SCHEME))))
            return super().fetch(url, headers)

    return Fetcher()


_RENDERERS: dict[Path, Renderer] = {}
# Drop the renderers before the interpreter tears modules down: a FontConfiguration deleted
# after that fails in its __del__ (it removes its temporary folder).
atexit.register(_RENDERERS.clear)


def renderer(templates_dir: Path = TEMPLATES_DIR) -> Renderer:
    """This process's renderer for a templates folder, made on first use."""
    found = _RENDERERS.get(templates_dir)
    if found is None:
        if not FONT_PATH.is_file():
            raise FileNotFoundError(f"{FONT_PATH} is missing: apt-get install {' '.join(FONT_PACKAGES)}")
        from weasyprint.text.fonts import FontConfiguration

        skip_empty_margin_boxes()
        fast_text_lines()
        faster_stream_compression()
        found = Renderer(
            templates_dir=templates_dir, env=make_environment(templates_dir), font_config=FontConfiguration()
        )
        _RENDERERS[templates_dir] = found
    return found


def html_to_pdf(
    html: str,
    out_path: Path,
    base_url: str | Path | None = None,
    *,
    stylesheets: Iterable[str] = (REPORT_CSS,),
    templates_dir: Path = TEMPLATES_DIR,
) -> str:
    """Write `html` as a PDF at `out_path` (atomically) and return the file's sha256.

    Uses the process's warm renderer and the shared look: base.css plus, by default,
    report.css (header with `.doc-company` and `h1`, page numbers). `stylesheets` are names
    under templates/. Render templates with `renderer().env`, which has the `money`,
    `capitals`, `ymd` and `qr` filters.
    """
    doc = renderer(templates_dir).document(html, tuple(stylesheets), base_url)
    return write_pdf(doc, out_path)


def write_pdf(document: Any, out_path: Path) -> str:
    """Write a rendered document to a temporary file beside `out_path`, then rename it there.

    A crash never leaves a half-written PDF under the final name. Returns the sha256.
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = document.write_pdf()
    finally:
        _Lines.clear()  # the document's lines and fonts: not kept past its writing
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashlib.sha256(data).hexdigest()


def template_version(source: str) -> str:
    """The version a template declares with `{% set TEMPLATE_VERSION = "…" %}`."""
    m = re.search(r"set\s+TEMPLATE_VERSION\s*=\s*[\"']([^\"']+)[\"']", source)
    if not m:
        raise ValueError("the template declares no TEMPLATE_VERSION")
    return m.group(1)


def files_digest(paths: Iterable[Path]) -> str:
    """One sha256 over the names and contents of files: what a document was made with."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
