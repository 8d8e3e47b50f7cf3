"""read_table: encodings, header aliases, XLSX cells as text, blank lines and line numbers, junk."""

from __future__ import annotations

import datetime
import os
import random
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from billing.ingest import (
    DEPOSITS,
    LINE,
    METER_CHANGES,
    METERS,
    READINGS,
    UNITS,
    ColumnSpec,
    Table,
    csv_reader,
    read_table,
)
from billing.ingest.grid import Grid

ZH_READINGS = "表号,本期读数,抄表日期\nW-1-101,310.8,2026-10-31\nE-1-101,2118,\n"


def codes(table: Table) -> list[str]:
    return [p.code for p in table.problems]


def rows(table: Table) -> list[tuple[object, ...]]:
    return table.frame.rows()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(ZH_READINGS.encode("utf-8"), id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + ZH_READINGS.encode("utf-8"), id="utf-8-bom"),
        pytest.param(ZH_READINGS.encode("gbk"), id="gbk"),
        pytest.param(ZH_READINGS.encode("gb18030"), id="gb18030"),
    ],
)
def test_chinese_headers_in_every_supported_encoding(tmp_path: Path, encoded: bytes) -> None:
    table = read_table(write(tmp_path, "readings.csv", encoded), READINGS)
    assert table.problems == ()
    assert table.frame.columns == ["meter_id", "reading", "read_date", LINE]
    assert rows(table) == [("W-1-101", "310.8", "2026-10-31", 2), ("E-1-101", "2118", None, 3)]
    assert table.headers == {"meter_id": "表号", "reading": "本期读数", "read_date": "抄表日期"}
    assert table.file == "readings.csv"


def test_gb18030_only_characters(tmp_path: Path) -> None:
    # 𠀀 (U+20000) is not in GBK; GB18030 encodes it in four bytes
    text = "房号,楼栋,类型,建筑面积,业主\nA-1,A,住宅,80,𠀀先生\n"
    table = read_table(write(tmp_path, "units.csv", text.encode("gb18030")), UNITS)
    assert table.problems == ()
    assert table.frame.get_column("owner_name").to_list() == ["𠀀先生"]


def test_all_columns_are_text(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "r.csv", b"meter_id,reading\nM1,007.50\n"), READINGS)
    assert table.frame.schema == pl.Schema(
        {"meter_id": pl.String, "reading": pl.String, "read_date": pl.String, LINE: pl.Int64}
    )
    assert rows(table) == [("M1", "007.50", None, 2)]  # the text as written: ingest does not interpret


# headers -----------------------------------------------------------------------------------


def test_column_order_is_free_and_unknown_columns_are_ignored(tmp_path: Path) -> None:
    data = " 备注 ,Reading , METER_ID\nx,12,M1\n".encode()
    table = read_table(write(tmp_path, "r.csv", data), READINGS)
    assert table.problems == ()
    assert rows(table) == [("M1", "12", None, 2)]


def test_missing_required_column_names_every_spelling(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "r.csv", b"meter_id,read_date\nM1,2026-10-31\n"), READINGS)
    assert codes(table) == ["MISSING_COLUMN"]
    assert dict(table.problems[0].params) == {"column": "reading/本期读数"}
    assert table.problems[0].line == 1
    assert not table.ok


def test_duplicate_column_in_two_languages(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "r.csv", "meter_id,表号,reading\nM1,M2,3\n".encode()), READINGS)
    assert codes(table) == ["DUPLICATE_COLUMN"]
    assert dict(table.problems[0].params) == {"column": "表号"}


def test_every_file_kind_reads_its_chinese_headers(tmp_path: Path) -> None:
    for specs in (UNITS, METERS, READINGS, METER_CHANGES, DEPOSITS):
        header = ",".join(s.aliases[0] for s in specs)
        table = read_table(
            write(tmp_path, "f.csv", (header + "\n" + ",".join("x" for _ in specs)).encode()), specs
        )
        assert table.problems == (), specs


