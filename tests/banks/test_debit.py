"""Debit files: exact bytes, byte widths in GBK, problems instead of broken files, splitting."""

from __future__ import annotations

import stat
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from billing.banks import generic_csv, plan_debit, read_return, write_debit
from billing.banks.layout import Overflow
from billing.banks.text import cut_to_bytes

from .builders import batch, golden_batch, preset, row


def test_generic_csv_exact_bytes(tmp_path: Path) -> None:
    b = batch(row(1, "王小明", "100.00"), row(2, 'Li "Tiger", Jr', "0.50"), batch_no="G1")
    paths, problems = write_debit(generic_csv(), b, tmp_path)
    assert problems == ()
    assert paths == (tmp_path / "G1.csv",)
    assert (
        paths[0].read_bytes()
        == (
            "reference,unit_id,account,account_name,amount\n"
            "D202610-00001,A1-0001,6222020200000000001,王小明,100.00\n"
            'D202610-00002,A1-0002,6222020200000000002,"Li ""Tiger"", Jr",0.50\n'
        ).encode()
    )


def test_same_input_same_bytes_and_mode_0600(tmp_path: Path) -> None:
    for name in ("generic-csv", "pipe-gbk", "fixed-gbk"):
        layout = generic_csv() if name == "generic-csv" else preset(name)
        (a,), _ = write_debit(layout, golden_batch(), tmp_path / name / "a")
        (b,), _ = write_debit(layout, golden_batch(), tmp_path / name / "b")
        assert a.read_bytes() == b.read_bytes()
        assert stat.S_IMODE(a.stat().st_mode) == 0o600
        # writing again over an existing file keeps 0600 and leaves no temporary file
        a.chmod(0o644)
        write_debit(layout, golden_batch(), tmp_path / name / "a")
        assert stat.S_IMODE(a.stat().st_mode) == 0o600
        assert [p.name for p in (tmp_path / name / "a").iterdir()] == [a.name]


def test_fixed_width_lines_have_exact_byte_widths() -> None:
    plan = plan_debit(preset("fixed-gbk"), golden_batch())
    lines = plan.files[0].data.split(b"\r\n")
    assert lines[-1] == b""
    # header 1+32+3+8+8+14 = 66 bytes; detail 1+6+20+30+20+12+20 = 109 bytes
    assert [len(x) for x in lines[:-1]] == [66] + [109] * 8
    # count 8, total 4111.75 yuan = 411175 fen
    assert lines[0] == b"H" + b"D202610-01".ljust(32) + b"001" + b"20261116" + b"00000008" + b"00000000411175"


def test_gbk_name_cut_at_a_character_boundary_with_a_warning() -> None:
    plan = plan_debit(preset("fixed-gbk"), golden_batch())
    line = plan.files[0].data.split(b"\r\n")[5]
    name = line[57:77]  # 户名: bytes 57..76
    # 爱新觉罗(8) ·(2) 溥仪的远房(10) = 20 bytes; 亲戚 would not fit
    assert name.decode("gbk") == "爱新觉罗·溥仪的远房"
    (warning,) = plan.problems
    assert (warning.code, warning.unit, warning.is_error) == ("VALUE_CUT", "A1-0005", False)
    assert dict(warning.params)["cut"] == "爱新觉罗·溥仪的远房"


def test_odd_byte_budget_never_splits_a_double_byte_character() -> None:
    # 19 bytes for 王王王王王王王王王王 (20 bytes): 9 characters (18 bytes) and one pad byte
    layout = preset("fixed-gbk")
    fields = tuple(replace(f, width=19) if f.source == "account_name" else f for f in layout.debit.fields)
    layout = replace(layout, debit=replace(layout.debit, fields=fields))
    plan = plan_debit(layout, batch(row(1, "王" * 10, "1.00")))
    detail = plan.files[0].data.split(b"\r\n")[1]
    assert detail[57:76] == "王".encode("gbk") * 9 + b" "
    assert len(detail) == 108
    assert cut_to_bytes("王" * 10, 19, "gbk") == "王" * 9
    assert cut_to_bytes("a𠮷b", 4, "gb18030") == "a"  # 𠮷 is 4 bytes in GB18030


