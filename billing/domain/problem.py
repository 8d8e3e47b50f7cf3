"""Problems are values: bad user data becomes a Problem collected across the whole file."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from billing.domain.messages import MESSAGES


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One problem: a code, its parameters, and where it came from (file and line, or unit).

    The message text is not stored: it is rendered from the code in the user's language.
    """

    code: str
    params: tuple[tuple[str, str], ...] = ()
    file: str | None = None
    line: int | None = None
    unit: str | None = None
    severity: Severity = Severity.ERROR

    @classmethod
    def error(
        cls,
        code: str,
        *,
        file: str | None = None,
        line: int | None = None,
        unit: str | None = None,
        **params: object,
    ) -> Problem:
        return cls(code=code, params=_params(params), file=file, line=line, unit=unit)

    @classmethod
    def warning(
        cls,
        code: str,
        *,
        file: str | None = None,
        line: int | None = None,
        unit: str | None = None,
        **params: object,
    ) -> Problem:
        return cls(
            code=code, params=_params(params), file=file, line=line, unit=unit, severity=Severity.WARNING
        )

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def message(self, lang: str = "zh-CN") -> str:
        templates = MESSAGES.get(self.code)
        values = dict(self.params)
        if templates is None:
            return ", ".join(f"{k}={v}" for k, v in self.params)
        template = templates[1] if lang.startswith("en") else templates[0]
        try:
            return template.format(**values)
        except (KeyError, IndexError):
            return template + " " + ", ".join(f"{k}={v}" for k, v in self.params)

    def render(self, lang: str = "zh-CN") -> str:
        """`FILE:LINE: CODE: message`, or `UNIT: CODE: message` where no file is involved."""
        if self.file is not None:
            where = f"{self.file}:{self.line}" if self.line is not None else self.file
        else:
            where = self.unit or "-"
        tag = (
            self.code if self.is_error else f"{self.code} ({'warning' if lang.startswith('en') else '警告'})"
        )
        return f"{where}: {tag}: {self.message(lang)}"


def _params(params: dict[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple((k, "" if v is None else str(v)) for k, v in params.items())


@dataclass(frozen=True, slots=True)
class Problems:
    """The problems of one step, in the order found."""

    items: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.items if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.items if not p.is_error)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __add__(self, other: Problems) -> Problems:
        return Problems(self.items + other.items)


def has_errors(problems: tuple[Problem, ...] | list[Problem]) -> bool:
    return any(p.is_error for p in problems)