# blank lines and line numbers --------------------------------------------------------------


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    data = b"\n\nmeter_id,reading\r\nM1,1\r\n\r\n   \r\n,,\r\nM2,2\r\n\r\n"
    table = read_table(write(tmp_path, "r.csv", data), READINGS)
    # line 1, 2 blank; header on line 3; M1 on 4; lines 5-7 blank (empty, spaces, only commas)
    assert rows(table) == [("M1", "1", None, 4), ("M2", "2", None, 8)]


def test_quoted_field_with_newlines_keeps_following_lines_right(tmp_path: Path) -> None:
    data = b'meter_id,reading,note\nM1,1,"two\nlines"\nM2,2,"say ""hi"""\n\nM3,3,x\n'
    table = read_table(write(tmp_path, "r.csv", data), READINGS)
    # M1 starts on line 2 and ends on 3; M2 on 4; 5 blank; M3 on 6
    assert rows(table) == [("M1", "1", None, 2), ("M2", "2", None, 4), ("M3", "3", None, 6)]


def test_a_stray_quote_falls_back_to_the_csv_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an unbalanced quote inside a field: polars and the quote-parity count disagree; lines still hold
    used: list[bytes] = []
    fallback = csv_reader._read_with_csv_module

    def spy(body: bytes, skipped: int) -> Grid:
        used.append(body)
        return fallback(body, skipped)

    monkeypatch.setattr(csv_reader, "_read_with_csv_module", spy)
    data = b'meter_id,reading,note\nM1,1,5" pipe\nM2,2,x\n'
    table = read_table(write(tmp_path, "r.csv", data), READINGS)
    assert used
    assert table.problems == ()
    assert [(r[0], r[3]) for r in rows(table)] == [("M1", 2), ("M2", 3)]


def test_cells_are_trimmed_and_empty_cells_are_null(tmp_path: Path) -> None:
    data = "meter_id,reading,read_date\n  M1 ,\u3000310.8 ,  \n".encode()
    table = read_table(write(tmp_path, "r.csv", data), READINGS)
    assert rows(table) == [("M1", "310.8", None, 2)]


def test_short_and_long_rows(tmp_path: Path) -> None:
    data = b"meter_id,reading\nM1\nM2,2,extra,more\n"
    table = read_table(write(tmp_path, "r.csv", data), READINGS)
    assert table.problems == ()
    assert rows(table) == [("M1", None, None, 2), ("M2", "2", None, 3)]


def test_no_trailing_newline(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "r.csv", b"meter_id,reading\nM1,1"), READINGS)
    assert rows(table) == [("M1", "1", None, 2)]


def test_a_million_rows_keep_their_lines(tmp_path: Path) -> None:
    n = 1_000_000
    body = "".join(f"M{i},{i}\n" for i in range(n))
    table = read_table(write(tmp_path, "r.csv", ("meter_id,reading\n" + body).encode()), READINGS)
    assert table.height == n
    last = table.frame.row(n - 1)
    assert last == (f"M{n - 1}", str(n - 1), None, n + 1)


# XLSX --------------------------------------------------------------------------------------


def test_xlsx_cells_are_read_as_their_text(tmp_path: Path) -> None:
    path = tmp_path / "readings.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    as_date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["表号", "本期读数", "抄表日期", "备注"])
    sheet.write_row(1, 0, ["W-1-101", 310.8])
    sheet.write_datetime(1, 2, datetime.datetime(2026, 10, 31), as_date)
    sheet.write_row(2, 0, ["E-1-101", 2118.0, "2026-10-30", "2026-10-30 08:00:00"])
    sheet.write_row(4, 0, ["E-1-102", 0.1, None, 7])  # row 4 (index 3) left empty
    book.close()

    table = read_table(path, READINGS)
    assert table.problems == ()
    assert rows(table) == [
        ("W-1-101", "310.8", "2026-10-31", 2),  # the double 310.8 as Excel shows it; the date cell as a date
        ("E-1-101", "2118", "2026-10-30", 3),  # 2118.0 without ".0"; a text date stays text
        ("E-1-102", "0.1", None, 5),  # the empty sheet row 4 is skipped but counted
    ]


