"""Return files: every row checked, every problem reported with file and line, never a traceback."""

from __future__ import annotations

import codecs
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing.banks import generic_csv, read_return
from billing.banks.layout import PRESETS_DIR, load_layout

from .builders import LAYOUTS, preset

HEADER_EN = "reference,account,amount,status,reason,date\n"


def csv_file(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "ret.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def codes(rf: object) -> list[tuple[str, int | None]]:
    return [(p.code, p.line) for p in rf.problems]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gbk", b""), ("gb18030", b"")]
)
def test_generic_csv_encodings_are_detected(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = "参考号,账号,金额,状态,原因,日期\nR1,6222000011112222,12.30,失败,余额不足,2026-11-18\n"
    path = tmp_path / "r.csv"
    path.write_bytes(bom + text.encode(encoding))
    rf = read_return(generic_csv(), path)
    assert rf.problems == ()
    (r,) = rf.rows
    assert (r.reference, r.amount, r.success, r.reason_code, r.reason_text) == (
        "R1",
        Decimal("12.30"),
        False,
        "insufficient_funds",
        "余额不足",
    )
    assert r.date == date(2026, 11, 18) and r.line == 2


def test_generic_csv_columns_in_any_order_english_header_blank_lines(tmp_path: Path) -> None:
    text = "date,status,extra,amount,reference,account\n\n2026-11-18,success,x,0.01,R1,62220001\n\n"
    rf = read_return(generic_csv(), csv_file(tmp_path, text))
    assert rf.problems == ()
    (r,) = rf.rows
    assert (r.line, r.reference, r.account, r.amount, r.success, r.reason_code) == (
        3,
        "R1",
        "62220001",
        Decimal("0.01"),
        True,
        None,
    )


def test_every_bad_row_is_reported_not_only_the_first(tmp_path: Path) -> None:
    text = (
        HEADER_EN
        + "R1,6222,12.3x,success,,2026-11-18\n"  # line 2: bad amount
        + "R2,6222,12.30,success,,2026-11-31\n"  # line 3: no such day
        + "R3,6222,12.30,pending,,2026-11-18\n"  # line 4: unknown status
        + ",6222,12.30,success,,2026-11-18\n"  # line 5: no reference
        + "R5,6222,12.345,success,,2026-11-18\n"  # line 6: finer than the fen
        + "R6,6222,-1.00,failed,x,2026-11-18\n"  # line 7: negative
        + "R1,6222,1.00,failed,x,2026-11-18\n"  # line 8: R1 again
        + "R8,6222,1.00,,x,2026-11-18\n"  # line 9: no status
        + "R9,6222,5.00,failed,,2026-11-18\n"  # line 10: fine
    )
    rf = read_return(generic_csv(), csv_file(tmp_path, text))
    assert codes(rf) == [
        ("NOT_A_NUMBER", 2),
        ("BAD_DATE_FORMAT", 3),
        ("BAD_CHOICE", 4),
        ("MISSING_VALUE", 5),
        ("OUT_OF_RANGE", 6),
        ("OUT_OF_RANGE", 7),
        ("DUPLICATE_RETURN", 8),
        ("MISSING_VALUE", 9),
    ]
    assert all(p.file == str(tmp_path / "ret.csv") for p in rf.problems)
    assert [r.reference for r in rf.rows] == ["R9"]
    assert (
        rf.problems[2]
        .render("en")
        .endswith("'status' has the value 'pending', expected one of failed / success / 失败 / 成功")
    )
    assert not rf.ok


def test_missing_and_duplicate_columns(tmp_path: Path) -> None:
    rf = read_return(
        generic_csv(), csv_file(tmp_path, "reference,参考号,amount,status\nR1,R1,1.00,success\n")
    )
    assert sorted(codes(rf)) == [("DUPLICATE_COLUMN", 1), ("MISSING_COLUMN", 1), ("MISSING_COLUMN", 1)]
    assert rf.rows == ()


def test_unknown_reason_is_kept_as_text(tmp_path: Path) -> None:
    text = (
        HEADER_EN
        + "R1,6222,1.00,failed,网络超时 E042,2026-11-18\nR2,6222,1.00,failed,账户余额不足(51),2026-11-18\n"
    )
    rf = read_return(generic_csv(), csv_file(tmp_path, text))
    assert [(r.reason_code, r.reason_text) for r in rf.rows] == [
        (None, "网络超时 E042"),
        ("insufficient_funds", "账户余额不足(51)"),  # the longest known text inside it
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("余额不足", "insufficient_funds"),
        ("账户已销户", "account_closed"),
        ("户名不符", "name_mismatch"),
        ("账号错误", "invalid_account"),
        ("账户冻结", "account_frozen"),
        ("未签约", "no_mandate"),
        ("Insufficient Funds", "insufficient_funds"),
        ("account_closed", "account_closed"),
    ],
)
def test_the_six_reasons(tmp_path: Path, text: str, code: str) -> None:
    rf = read_return(generic_csv(), csv_file(tmp_path, HEADER_EN + f"R1,6222,1.00,失败,{text},2026-11-18\n"))
    assert [(r.reason_code, r.reason_text) for r in rf.rows] == [(code, text)]


