"""Printed documents: Jinja2 templates (templates/) laid out by WeasyPrint into PDFs.

Imports only `billing.domain`; touches files and WeasyPrint. It never reads the database:
the pipeline hands it frozen views (`billing.render.views`) holding finished numbers, and the
templates only place them. Every document uses the pinned TrueType CJK font by file path
(templates/css/base.css), so every machine renders the same.

- `render_notices(views, out_dir, layout=, executor=, on_progress=)`: one PDF of notices and
  one sign-off list per building, buildings in parallel, skipping what the manifest shows
  already made from the same content.
- `render_unit_notice(view, out_path, layout)`: one unit's notice alone.
- `html_to_pdf(html, out_path, base_url)`: any report, with the shared look (base.css +
  report.css: font, header, page numbers) and the same warm per-process renderer.
- `check_fast_subsetter()`, `check_font()`: start-up warnings (slow font subsetting, font missing).
"""

from billing.render.manifest import ManifestRow, read_manifest
from billing.render.notices import (
    LAYOUTS,
    NoticeResult,
    building_files,
    content_key,
    notice_order,
    notices_html,
    render_notices,
    render_unit_notice,
    signoff_html,
)
from billing.render.pdf import FONT_PATH, check_fast_subsetter, check_font, html_to_pdf, renderer
from billing.render.views import (
    AdjustmentLine,
    BuildingNotices,
    CompanyView,
    DebitView,
    ManagementLine,
    MeterChangeView,
    MeteredLine,
    MeterView,
    NoticeView,
    SharedLine,
    TierView,
)

__all__ = [
    "FONT_PATH",
    "LAYOUTS",
    "AdjustmentLine",
    "BuildingNotices",
    "CompanyView",
    "DebitView",
    "ManagementLine",
    "ManifestRow",
    "MeterChangeView",
    "MeterView",
    "MeteredLine",
    "NoticeResult",
    "NoticeView",
    "SharedLine",
    "TierView",
    "building_files",
    "check_fast_subsetter",
    "check_font",
    "content_key",
    "html_to_pdf",
    "notice_order",
    "notices_html",
    "read_manifest",
    "render_notices",
    "render_unit_notice",
    "renderer",
    "signoff_html",
]