def test_xlsx_written_by_openpyxl_with_leading_empty_rows(tmp_path: Path) -> None:
    path = tmp_path / "units.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([])
    sheet.append(["房号", "楼栋", "类型", "建筑面积", "收楼日期", "业主"])
    sheet.append(["A1-0301", "A1", "住宅", 95.55, datetime.date(2025, 3, 1), "王五"])
    sheet.append(["A1-0302", "A1", "商铺", 120, datetime.datetime(2025, 3, 2, 15, 30), "赵六"])
    book.save(path)

    table = read_table(path, UNITS)
    assert table.problems == ()
    got = table.frame.select("unit_id", "kind", "area_m2", "handover_date", "owner_name", LINE).rows()
    # the header is on sheet row 2, so the units are on rows 3 and 4
    assert got == [
        ("A1-0301", "住宅", "95.55", "2025-03-01", "王五", 3),
        ("A1-0302", "商铺", "120", "2025-03-02", "赵六", 4),
    ]


def test_shortest_text_of_awkward_doubles(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["meter_id", "reading"])
    # these are the doubles nearest each decimal; their shortest text is the decimal itself
    values = ["0.3", "1234567.89", "99999.99", "0.07", "123456789012"]
    for i, text in enumerate(values, start=1):
        sheet.write_row(i, 0, [f"M{i}", float(text)])
    book.close()
    table = read_table(path, READINGS)
    assert table.frame.get_column("reading").to_list() == values


# junk and edge files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("random.csv", random.Random(7).randbytes(4096), "BAD_ENCODING"),
        ("gbk-looking.csv", b"\xa5" * 4096, "MISSING_COLUMN"),  # valid GB18030 text, but no header we know
        ("urandom.csv", os.urandom(4096), "BAD_ENCODING"),
        ("utf16.csv", "表号,本期读数\nM1,1\n".encode("utf-16"), "BAD_ENCODING"),
        ("empty.csv", b"", "FILE_EMPTY"),
        ("blank.csv", b"\n \r\n,,\n", "FILE_EMPTY"),
        ("header-only.csv", b"meter_id,reading\n", "NO_ROWS"),
        ("header-then-blank.csv", b"meter_id,reading\n\n,\n", "NO_ROWS"),
        ("junk.xlsx", b"PK\x03\x04" + random.Random(3).randbytes(2000), "NOT_XLSX"),
        ("text.xlsx", b"meter_id,reading\nM1,1\n", "NOT_XLSX"),
        ("empty.xlsx", b"", "FILE_EMPTY"),
        ("zip-as.csv", b"PK\x03\x04" + bytes(100), "NOT_XLSX"),
    ],
)
def test_junk_is_a_problem_not_an_exception(tmp_path: Path, name: str, data: bytes, code: str) -> None:
    table = read_table(write(tmp_path, name, data), READINGS)
    assert set(codes(table)) == {code}
    assert table.problems[0].file == name
    assert table.height == 0 or code == "NO_ROWS"
    assert table.frame.columns == ["meter_id", "reading", "read_date", LINE]


def test_an_empty_workbook(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    xlsxwriter.Workbook(str(path)).close()
    assert codes(read_table(path, READINGS)) == ["FILE_EMPTY"]


def test_a_header_only_workbook(tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_row(0, 0, ["表号", "本期读数"])
    book.close()
    assert codes(read_table(path, READINGS)) == ["NO_ROWS"]


def test_missing_file(tmp_path: Path) -> None:
    table = read_table(tmp_path / "nowhere.csv", READINGS)
    assert codes(table) == ["FILE_NOT_FOUND"]
    assert table.problems[0].file == "nowhere.csv"


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    assert codes(read_table(tmp_path, READINGS)) == ["FILE_NOT_FOUND"]


def test_random_bytes_never_raise(tmp_path: Path) -> None:
    rng = random.Random(11)
    for i in range(200):
        data = rng.randbytes(rng.randrange(0, 300))
        for suffix in (".csv", ".xlsx"):
            table = read_table(write(tmp_path, f"f{i}{suffix}", data), READINGS)
            assert isinstance(table, Table)


def test_column_spec_label() -> None:
    assert ColumnSpec(name="meter_id", aliases=("表号",), required=True).label == "meter_id/表号"