def test_an_unencodable_name_is_a_problem_naming_the_unit_and_nothing_is_written(tmp_path: Path) -> None:
    # 𠮷 and 䶮 are not in GBK
    b = batch(
        row(1, "王小明", "10.00"),
        row(2, "吉𠮷", "20.00", unit="B2-0101"),
        row(3, "王䶮", "5.00", unit="C3-0909"),
    )
    for name in ("pipe-gbk", "fixed-gbk"):
        paths, problems = write_debit(preset(name), b, tmp_path / name)
        assert paths == ()
        assert [(p.code, p.unit) for p in problems] == [
            ("UNENCODABLE", "B2-0101"),
            ("UNENCODABLE", "C3-0909"),
        ]
        assert dict(problems[0].params) == {"value": "吉𠮷", "encoding": "GBK"}
        assert not (tmp_path / name).exists()
    # UTF-8 holds every name
    assert plan_debit(generic_csv(), b).ok


def test_a_value_too_long_that_may_not_be_cut(tmp_path: Path) -> None:
    long_account = replace(row(1, "王", "1.00"), account="1" * 31)  # 30 bytes in fixed-gbk
    plan = plan_debit(preset("fixed-gbk"), batch(long_account))
    assert [(p.code, p.unit) for p in plan.problems] == [("FIELD_TOO_LONG", "A1-0001")]
    assert plan.files == ()


def test_a_name_may_be_refused_instead_of_cut() -> None:
    layout = preset("fixed-gbk")
    fields = tuple(replace(f, overflow=Overflow.ERROR) for f in layout.debit.fields)
    layout = replace(layout, debit=replace(layout.debit, fields=fields))
    plan = plan_debit(layout, golden_batch())
    assert [(p.code, p.unit) for p in plan.problems] == [("FIELD_TOO_LONG", "A1-0005")]


def test_a_delimiter_inside_a_value_is_a_problem() -> None:
    plan = plan_debit(preset("pipe-gbk"), batch(row(1, "王|小明", "1.00"), row(2, "李\n四", "1.00")))
    assert [(p.code, p.unit) for p in plan.problems] == [
        ("FIELD_HAS_DELIMITER", "A1-0001"),
        ("FIELD_HAS_DELIMITER", "A1-0002"),
    ]


@pytest.mark.parametrize("amount", ["0.00", "-5.00", "1.005"])
def test_amount_must_be_positive_whole_fen(amount: str) -> None:
    plan = plan_debit(generic_csv(), batch(row(1, "王", "1.00"), row(2, "李", amount)))
    assert [(p.code, p.unit) for p in plan.problems] == [("OUT_OF_RANGE", "A1-0002")]


def test_an_empty_batch_is_nothing_to_debit() -> None:
    assert [p.code for p in plan_debit(generic_csv(), batch()).problems] == ["NOTHING_TO_DEBIT"]


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        plan_debit(generic_csv(), batch(replace(row(1, "王", "1.00"), amount=1.0)))  # type: ignore[arg-type]


def test_split_by_max_rows_into_numbered_files(tmp_path: Path) -> None:
    layout = preset("fixed-gbk")
    layout = replace(layout, debit=replace(layout.debit, max_rows=3))
    rows = [row(i, "王小明", f"{i}.00") for i in range(1, 8)]  # 1.00 … 7.00
    paths, problems = write_debit(layout, batch(*rows), tmp_path)
    assert problems == ()
    assert [p.name for p in paths] == ["D202610-01-1.dat", "D202610-01-2.dat", "D202610-01-3.dat"]
    heads = [p.read_bytes().split(b"\r\n")[0] for p in paths]
    # file 1: 1+2+3 = 6.00 (600 fen), file 2: 4+5+6 = 15.00, file 3: 7.00
    assert [h[33:36] for h in heads] == [b"001", b"002", b"003"]
    assert [(int(h[44:52]), int(h[52:66])) for h in heads] == [(3, 600), (3, 1500), (1, 700)]
    # the sequence number starts again in every file
    seqs = [[int(x[1:7]) for x in p.read_bytes().split(b"\r\n")[1:-1]] for p in paths]
    assert seqs == [[1, 2, 3], [1, 2, 3], [1]]


