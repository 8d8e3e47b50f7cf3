"""Payment notices: one PDF per building (and its sign-off list), or one unit's notice alone.

Each building is one HTML document with all its notices, laid out once by WeasyPrint (much
faster per notice than one document per notice), rendered in a worker of the executor the
caller passes (a local process pool by default; a Dask `Client.get_executor()` works too).
Workers keep their fonts and stylesheets warm (see `billing.render.pdf`).

The coordinating process owns the manifest: it skips a building whose files were made from
the same content and are unchanged on disk, and records each building as it finishes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from markupsafe import Markup

from billing.domain.money import ZERO
from billing.domain.problem import Problem
from billing.render.manifest import MANIFEST_NAME, Manifest, ManifestRow
from billing.render.pdf import (
    FONT_SHA256,
    REPORT_CSS,
    TEMPLATES_DIR,
    files_digest,
    renderer,
    template_version,
    write_pdf,
)
from billing.render.views import BuildingNotices, NoticeView
from billing.runtime import collector_paused

LAYOUTS = ("a4-2", "a4-1")
NOTICE_TEMPLATE = "notice.html.j2"
SIGNOFF_TEMPLATE = "signoff.html.j2"
NOTICE_CSS = "css/notice.css"
SIGNOFF_CSS = "css/signoff.css"
SIGNOFF_SUFFIX = "-签收单"
_TEMPLATE_FILES = (NOTICE_TEMPLATE, SIGNOFF_TEMPLATE, "css/base.css", NOTICE_CSS, REPORT_CSS, SIGNOFF_CSS)


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeResult:
    """What `render_notices` did: files written this run, files left as they were, problems."""

    files: tuple[Path, ...]
    skipped: tuple[Path, ...]
    manifest_path: Path
    problems: tuple[Problem, ...] = ()


def notice_order(notice: NoticeView) -> tuple[bool, int, tuple[tuple[int, int, str], ...]]:
    """Floor, then room: units without a floor last, `A1-902` before `A1-1001`."""
    return (notice.floor is None, notice.floor or 0, _natural(notice.unit_id))


def building_files(building: str) -> tuple[str, str]:
    """The notices file and the sign-off list file of a building."""
    name = _safe_name(building)
    return f"{name}.pdf", f"{name}{SIGNOFF_SUFFIX}.pdf"


def notices_html(
    notices: Sequence[NoticeView],
    layout: str = "a4-2",
    *,
    templates_dir: Path = TEMPLATES_DIR,
    full: frozenset[str] = frozenset(),
) -> str:
    """The HTML of these notices, in the order given, as one document.

    `full`: units to print on a page of their own even if they would fit on half of one.
    """
    _check_layout(layout)
    first = notices[0]
    title = f"{first.company.name} {first.period} 缴费通知单 {first.building}"
    if len(notices) == 1:
        title += f" {first.unit_id}"
    template = renderer(templates_dir).env.get_template(NOTICE_TEMPLATE)
    module: Any = template.make_module({"sheets": (), "layout": layout, "title": title})
    fragments = [(n.unit_id, str(module.notice(n, layout))) for n in notices]
    return template.render(sheets=sheets(fragments, layout, full), layout=layout, title=title)


# Rows of charges (lines of a row, or notes) that fit on half a page beside the header, the
# total and the payment block, with room to spare for a payment text that wraps.
HALF_PAGE_ROWS = 12
# The paragraphs of rows in a notice's HTML (notice.html.j2): a line per row.
_ROWS = re.compile(r'<p class="r\b[^"]*">(.*?)</p>', re.DOTALL)


@dataclass(frozen=True, slots=True)
class Sheet:
    """One printed page: one or two half-page notices, or one notice on the whole page."""

    fragments: tuple[Markup, ...]
    full: bool


def sheets(
    fragments: Sequence[tuple[str, str]], layout: str, full: frozenset[str] = frozenset()
) -> list[Sheet]:
    """Pair the notices' HTML fragments `(unit, html)` into pages, in order.

    a4-2 pairs notices on a page; a notice with more rows than half a page holds (or named
    in `full`) gets a page of its own, and the notice before it is then alone on its page,
    so the order never changes. a4-1 gives each notice its page. Deciding this here, not by
    letting the layout engine find out, keeps every notice laid out once and the cut line in
    the middle of the page.
    """
    if layout == "a4-1":
        return [Sheet((Markup(html),), full=True) for _, html in fragments]
    result: list[Sheet] = []
    half: Markup | None = None
    for unit, html in fragments:
        rows = sum(block.count("\n") + 1 for block in _ROWS.findall(html))
        if rows > HALF_PAGE_ROWS or unit in full:
            if half is not None:
                result.append(Sheet((half,), full=False))
                half = None
            result.append(Sheet((Markup(html),), full=True))
        elif half is None:
            half = Markup(html)
        else:
            result.append(Sheet((half, Markup(html)), full=False))
            half = None
    if half is not None:
        result.append(Sheet((half,), full=False))
    return result


def notices_document(
    notices: Sequence[NoticeView], layout: str = "a4-2", *, templates_dir: Path = TEMPLATES_DIR
) -> tuple[str, Any]:
    """Lay the notices out: `(html, WeasyPrint document)`.

    Should a notice's content run past its half page after all (a payment text far longer
    than usual), it is moved onto a page of its own and the document laid out again.
    """
    r = renderer(templates_dir)
    html = notices_html(notices, layout, templates_dir=templates_dir)
    document = r.document(html, (NOTICE_CSS,), plain=True)
    if layout == "a4-2":
        overflowing = overflowing_notices(document)
        if overflowing:
            html = notices_html(notices, layout, templates_dir=templates_dir, full=frozenset(overflowing))
            document = r.document(html, (NOTICE_CSS,), plain=True)
    return html, document


def overflowing_notices(document: Any) -> list[str]:
    """Units whose notice content reaches past the bottom of the notice's box."""
    found = []
    for page in document.pages:
        for box in _notice_boxes(page._page_box):
            bottom = box.content_box_y() + box.height
            content_bottom = max(
                (child.position_y + child.margin_height() for child in box.children), default=bottom
            )
            if content_bottom > bottom + 0.5:
                found.append(str(box.element.get("data-unit", "")))
    return found


