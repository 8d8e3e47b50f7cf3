"""Golden files: each layout's debit file for a fixed batch, and the parsed sample return file.

Regenerate on purpose only: `UPDATE_GOLDEN=1 pytest tests/banks/test_golden.py`; on a
difference the test shows a diff of the decoded text.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest

from billing.banks import ReturnFile, load_layout, plan_debit, read_return, returns
from billing.banks.layout import PRESETS_DIR

from .builders import GOLDEN, LAYOUTS, SAMPLES, golden_batch

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SAMPLE_NAMES = {
    "generic-csv": "generic-csv-return.csv",
    "pipe-gbk": "pipe-gbk-return.txt",
    "fixed-gbk": "fixed-gbk-return.dat",
}


def check_golden(path: Path, actual: bytes, encoding: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_bytes()
    if expected != actual:
        diff = "\n".join(
            difflib.unified_diff(
                expected.decode(encoding, "replace").splitlines(),
                actual.decode(encoding, "replace").splitlines(),
                str(path),
                "actual",
                lineterm="",
            )
        )
        pytest.fail(
            f"{path} differs (UPDATE_GOLDEN=1 to accept):\n{diff or '(line endings or bytes differ)'}"
        )


def as_json(rf: ReturnFile) -> bytes:
    doc = {
        "layout": rf.layout,
        "encoding": rf.encoding,
        "summary": None
        if rf.summary is None
        else {k: (None if v is None else str(v)) for k, v in _fields(rf.summary).items()},
        "rows": [
            {k: (v if isinstance(v, (bool, int)) or v is None else str(v)) for k, v in _fields(r).items()}
            for r in rf.rows
        ],
        "problems": [p.render("en").replace(rf.file, Path(rf.file).name) for p in rf.problems],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _fields(obj: object) -> dict[str, object]:
    return {k: getattr(obj, k) for k in obj.__slots__}  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", LAYOUTS)
def test_debit_file_matches_golden(name: str) -> None:
    layout = load_layout(name, PRESETS_DIR)
    plan = plan_debit(layout, golden_batch())
    assert plan.ok, plan.problems
    assert len(plan.files) == 1
    encoding = "utf-8" if name == "generic-csv" else "gbk"
    check_golden(GOLDEN / name / plan.files[0].name, plan.files[0].data, encoding)


@pytest.mark.parametrize("fast", [True, False], ids=["column-wise", "row-by-row"])
@pytest.mark.parametrize("name", LAYOUTS)
def test_sample_return_parses_as_golden(name: str, fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # a clean file is read column-wise; row by row must give the very same result
    monkeypatch.setattr(returns, "FAST", fast)
    layout = load_layout(name, PRESETS_DIR)
    rf = read_return(layout, SAMPLES / SAMPLE_NAMES[name])
    assert rf.ok, rf.problems
    check_golden(GOLDEN / name / "return.json", as_json(rf), "utf-8")