def test_pipe_preset_splits_at_2000_rows() -> None:
    rows = [row(i, "李四", "1.00") for i in range(1, 4002)]
    plan = plan_debit(preset("pipe-gbk"), batch(*rows))
    assert [(f.name, f.count, f.total, f.first) for f in plan.files] == [
        ("D202610-01-1.txt", 2000, Decimal("2000.00"), 0),
        ("D202610-01-2.txt", 2000, Decimal("2000.00"), 2000),
        ("D202610-01-3.txt", 1, Decimal("1.00"), 4000),
    ]
    assert plan.files[2].data.decode("gbk").split("\r\n")[0] == "D202610-01|1|1.00|20261116|"
    assert (plan.count, plan.total) == (4001, Decimal("4001.00"))


def test_batch_number_must_be_a_file_name() -> None:
    with pytest.raises(ValueError):
        plan_debit(generic_csv(), batch(row(1, "王", "1.00"), batch_no="../x"))


def test_xlsx_layout_writes_text_cells_that_read_back(tmp_path: Path) -> None:
    from billing.banks.layout import parse_layout

    layout = parse_layout(
        {
            "name": "xl",
            "version": "1",
            "debit": {
                "kind": "xlsx",
                "column_names": True,
                "summary": {"position": "first", "fields": [{"source": "count"}, {"source": "total"}]},
                "fields": [
                    {"name": "参考号", "source": "reference"},
                    {"name": "账号", "source": "account"},
                    {"name": "户名", "source": "account_name"},
                    {"name": "金额", "source": "amount"},
                ],
            },
            "return": {
                "summary": {"position": "first", "fields": [{"source": "count"}, {"source": "total"}]},
                "fields": [
                    {"name": "参考号", "source": "reference"},
                    {"name": "账号", "source": "account"},
                    {"name": "户名", "source": "ignore"},
                    {"name": "金额", "source": "amount"},
                    {"name": "状态", "source": "status"},
                    {"name": "日期", "source": "date"},
                ],
                "status": {"success": ["成功"], "failed": ["失败"]},
            },
        },
        file="xl.toml",
    )
    (path,), problems = write_debit(layout, golden_batch(), tmp_path)
    assert problems == () and path.name == "D202610-01.xlsx"
    assert path.read_bytes() == plan_debit(layout, golden_batch()).files[0].data  # deterministic
    # the bank fills in status and date: rebuild the sheet as it would
    import xlsxwriter

    from billing.banks import xlsx

    rows = xlsx.records(path, layout.debit.file)
    assert rows[0] == (1, ["8", "4111.75"])
    assert rows[1] == (2, ["参考号", "账号", "户名", "金额"])
    back = tmp_path / "back.xlsx"
    book = xlsxwriter.Workbook(str(back))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["8", "4111.75"])
    sheet.write_row(2, 0, ["参考号", "账号", "户名", "金额", "状态", "日期"])  # a blank row before the header
    for r, (_, values) in enumerate(rows[2:], 3):
        amount = float(values[3])  # banks' sheets hold numbers; read back as Excel shows them
        sheet.write_row(r, 0, [values[0], values[1], values[2]])
        sheet.write_number(r, 3, amount)
        sheet.write_row(r, 4, ["成功" if r % 2 else "失败", "2026-11-18"])
    book.close()
    rf = read_return(layout, back)
    assert rf.problems == ()
    assert [r.amount for r in rf.rows] == [b.amount for b in golden_batch().rows]
    assert [r.line for r in rf.rows] == list(range(4, 12))
