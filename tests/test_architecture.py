"""The dependency rule of ARCHITECTURE.md, checked against the imports of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "billing"

# layer → the layers of ours it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "runtime": set(),
    "domain": set(),
    "rate": {"domain"},
    "ledger": {"domain"},
    "ingest": {"domain"},
    "validate": {"domain", "ingest"},
    "store": {"domain"},
    "render": {"domain"},
    "banks": {"domain", "ingest"},
    "export": {"domain"},
    "config": {"domain"},
}
# process-level helpers (billing/runtime.py) sit beneath every layer
for _layer, _allowed in ALLOWED.items():
    if _layer != "runtime":
        _allowed.add("runtime")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("billing."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("billing."))
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        layer = rel.parts[0].removesuffix(".py")
        if layer in ALLOWED:
            out.append((layer, path))
    return out


@pytest.mark.parametrize(("layer", "path"), _modules(), ids=lambda v: str(v).split("billing/")[-1])
def test_layer_imports_only_what_it_may(layer: str, path: Path) -> None:
    bad = _imports(path) - ALLOWED[layer] - {layer}
    assert not bad, f"{path.relative_to(PACKAGE)} ({layer}) imports {sorted(bad)}"
