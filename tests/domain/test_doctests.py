"""The examples in the domain's docstrings run as tests (python-stdnum's habit)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ("billing.domain.money", "billing.domain.period", "billing.domain.capitals")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