def _notice_boxes(box: Any) -> Iterator[Any]:
    for child in getattr(box, "children", ()):
        if getattr(child, "element_tag", None) == "section":
            yield child
        else:
            yield from _notice_boxes(child)


def signoff_html(view: BuildingNotices, *, templates_dir: Path = TEMPLATES_DIR) -> str:
    """The hand-out list of a building: unit, owner, amount, a column to sign and the date."""
    notices = sorted(view.notices, key=notice_order)
    template = renderer(templates_dir).env.get_template(SIGNOFF_TEMPLATE)
    return template.render(
        building=view.building,
        period=view.period,
        company=notices[0].company,
        notices=notices,
        count=len(notices),
        total=building_total(view),
    )


def building_total(view: BuildingNotices) -> Decimal:
    """What the building's owners are asked to pay, the sum of the notices' totals."""
    return sum((n.total for n in view.notices), ZERO)


def content_key(view: BuildingNotices, layout: str, *, templates_dir: Path = TEMPLATES_DIR) -> str:
    """The hash of everything a building's files are made from.

    The views (in print order), the layout, the declared template versions, the bytes of the
    templates and stylesheets, and the pinned font: change any of them and the key changes.
    """
    h = hashlib.sha256()
    h.update(templates_fingerprint(templates_dir).encode())
    h.update(layout.encode())
    # The views are frozen dataclasses of strings, numbers, Decimals and dates: their repr
    # is all they hold, and ten times faster to make than JSON of `dataclasses.asdict`.
    h.update(repr((view.building, view.period)).encode())
    for notice in sorted(view.notices, key=notice_order):
        h.update(repr(notice).encode())
    return h.hexdigest()


def render_unit_notice(
    view: NoticeView, out_path: Path, layout: str = "a4-2", *, templates_dir: Path = TEMPLATES_DIR
) -> Path:
    """Write one unit's notice alone (`billing notices P --unit UNIT`); renders in this process."""
    with collector_paused():
        _, document = notices_document((view,), layout, templates_dir=templates_dir)
        write_pdf(document, out_path)
    return out_path


