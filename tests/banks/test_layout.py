"""Layouts: the presets load; a mistake names the file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing.banks import GENERIC_CSV, LayoutError, UnknownLayout, layout_names, load_layout
from billing.banks.layout import PRESETS_DIR, Kind

from .builders import PRESETS

GOOD = """\
name = "mybank"
version = 3
[debit]
kind = "fixed-width"
encoding = "gbk"
[[debit.fields]]
source = "reference"
width = 20
[[debit.fields]]
source = "account"
width = 30
[[debit.fields]]
source = "amount"
unit = "fen"
width = 12
[return]
[[return.fields]]
source = "reference"
width = 20
[[return.fields]]
source = "amount"
unit = "fen"
width = 12
[[return.fields]]
source = "status"
width = 1
[[return.fields]]
source = "date"
format = "%Y%m%d"
width = 8
[return.status]
success = ["1"]
failed = ["0"]
"""


def write(tmp_path: Path, text: str, name: str = "mybank") -> Path:
    (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    return tmp_path


def problems_of(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    with pytest.raises(LayoutError) as info:
        load_layout("mybank", write(tmp_path, text))
    for p in info.value.problems:
        assert p.code == "CONFIG"
        assert p.file == str(tmp_path / "mybank.toml")
    return [(dict(p.params)["key"], dict(p.params)["expected"]) for p in info.value.problems]


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load_and_name_their_model(name: str) -> None:
    layout = load_layout(name, PRESETS_DIR)
    assert layout.name == name and layout.version == "1"
    assert (PRESETS_DIR / f"{name}.toml").read_text(encoding="utf-8").startswith(f"# {name} — ")
    assert layout.debit.file.encoding == layout.returns.file.encoding == "gbk"


def test_fixed_preset_is_fixed_width_in_fen_with_a_counting_header() -> None:
    layout = load_layout("fixed-gbk", PRESETS_DIR)
    assert layout.debit.file.kind is Kind.FIXED
    assert layout.debit.header is not None
    assert {f.source for f in layout.debit.header.fields} >= {"count", "total"}
    assert [f.unit.value for f in layout.debit.fields if f.source == "amount"] == ["fen"]


def test_generic_csv_is_built_in_and_needs_no_file(tmp_path: Path) -> None:
    layout = load_layout(GENERIC_CSV, tmp_path / "nowhere")
    assert [f.name for f in layout.debit.fields] == [
        "reference",
        "unit_id",
        "account",
        "account_name",
        "amount",
    ]
    assert layout_names(tmp_path) == (GENERIC_CSV,)


def test_a_good_layout_file_loads(tmp_path: Path) -> None:
    layout = load_layout("mybank", write(tmp_path, GOOD))
    assert layout.version == "3"
    assert layout.debit.file_name == "{batch_no}{suffix}.txt"
    assert [f.pad for f in layout.debit.fields] == [" ", " ", "0"]
    assert layout_names(tmp_path) == (GENERIC_CSV, "mybank")


def test_unknown_layout(tmp_path: Path) -> None:
    with pytest.raises(UnknownLayout) as info:
        load_layout("nobank", tmp_path)
    assert info.value.problems[0].code == "UNKNOWN_BANK"
    with pytest.raises(UnknownLayout):
        load_layout("../etc/passwd", tmp_path)


def test_a_fixed_width_field_without_width(tmp_path: Path) -> None:
    text = GOOD.replace('source = "account"\nwidth = 30', 'source = "account"')
    assert problems_of(tmp_path, text) == [
        ("debit.fields[1].width", "expected a width in bytes (every field of a fixed-width file has one)")
    ]


def test_every_mistake_is_reported_with_its_key(tmp_path: Path) -> None:
    text = (
        GOOD.replace('encoding = "gbk"', 'encoding = "big5"')
        .replace('unit = "fen"\nwidth = 12', 'unit = "cents"\nwidht = 12', 1)
        .replace('format = "%Y%m%d"', 'format = "%Y%m"')
        .replace('success = ["1"]', "success = []")
    )
    keys = dict(problems_of(tmp_path, text))
    assert keys["debit.encoding"] == "expected one of utf-8, gbk, gb18030, got 'big5'"
    assert keys["debit.fields[2].unit"] == "expected one of yuan, fen, got 'cents'"
    assert keys["debit.fields[2].widht"].endswith("(unknown key 'widht')")
    assert keys["return.fields[3].format"].startswith("expected a date format with year, month and day")
    assert keys["return.status.success"] == "expected the status values that mean the debit succeeded"


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (
            ('source = "reference"\nwidth = 20', 'source = "referense"\nwidth = 20'),
            "debit.fields[0].source",
            "expected one of account, account_name, amount, batch_no, date, literal, purpose, reference, "
            "seq, unit_id, got 'referense'",
        ),
        (("version = 3", 'version = 3\nname2 = "x"'), "name2", None),
        (
            ('name = "mybank"', 'name = "otherbank"'),
            "name",
            "expected the file's own name 'mybank', got 'otherbank'",
        ),
        (
            ("[return.status]", '[return.reasons]\n"余额不足" = "poor"\n[return.status]'),
            "return.reasons.余额不足",
            None,
        ),
        (
            ("width = 20", "width = -1"),
            "debit.fields[0].width",
            "expected a whole number from 1 to 1000, got -1",
        ),
        (
            (
                '[debit]\nkind = "fixed-width"',
                '[debit]\nkind = "fixed-width"\nmax_rows = 10\nfile_name = "{batch_no}.txt"',
            ),
            "debit.file_name",
            None,
        ),
        (
            (
                'source = "amount"\nunit = "fen"\nwidth = 12',
                'source = "amount"\nunit = "fen"\nwidth = 12\noverflow = "cut"',
            ),
            "debit.fields[2].overflow",
            None,
        ),
    ],
)
def test_one_mistake(tmp_path: Path, change: tuple[str, str], key: str, expected: str | None) -> None:
    assert change[0] in GOOD
    found = dict(problems_of(tmp_path, GOOD.replace(change[0], change[1], 1)))
    assert key in found, found
    if expected is not None:
        assert found[key] == expected


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    found = problems_of(tmp_path, GOOD + "\n[debit\n")
    assert found[0][0] == "(file)"


def test_the_error_message_says_file_key_and_expected(tmp_path: Path) -> None:
    with pytest.raises(LayoutError) as info:
        load_layout("mybank", write(tmp_path, GOOD.replace('encoding = "gbk"', 'encoding = "latin-1"')))
    assert str(info.value) == (
        f"{tmp_path / 'mybank.toml'}: CONFIG: debit.encoding: "
        "expected one of utf-8, gbk, gb18030, got 'latin-1'"
    )


def test_a_literal_the_encoding_cannot_hold(tmp_path: Path) -> None:
    text = GOOD.replace("[return]", '[[debit.fields]]\nsource = "literal"\nvalue = "𠮷"\nwidth = 4\n[return]')
    assert (
        dict(problems_of(tmp_path, text))["debit.fields[3].value"]
        == "expected text that gbk can encode, got '𠮷'"
    )


def test_the_name_generic_csv_is_reserved(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text(
        GOOD.replace('name = "mybank"', 'name = "generic-csv"'), encoding="utf-8"
    )
    with pytest.raises(LayoutError):
        load_layout("x", tmp_path)
