"""What every step needs: the workspace, its settings, the database, the language, progress."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy import Engine

from billing.config import Settings, Workspace
from billing.domain.money import RoundingMode
from billing.domain.problem import Problem
from billing.store.engine import is_current, make_engine, migrate

T = TypeVar("T")


class Progress(Protocol):
    def track(self, items: Iterable[T], *, total: int | None, description: str) -> Iterator[T]: ...


class NoProgress:
    def track(self, items: Iterable[T], *, total: int | None, description: str) -> Iterator[T]:
        yield from items


@dataclass
class Context:
    workspace: Workspace
    settings: Settings
    engine: Engine
    lang: str
    progress: Progress = field(default_factory=NoProgress)

    @property
    def rounding(self) -> RoundingMode:
        return self.settings.rounding.mode


def open_context(root: Path, *, lang: str | None = None, progress: Progress | None = None) -> Context:
    """Open a workspace: load and validate its settings, connect and migrate its database."""
    ws = Workspace(root)
    settings = ws.settings()
    engine = make_engine(ws.database_url(settings))
    if not is_current(engine):  # a new workspace, or one made before the newest migration
        migrate(engine)
    return Context(
        workspace=ws,
        settings=settings,
        engine=engine,
        lang=lang or settings.language,
        progress=progress or NoProgress(),
    )


@dataclass
class StepResult:
    """What a step reports: problems (errors refuse, warnings don't), lines to print, files written."""

    problems: list[Problem] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    refused: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def exit_code(self) -> int:
        if self.refused or any(p.is_error for p in self.problems):
            return 2
        return 1 if self.problems else 0

    def say(self, text: str) -> None:
        self.messages.append(text)