def render_notices(
    views: Iterable[BuildingNotices],
    out_dir: Path,
    *,
    layout: str = "a4-2",
    executor: Executor | None = None,
    on_progress: Callable[[str], None] | None = None,
    templates_dir: Path = TEMPLATES_DIR,
    max_pending: int | None = None,
) -> NoticeResult:
    """Write `<building>.pdf` and `<building>-签收单.pdf` into `out_dir` for every building.

    A building whose manifest rows carry the same content key, and whose files are on disk
    with the recorded sha256, is skipped. The others are rendered on `executor` (default: a
    process pool of this machine's cores, shut down on return). `views` may be a generator:
    at most `max_pending` buildings (default 2 per core) are in flight, so the estate need not
    be in memory at once. `on_progress(building)` is called in this process as each building
    is done, rendered or skipped. A building that fails is reported as a `RENDER_FAILED`
    problem and the others go on.
    """
    _check_layout(layout)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST_NAME
    manifest = Manifest(manifest_path)
    written: list[Path] = []
    skipped: list[Path] = []
    problems: list[Problem] = []
    own_executor: Executor | None = None
    pending: dict[Future[_Rendered], str] = {}
    limit = max_pending or 2 * (os.cpu_count() or 1)

    def progress(building: str) -> None:
        if on_progress is not None:
            on_progress(building)

    def collect(finished: set[Future[_Rendered]]) -> None:
        # In the order submitted, so that buildings done at once are reported in order.
        for future in [f for f in pending if f in finished]:
            building = pending.pop(future)
            try:
                done = future.result()
            except Exception as exc:  # one building's failure must not hide the others
                problems.append(Problem.error("RENDER_FAILED", building=building, reason=repr(exc)))
            else:
                written.extend(out_dir / row.file for row in done.rows)
                manifest.record(done.rows)
                problems.extend(done.problems)
            progress(building)

    try:
        for view in views:
            if not view.notices:
                progress(view.building)
                continue
            key = content_key(view, layout, templates_dir=templates_dir)
            names = building_files(view.building)
            if manifest.current(names, key):
                skipped.extend(out_dir / name for name in names)
                progress(view.building)
                continue
            if executor is None and own_executor is None:
                own_executor = _local_pool()
            run_on = executor or own_executor
            assert run_on is not None
            while len(pending) >= limit:
                done_now, _ = wait(pending, return_when=FIRST_COMPLETED)
                collect(done_now)
            future = run_on.submit(render_building, view, out_dir, layout, key, templates_dir)
            pending[future] = view.building
        while pending:
            done_now, _ = wait(pending, return_when=FIRST_COMPLETED)
            collect(done_now)
    finally:
        manifest.flush()  # what was made stays made, should a building or the run fail
        if own_executor is not None:
            own_executor.shutdown(wait=True, cancel_futures=True)
    return NoticeResult(
        files=tuple(written), skipped=tuple(skipped), manifest_path=manifest_path, problems=tuple(problems)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Rendered:
    rows: tuple[ManifestRow, ...]
    problems: tuple[Problem, ...]


def render_building(
    view: BuildingNotices, out_dir: Path, layout: str, key: str, templates_dir: Path = TEMPLATES_DIR
) -> _Rendered:
    """Render one building's notices and sign-off list (runs in a worker process)."""
    r = renderer(templates_dir)
    notices = sorted(view.notices, key=notice_order)
    notices_name, signoff_name = building_files(view.building)
    with collector_paused():
        html, document = notices_document(notices, layout, templates_dir=templates_dir)
        problems = _glyph_problems(notices, html, r.missing_glyphs)
        notices_sha = write_pdf(document, out_dir / notices_name)
        del document
        signoff = signoff_html(view, templates_dir=templates_dir)
        signoff_sha = write_pdf(
            r.document(signoff, (REPORT_CSS, SIGNOFF_CSS), plain=True), out_dir / signoff_name
        )
    total = building_total(view)
    rows = tuple(
        ManifestRow(building=view.building, file=name, units=len(notices), total=total, sha256=sha, key=key)
        for name, sha in ((notices_name, notices_sha), (signoff_name, signoff_sha))
    )
    return _Rendered(rows=rows, problems=problems)


def _glyph_problems(
    notices: Sequence[NoticeView], html: str, missing: Callable[[str], str]
) -> tuple[Problem, ...]:
    """A warning per unit whose notice has characters the pinned font cannot draw."""
    if not missing(html):
        return ()
    found = []
    for n in notices:
        chars = missing("".join(_strings(n)))
        if chars:
            found.append(Problem.warning("GLYPH_MISSING", unit=n.unit_id, chars=chars))
    return tuple(found)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _strings(item)


def _local_pool() -> ProcessPoolExecutor:
    # forkserver: workers start from a clean process, not a fork of one holding WeasyPrint state.
    return ProcessPoolExecutor(mp_context=get_context("forkserver"))


def templates_fingerprint(templates_dir: Path = TEMPLATES_DIR) -> str:
    """The declared template versions, a digest of the template files, the pinned font."""
    versions = [
        template_version((templates_dir / name).read_text(encoding="utf-8"))
        for name in (NOTICE_TEMPLATE, SIGNOFF_TEMPLATE)
    ]
    code = Path(__file__).parent
    digest = files_digest(
        [*(templates_dir / name for name in _TEMPLATE_FILES), code / "textgrid.py", code / "pdf.py"]
    )
    return "|".join((*versions, digest, FONT_SHA256))


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """Numbers by value, and (as in plain text order) before letters: 1-902 < 1-1001 < SH-01."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", text)
    )


def _safe_name(building: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", building.strip())
    return name.lstrip(".") or "_"


def _check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: one of {', '.join(LAYOUTS)}")
