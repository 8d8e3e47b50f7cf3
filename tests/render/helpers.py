"""Helpers for the render tests: an executor that runs in this process, PDF text."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from billing.render.textgrid import SPACE_CHARS

_SPACES = re.compile("[" + "".join(SPACE_CHARS) + r"\u00a0 ]+")


class InlineExecutor(Executor):
    """Runs each task at once in this process: the render tests need no process pool."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def pdf_lines(path: Path) -> list[str]:
    """`pdftotext -layout`, each line with its runs of (Unicode) spaces made one space."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [_SPACES.sub(" ", line).strip() for line in text.splitlines() if line.strip()]