def test_summary_mismatch_is_total_mismatch(tmp_path: Path) -> None:
    sample = (Path(__file__).parent / "samples" / "pipe-gbk-return.txt").read_bytes().decode("gbk")
    lines = sample.split("\r\n")
    # the summary says 8 rows, 4111.75 in all and 4 successes for 176.78; claim 9 and 4111.76
    lines[0] = lines[0].replace("|8|4111.75|", "|9|4111.76|")
    path = tmp_path / "r.txt"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    rf = read_return(preset("pipe-gbk"), path)
    assert codes(rf) == [("TOTAL_MISMATCH", 1), ("TOTAL_MISMATCH", 1)]
    assert [dict(p.params) for p in rf.problems] == [
        {"field": "count", "value": "9", "computed": "8"},
        {"field": "total", "value": "4111.76", "computed": "4111.75"},
    ]
    assert len(rf.rows) == 8


def test_fixed_width_line_of_the_wrong_length(tmp_path: Path) -> None:
    sample = (Path(__file__).parent / "samples" / "fixed-gbk-return.dat").read_bytes()
    lines = sample.split(b"\r\n")
    lines[2] = lines[2] + b"EXTRA"
    lines[3] = lines[3][:100]  # cut inside the amount: short lines are padded, the amount is then wrong
    path = tmp_path / "r.dat"
    path.write_bytes(b"\r\n".join(lines))
    rf = read_return(preset("fixed-gbk"), path)
    assert ("BAD_RECORD", 3) in codes(rf)
    assert any(line == 4 for _, line in codes(rf))
    assert 3 not in [r.line for r in rf.rows]


def test_a_gbk_line_with_a_broken_character(tmp_path: Path) -> None:
    sample = (Path(__file__).parent / "samples" / "fixed-gbk-return.dat").read_bytes()
    lines = sample.split(b"\r\n")
    lines[2] = lines[2][:60] + b"\xff\xff" + lines[2][62:]  # inside the name field: never decoded? it is
    path = tmp_path / "r.dat"
    path.write_bytes(b"\r\n".join(lines))
    rf = read_return(preset("fixed-gbk"), path)
    assert codes(rf)[0] == ("BAD_ENCODING", 3)


# --- junk: problems, never a traceback ------------------------------------------------------------


def _junk(seed: int) -> bytes:
    rnd = random.Random(seed)
    kinds = [
        lambda: bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 400))),
        lambda: "|".join(
            rnd.choice(["", "成功", "1", "x", "2026", "99.9", "\r\n", "\n"]) for _ in range(60)
        ).encode("gbk"),
        lambda: b"\xef\xbb\xbf" + bytes(rnd.randrange(32, 127) for _ in range(rnd.randrange(1, 300))),
        lambda: b"\xff\xfe" + "reference".encode("utf-16-le"),
        lambda: b"PK\x03\x04" + bytes(rnd.randrange(256) for _ in range(100)),
        lambda: b"\x00" * rnd.randrange(1, 50),
        lambda: ("a,b\n" * rnd.randrange(1, 5)).encode(),
    ]
    return rnd.choice(kinds)()


@pytest.mark.parametrize("name", LAYOUTS)
@pytest.mark.parametrize("seed", range(40))
def test_junk_gives_problems_never_a_traceback(tmp_path: Path, name: str, seed: int) -> None:
    path = tmp_path / "junk"
    path.write_bytes(_junk(seed))
    rf = read_return(load_layout(name, PRESETS_DIR), path)
    assert rf.problems, rf
    assert not rf.ok


@pytest.mark.parametrize("name", LAYOUTS)
def test_empty_missing_directory_and_header_only(tmp_path: Path, name: str) -> None:
    layout = load_layout(name, PRESETS_DIR)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert codes(read_return(layout, empty)) == [("FILE_EMPTY", None)]
    blank = tmp_path / "blank"
    blank.write_bytes(b"\r\n  \r\n")
    assert codes(read_return(layout, blank)) == [("FILE_EMPTY", None)]
    assert codes(read_return(layout, tmp_path / "missing")) == [("FILE_NOT_FOUND", None)]
    assert codes(read_return(layout, tmp_path))[0][0] == "FILE_UNREADABLE"
    header = tmp_path / "header"
    header.write_bytes(
        HEADER_EN.encode()
        if name == "generic-csv"
        else (Path(__file__).parent / "samples")
        .joinpath("pipe-gbk-return.txt" if name == "pipe-gbk" else "fixed-gbk-return.dat")
        .read_bytes()
        .split(b"\r\n")[0]
        + b"\r\n"
    )
    found = codes(read_return(layout, header))
    assert ("NO_ROWS", None) in found


def test_xlsx_that_is_not_xlsx(tmp_path: Path) -> None:
    from billing.banks.layout import parse_layout

    layout = parse_layout(
        {
            "name": "xl",
            "version": 1,
            "debit": {"kind": "xlsx", "fields": [{"source": s} for s in ("reference", "account", "amount")]},
            "return": {
                "fields": [{"source": s} for s in ("reference", "amount", "status", "date")],
                "status": {"success": ["ok"], "failed": ["no"]},
            },
        },
        file="xl.toml",
    )
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    assert [p.code for p in read_return(layout, path).problems] == ["NOT_XLSX"]
