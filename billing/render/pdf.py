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
from typing import Any, cast
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
    data = document.write_pdf()
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
