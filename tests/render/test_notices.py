"""Payment notices as printed: their text against their views, order, look, golden HTML, manifest."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import date
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from billing.domain.capitals import rmb_capitals
from billing.render import (
    FONT_PATH,
    AdjustmentLine,
    BuildingNotices,
    DebitView,
    NoticeView,
    check_fast_subsetter,
    check_font,
    html_to_pdf,
    notices_html,
    read_manifest,
    render_notices,
    render_unit_notice,
    signoff_html,
)
from billing.render.notices import HALF_PAGE_ROWS, building_files
from billing.render.pdf import money, qr_matrix, renderer

from .factories import PERIOD, assemble, full_notice, synthetic_building
from .helpers import InlineExecutor, pdf_lines

GOLDEN = Path(__file__).parent / "golden"
CSS = Path(__file__).resolve().parents[2] / "templates" / "css"


def _line_with(lines: list[str], *parts: str) -> str:
    """The one line holding all the parts, in this order."""
    pattern = re.compile(".*".join(re.escape(p) for p in parts))
    found = [line for line in lines if pattern.search(line)]
    assert found, f"no line with {parts!r} in:\n" + "\n".join(lines)
    return found[0]


@pytest.fixture(scope="module")
def full_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("unit") / "A1-0301.pdf"
    render_unit_notice(full_notice(), path)
    return path


def test_the_environment_is_fast_and_pinned() -> None:
    assert check_fast_subsetter() is None
    assert check_font() is None


def test_a_notice_shows_its_view_line_by_line(full_pdf: Path) -> None:
    n = full_notice()
    lines = pdf_lines(full_pdf)
    _line_with(lines, n.company.name, "缴费通知单")
    _line_with(lines, n.company.address, n.company.phone, "账期 2026年10月")
    _line_with(lines, "房号 A1-0301", "业主 张晓梅", "建筑面积 89.50 m²", "缴费截止 2026年11月15日")
    # water: 99990 → 12 on a 5-digit register, 22 m³, 15 × 5.00 + 7 × 7.00 = 124.00
    _line_with(lines, "水费 W-A1-0301 99990 12 1 22 m³ 第1档 15 × 5.00 第2档 7 × 7.00 124.00")
    _line_with(lines, "5 位表走满一圈")
    # electricity: changed on 2026-10-12, (1290 − 1234) + (35 − 0) = 91 kWh × 0.4883 = 44.44
    _line_with(lines, "电费 E-A1-0301 1234 35 1 91 kWh 第1档 91 × 0.4883 44.44")
    _line_with(lines, "2026-10-12 换表", "止码 1290", "新表起码 0")
    _line_with(lines, "公摊水费", "本楼公摊 120.000 m³", "1.234 m³ 1.234 × 5.00 6.17")
    _line_with(lines, "公摊电费", "本楼公摊 1020.000 kWh", "10.500 kWh 10.500 × 0.6000 6.30")
    # management in the handover month: 89.50 × 2.20 × 18/31 = 114.33
    _line_with(lines, "物业管理费", "18/31", "89.50 × 2.20 元/m² × 18/31 114.33")
    _line_with(lines, "调整 9月水表读数抄错，退回多收水费 -20.00")
    _line_with(lines, "滞纳金", "3.21")
    # 124.00 + 44.44 + 6.17 + 6.30 + 114.33 − 20.00 + 3.21 = 278.45; + 120.00 earlier = 398.45
    _line_with(lines, "本期合计 278.45")
    _line_with(lines, "往期未缴", "120.00")
    _line_with(lines, "应缴金额 ¥398.45 人民币（大写）叁佰玖拾捌元肆角伍分")
    _line_with(lines, "户名 示例物业服务有限公司", "账号 4000021234567890123")
    _line_with(lines, "缴费参考号 2026-10-A1-0301")
    _line_with(lines, "notice-2 · a4-2")
    assert n.total == Decimal("398.45")


def test_the_total_printed_is_the_views_total_in_figures_and_capitals(tmp_path: Path) -> None:
    for total in ("0.00", "1409.50", "107000.53", "-35.20"):
        amount = Decimal(total)
        n = assemble(
            unit_id="A1-0101",
            building="A1",
            floor=1,
            owner_name="李雷",
            area_m2="50.00",
            adjustments=(AdjustmentLine(reason="核对", amount=amount),),
            reference="R",
        )
        path = tmp_path / f"{total}.pdf"
        render_unit_notice(n, path)
        _line_with(pdf_lines(path), f"应缴金额 ¥{money(amount)} 人民币（大写）{rmb_capitals(amount)}")


def test_a_direct_debit_owner_is_told_when_and_from_which_account(tmp_path: Path) -> None:
    n = dataclasses.replace(
        full_notice(),
        debit=DebitView.from_account(
            bank_name="中国建设银行", account="6217000012345678", debit_date=date(2026, 11, 16)
        ),
    )
    path = tmp_path / "debit.pdf"
    render_unit_notice(n, path)
    text = "\n".join(pdf_lines(path))
    assert "本期应缴金额将于 2026年11月16日 从您尾号 5678 的账户扣款" in text
    assert "6217000012345678" not in text and "4000021234567890123" not in text


def test_only_the_pinned_font_is_embedded(full_pdf: Path) -> None:
    fonts = subprocess.run(["pdffonts", str(full_pdf)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert len(rows) == 1 and "Estate-Sans" in rows[0] and "CID TrueType" in rows[0]


def test_the_first_page_is_not_blank(full_pdf: Path, tmp_path: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(full_pdf), str(tmp_path / "p")], check=True
    )
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    dark = sum(image.histogram()[:128])
    # Text, rules and the QR code of half a page: well over 0.5 % of the page's pixels.
    assert dark > 0.005 * image.width * image.height


def test_the_same_view_gives_the_same_bytes(tmp_path: Path) -> None:
    render_unit_notice(full_notice(), tmp_path / "a.pdf")
    render_unit_notice(full_notice(), tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_golden_html() -> None:
    """The HTML of the full notice; regenerate on purpose with UPDATE_GOLDEN=1."""
    html = notices_html((full_notice(),), "a4-2")
    golden = GOLDEN / "notice-a4-2.html"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(html, encoding="utf-8")
    assert html == golden.read_text(encoding="utf-8"), "notice HTML changed: UPDATE_GOLDEN=1 if on purpose"


def test_building_notices_are_in_floor_then_room_order(tmp_path: Path) -> None:
    view = synthetic_building("A1", 14, per_floor=3)
    # A unit without a floor goes last; room 1001 after room 902 on the same floor (digits, not text).
    base = view.notices[0]
    extra = (
        dataclasses.replace(base, unit_id="A1-X1", floor=None, reference="X1"),
        dataclasses.replace(base, unit_id="A1-1001", floor=2, reference="1001"),
        dataclasses.replace(base, unit_id="A1-902", floor=2, reference="902"),
    )
    view = dataclasses.replace(view, notices=view.notices + extra)
    result = render_notices([view], tmp_path, executor=InlineExecutor())
    assert not result.problems
    text = "\n".join(pdf_lines(tmp_path / "A1.pdf"))
    printed = re.findall(r"房号 (A1-\w+)", text)
    expected = sorted(
        (n for n in view.notices),
        key=lambda n: (
            n.floor is None,
            n.floor or 0,
            [int(p) if p.isdigit() else p for p in re.findall(r"\d+|\D+", n.unit_id)],
        ),
    )
    assert printed == [n.unit_id for n in expected]
    assert printed.index("A1-902") < printed.index("A1-1001") and printed[-1] == "A1-X1"
    pages = subprocess.run(
        ["pdfinfo", str(tmp_path / "A1.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Pages:\s+9\b", pages)  # 17 notices, two to a page


def test_every_amount_sits_on_its_label_line(tmp_path: Path) -> None:
    view = synthetic_building("B2", 20, seed=7)
    render_notices([view], tmp_path, executor=InlineExecutor())
    lines = pdf_lines(tmp_path / "B2.pdf")
    for n in view.notices:
        for line in n.metered:
            _line_with(lines, line.label, line.meters[0].meter_id, money(line.amount))
        for s in n.shared:
            _line_with(lines, s.label, f"{s.share_quantity} × {s.price} {money(s.amount)}")
        assert n.management
        _line_with(lines, "物业管理费", f"{n.management.area} × 2.20 元/m² {money(n.management.amount)}")
        _line_with(lines, f"应缴金额 ¥{money(n.total)} 人民币（大写）{rmb_capitals(n.total)}")


def test_sign_off_list(tmp_path: Path) -> None:
    view = synthetic_building("C3", 9)
    render_notices([view], tmp_path, executor=InlineExecutor())
    lines = pdf_lines(tmp_path / "C3-签收单.pdf")
    total = sum((n.total for n in view.notices), Decimal(0))
    _line_with(lines, "缴费通知单签收单")
    _line_with(lines, "楼栋 C3", "共", "9", "户", f"¥{money(total)}")
    _line_with(lines, "序号 楼层 房号 业主 应缴金额（元） 签收人 签收日期")
    for i, n in enumerate(sorted(view.notices, key=lambda n: n.unit_id), start=1):
        _line_with(lines, f"{i} {n.floor} {n.unit_id} {n.owner_name} {money(n.total)}")
    _line_with(lines, f"合计 9 户，应缴金额 ¥{money(total)}（{rmb_capitals(total)}）")


def test_a_notice_too_long_for_half_a_page_gets_a_page_and_shows_everything(tmp_path: Path) -> None:
    reasons = tuple(
        AdjustmentLine(
            reason=f"第{i}笔更正：{'九月水表读数抄错退回多收水费' * (1 + i % 3)}", amount=Decimal("-1.00")
        )
        for i in range(HALF_PAGE_ROWS)
    )
    long = assemble(
        unit_id="D4-0001",
        building="D4",
        floor=1,
        owner_name="王芳",
        area_m2="80.00",
        adjustments=reasons,
        reference="L",
    )
    short = synthetic_building("D4", 3).notices
    view = BuildingNotices(building="D4", period=PERIOD, notices=(long, *short))
    render_notices([view], tmp_path, executor=InlineExecutor())
    text = "".join(pdf_lines(tmp_path / "D4.pdf")).replace(" ", "").replace("-1.00", "").replace("调整", "")
    for a in reasons:
        assert a.reason in text
    pages = subprocess.run(
        ["pdfinfo", str(tmp_path / "D4.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Pages:\s+3\b", pages)  # the long one alone, then two, then one


def test_layout_a4_1_prints_one_notice_per_page(tmp_path: Path) -> None:
    view = synthetic_building("E5", 3)
    render_notices([view], tmp_path, layout="a4-1", executor=InlineExecutor())
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "E5.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Pages:\s+3\b", info)
    assert "layout=a4-1" in info
    with pytest.raises(ValueError):
        render_notices([view], tmp_path, layout="letter", executor=InlineExecutor())


def test_a_rerun_skips_what_is_there_and_redoes_what_changed(tmp_path: Path) -> None:
    a, b = synthetic_building("A1", 4), synthetic_building("B1", 3, seed=2)
    executor = InlineExecutor()
    progress: list[str] = []
    first = render_notices([a, b], tmp_path, executor=executor, on_progress=progress.append)
    assert sorted(p.name for p in first.files) == sorted([*building_files("A1"), *building_files("B1")])
    assert progress == ["A1", "B1"] and executor.submitted == 2
    manifest = read_manifest(first.manifest_path)
    assert {r.file: (r.building, r.units) for r in manifest.values()} == {
        "A1.pdf": ("A1", 4),
        "A1-签收单.pdf": ("A1", 4),
        "B1.pdf": ("B1", 3),
        "B1-签收单.pdf": ("B1", 3),
    }
    assert manifest["A1.pdf"].total == sum((n.total for n in a.notices), Decimal(0))
    header = first.manifest_path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "building,file,units,total,sha256,key"

    second = render_notices([a, b], tmp_path, executor=executor, on_progress=progress.append)
    assert second.files == () and len(second.skipped) == 4 and executor.submitted == 2
    assert progress == ["A1", "B1", "A1", "B1"]

    # A changed view re-renders its building only.
    changed = dataclasses.replace(
        b, notices=(dataclasses.replace(b.notices[0], owner_name="新业主"), *b.notices[1:])
    )
    third = render_notices([a, changed], tmp_path, executor=executor)
    assert sorted(p.name for p in third.files) == sorted(building_files("B1")) and executor.submitted == 3
    assert "新业主" in "\n".join(pdf_lines(tmp_path / "B1.pdf"))

    # A file changed or lost on disk is made again.
    (tmp_path / "A1.pdf").write_bytes(b"damaged")
    (tmp_path / "B1-签收单.pdf").unlink()
    fourth = render_notices([a, changed], tmp_path, executor=executor)
    assert sorted(p.name for p in fourth.files) == sorted([*building_files("A1"), *building_files("B1")])
    # Another layout is other content.
    fifth = render_notices([a], tmp_path, layout="a4-1", executor=executor)
    assert len(fifth.files) == 2


class _Broken(Executor):
    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(RuntimeError("worker died"))
        return future


def test_a_failed_building_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    result = render_notices([synthetic_building("F6", 2)], tmp_path, executor=_Broken())
    assert [p.code for p in result.problems] == ["RENDER_FAILED"]
    assert "F6" in result.problems[0].message("en")
    assert not (tmp_path / "F6.pdf").exists()


def test_a_character_the_font_lacks_is_reported(tmp_path: Path) -> None:
    view = synthetic_building("G7", 2)
    odd = dataclasses.replace(view.notices[0], owner_name="王\U00020000")  # CJK Extension B
    view = dataclasses.replace(view, notices=(odd, view.notices[1]))
    result = render_notices([view], tmp_path, executor=InlineExecutor())
    assert [(p.code, p.unit, dict(p.params)["chars"]) for p in result.problems] == [
        ("GLYPH_MISSING", odd.unit_id, "\U00020000")
    ]
    assert not result.problems[0].is_error


def test_buildings_render_in_a_process_pool(tmp_path: Path) -> None:
    views = [synthetic_building(f"P{i}", 3, seed=i) for i in range(3)]
    done: list[str] = []
    with ProcessPoolExecutor(2, mp_context=get_context("forkserver")) as pool:
        result = render_notices(iter(views), tmp_path, executor=pool, on_progress=done.append, max_pending=2)
    assert not result.problems and len(result.files) == 6
    assert sorted(done) == ["P0", "P1", "P2"]
    assert "房号 P1-0101" in "\n".join(pdf_lines(tmp_path / "P1.pdf"))


def test_views_refuse_figures_that_do_not_reconcile() -> None:
    n = full_notice()
    with pytest.raises(ValueError, match="add up"):
        dataclasses.replace(n, bill_total=Decimal("1.00"))
    with pytest.raises(ValueError, match="total"):
        dataclasses.replace(n, total=Decimal("1.00"))
    with pytest.raises(ValueError, match="fen"):
        dataclasses.replace(n, late_fee=Decimal("3.215"))
    with pytest.raises(TypeError):
        AdjustmentLine(reason="x", amount=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DebitView(bank_name="x", account_tail="12", debit_date=date(2026, 11, 16))
    other = dataclasses.replace(n, building="Z9")
    with pytest.raises(ValueError):
        BuildingNotices(building="A1", period=PERIOD, notices=(other,))
    assert isinstance(n, NoticeView)


def test_html_to_pdf_gives_reports_the_shared_look(tmp_path: Path) -> None:
    env = renderer().env
    html = env.from_string(
        '<p class="doc-company">{{ c }}</p><h1>欠费通知单</h1>'
        "{% for i in range(60) %}<p>第 {{ i }} 行 {{ amount | money }} {{ amount | capitals }}</p>{% endfor %}"
    ).render(c="示例物业服务有限公司", amount=Decimal("1680.32"))
    sha = html_to_pdf(html, tmp_path / "report.pdf")
    assert len(sha) == 64
    lines = pdf_lines(tmp_path / "report.pdf")
    _line_with(lines, "第", "1", "页", "/", "共", "2", "页")
    _line_with(lines, "示例物业服务有限公司", "欠费通知单")  # the running header of page 2
    _line_with(lines, "第 0 行 1,680.32 壹仟陆佰捌拾元零叁角贰分")


def test_the_css_names_the_pinned_font_file() -> None:
    assert f'url("{FONT_PATH}")' in (CSS / "base.css").read_text(encoding="utf-8")


def test_grid_font_sizes_match_the_css() -> None:
    """The template's grids measure text at the sizes the stylesheet prints it at."""
    template = (CSS.parent / "notice.html.j2").read_text(encoding="utf-8")
    css = (CSS / "notice.css").read_text(encoding="utf-8")
    sizes = dict(re.findall(r"set (\w+) = grid\(([\d.]+)", template))

    def css_size(selector: str, sheet: str = css) -> str:
        m = re.search("^" + re.escape(selector) + r"\s*\{[^}]*?font-size:\s*([\d.]+)pt", sheet, re.MULTILINE)
        assert m, selector
        return m.group(1)

    assert sizes["charges"] == css_size(".r")
    assert sizes["colhead"] == css_size(".c")
    assert sizes["note"] == css_size(".r span")
    assert sizes["head"] == css_size(".h")
    assert sizes["meta"] == css_size(".m")
    assert sizes["who"] == css_size(".w")
    assert sizes["pay"] == css_size(".p")
    signoff = (CSS.parent / "signoff.html.j2").read_text(encoding="utf-8")
    signoff_css = (CSS / "signoff.css").read_text(encoding="utf-8")
    ssizes = dict(re.findall(r"set (\w+) = grid\(([\d.]+)", signoff))
    assert ssizes["rows"] == css_size(".sl", signoff_css)
    assert ssizes["heads"] == css_size(".sh", signoff_css)


@given(
    st.text(alphabet="0123456789", min_size=1, max_size=250)
    | st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", min_size=1, max_size=250)
    | st.text(alphabet=st.characters(max_codepoint=0xFF), min_size=1, max_size=180)
    | st.text(min_size=1, max_size=40)
)
@settings(max_examples=300, deadline=None)
def test_qr_codes_are_segnos(text: str) -> None:
    """The fast QR path makes exactly the code segno makes (error M or better, mask 4)."""
    expected = [bytes(row) for row in segno.make(text, error="m", micro=False, mask=4).matrix]
    assert qr_matrix(text) == expected


def test_the_references_qr_code_is_in_the_notice(full_pdf: Path, tmp_path: Path) -> None:
    """One 25-module image per notice: version 1, 2 modules of quiet zone, drawn unsmoothed."""
    listing = subprocess.run(
        ["pdfimages", "-list", str(full_pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert len(listing) == 1
    assert listing[0].split()[3:6] == ["25", "25", "gray"]
    subprocess.run(["pdfimages", "-png", str(full_pdf), str(tmp_path / "qr")], check=True)
    image = Image.open(next(tmp_path.glob("qr*.png"))).convert("L")
    modules = [bytes(1 if image.getpixel((x, y)) < 128 else 0 for x in range(2, 23)) for y in range(2, 23)]
    assert modules == qr_matrix(full_notice().reference)


def test_columns_line_up_in_the_pdf(full_pdf: Path) -> None:
    """Amounts end at the right edge of the 190 mm line (10 mm + 190 mm from the page's left),
    every row alike: the text grid's measured spaces put them there."""
    words = re.findall(
        r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)<',
        subprocess.run(
            ["pdftotext", "-bbox", str(full_pdf), "-"], check=True, capture_output=True, text=True
        ).stdout,
    )
    edge = 200 / 25.4 * 72
    amounts = [
        "124.00",
        "44.44",
        "6.17",
        "6.30",
        "114.33",
        "-20.00",
        "3.21",
        "278.45",
        "120.00",
        "缴费通知单",
    ]
    ends = {text: float(x_max) for _, x_max, text in words if text in amounts}
    assert set(ends) == set(amounts)
    assert all(abs(end - edge) < 0.5 for end in ends.values()), ends
    meters = [float(x_min) for x_min, _, text in words if text in ("W-A1-0301", "E-A1-0301")]
    assert len(meters) == 2 and abs(meters[0] - meters[1]) < 0.2


def test_our_documents_parse_as_xml_and_as_html_alike(tmp_path: Path) -> None:
    """Notices and sign-off lists are parsed as XML (fast); as HTML they give the same PDF,
    and markup that is not XML (a control character in the data) still renders."""
    from xml.etree import ElementTree

    view = synthetic_building("X1", 4)
    r = renderer()
    docs = [
        (notices_html(view.notices), ("css/notice.css",)),
        (signoff_html(view), ("css/report.css", "css/signoff.css")),
    ]
    as_xml = [r.document(html, sheets, plain=True).write_pdf() for html, sheets in docs]
    original = ElementTree.fromstring

    def refuse(text: str) -> Any:
        raise ElementTree.ParseError("as HTML")

    ElementTree.fromstring = refuse  # type: ignore[assignment]
    try:
        as_html = [r.document(html, sheets, plain=True).write_pdf() for html, sheets in docs]
    finally:
        ElementTree.fromstring = original  # type: ignore[assignment]
    assert as_xml == as_html
    odd = dataclasses.replace(view.notices[0], owner_name="王\x0b芳")
    path = tmp_path / "odd.pdf"
    render_unit_notice(odd, path)
    assert f"房号 {odd.unit_id}" in "\n".join(pdf_lines(path))


def test_pages_without_margin_boxes_skip_them_and_look_the_same() -> None:
    """Skipping the margin boxes of pages that have none changes no byte of a notice; pages
    with running heads and numbers (the sign-off list) keep them."""
    import weasyprint.layout

    view = synthetic_building("M1", 50)
    r = renderer()
    docs = [
        (notices_html(view.notices[:6]), ("css/notice.css",)),
        (signoff_html(view), ("css/report.css", "css/signoff.css")),
    ]
    patched = weasyprint.layout.make_margin_boxes
    skipped = [r.document(html, sheets, plain=True).write_pdf() for html, sheets in docs]
    weasyprint.layout.make_margin_boxes = patched.original
    try:
        full = [r.document(html, sheets, plain=True).write_pdf() for html, sheets in docs]
    finally:
        weasyprint.layout.make_margin_boxes = patched
    assert skipped == full


def test_lines_laid_out_and_drawn_again_look_the_same() -> None:
    """Reusing the layouts and PDF text of lines seen before, and writing glyphs from bytes,
    changes no byte of notices (both layouts), sign-off lists and reports; WeasyPrint's own
    functions give the same PDFs."""
    import weasyprint.draw.text
    import weasyprint.layout.inline
    import weasyprint.text.line_break

    view = synthetic_building("L1", 30)
    r = renderer()
    docs = [
        (notices_html(view.notices[:8]), ("css/notice.css",), True),
        (notices_html(view.notices[:3], "a4-1"), ("css/notice.css",), True),
        (signoff_html(view), ("css/report.css", "css/signoff.css"), True),
        (signoff_html(view), ("css/report.css", "css/signoff.css"), False),
    ]

    def pdfs() -> list[bytes]:
        return [r.document(html, sheets, plain=plain).write_pdf() for html, sheets, plain in docs]

    fast = pdfs()
    assert fast == pdfs()  # with the lines of the first documents already seen
    draw = weasyprint.draw.text.draw_first_line
    split = weasyprint.layout.inline.split_first_line
    layout = weasyprint.text.line_break.Layout
    lazy = (layout.reactivate, layout.deactivate, layout.__getattr__)
    weasyprint.draw.text.draw_first_line = draw.original
    weasyprint.layout.inline.split_first_line = split.original
    layout.reactivate, layout.deactivate = lazy[0].original, lazy[1].original
    del layout.__getattr__
    try:
        plain = pdfs()
    finally:
        weasyprint.draw.text.draw_first_line = draw
        weasyprint.layout.inline.split_first_line = split
        layout.reactivate, layout.deactivate, layout.__getattr__ = lazy
    assert fast == plain
