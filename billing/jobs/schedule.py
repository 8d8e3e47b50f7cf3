"""config/schedule.toml (CONTRACT §5), validated on load, and the fire times of its cron lines.

Cron lines are the five standard fields (minute hour day-of-month month day-of-week) in the
schedule's time zone, with the standard day-of-week numbers (0 or 7 = Sunday, 1 = Monday);
APScheduler 3.x counts 0 as Monday, so numbers are translated to day names on the way in.
(As in APScheduler, a line restricting both day-of-month and day-of-week needs both to match.)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from billing.config import ConfigError, Workspace
from billing.domain.problem import Problem
from billing.pipeline.jobs import JOBS

DEFAULT_GRACE_HOURS = 24
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _JobModel(_Model):
    cron: str
    enabled: bool = True
    banks: tuple[str, ...] | None = Field(default=None, min_length=1)

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, v: str) -> str:
        cron_trigger(v, "UTC")  # raises ValueError with what is wrong
        return v


class _ScheduleModel(_Model):
    timezone: str = "Asia/Shanghai"
    misfire_grace_hours: Decimal = Field(default=Decimal(DEFAULT_GRACE_HOURS), gt=0)
    jobs: dict[str, _JobModel] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"an IANA time zone such as Asia/Shanghai, not {v!r}") from exc
        return v

    @field_validator("misfire_grace_hours", mode="before")
    @classmethod
    def _hours(cls, v: Any) -> Any:
        if isinstance(v, float):
            raise ValueError("write the number of hours as a string or an integer")
        return v


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledJob:
    name: str
    cron: str
    enabled: bool
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    timezone: str
    misfire_grace_seconds: int
    jobs: tuple[ScheduledJob, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def job(self, name: str) -> ScheduledJob | None:
        return next((j for j in self.jobs if j.name == name), None)


def load_schedule(ws: Workspace) -> Schedule:
    """config/schedule.toml, checked: the time zone, every job's name and cron line, the banks."""
    path = ws.config_dir / "schedule.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError as exc:
        raise ConfigError((Problem.error("FILE_NOT_FOUND", file=str(path)),)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            (Problem.error("CONFIG", file=str(path), key="(file)", expected=str(exc)),)
        ) from exc
    try:
        model = _ScheduleModel.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            tuple(
                Problem.error(
                    "CONFIG",
                    file=str(path),
                    key=".".join(str(p) for p in err["loc"]) or "(file)",
                    expected=err["msg"].removeprefix("Value error, "),
                )
                for err in exc.errors()
            )
        ) from exc
    problems = []
    jobs = []
    for name, entry in model.jobs.items():
        if name not in JOBS:
            problems.append(
                Problem.error(
                    "CONFIG", file=str(path), key=f"jobs.{name}", expected=f"a job of {', '.join(JOBS)}"
                )
            )
            continue
        options: dict[str, Any] = {}
        if entry.banks is not None:
            if name != "debit":
                problems.append(
                    Problem.error(
                        "CONFIG",
                        file=str(path),
                        key=f"jobs.{name}.banks",
                        expected="banks only for the debit job",
                    )
                )
            for bank in entry.banks:
                if bank != "generic-csv" and not (ws.banks_dir / f"{bank}.toml").is_file():
                    problems.append(
                        Problem.error(
                            "CONFIG",
                            file=str(path),
                            key=f"jobs.{name}.banks",
                            expected=f"a bank layout in config/banks/, not {bank!r}",
                        )
                    )
            options["banks"] = list(entry.banks)
        jobs.append(ScheduledJob(name=name, cron=entry.cron, enabled=entry.enabled, options=options))
    if problems:
        raise ConfigError(tuple(problems))
    return Schedule(
        timezone=model.timezone, misfire_grace_seconds=int(model.misfire_grace_hours * 3600), jobs=tuple(jobs)
    )


# --- cron lines -------------------------------------------------------------------------------------------


def cron_trigger(cron: str, timezone: str | ZoneInfo) -> CronTrigger:
    """The trigger of a five-field cron line; ValueError saying what is wrong."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"five cron fields (minute hour day-of-month month day-of-week), not {cron!r}")
    minute, hour, day, month, dow = fields
    try:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=_standard_dow(dow), timezone=timezone
        )
    except ValueError as exc:
        raise ValueError(f"not a valid cron line {cron!r}: {exc}") from exc


def _standard_dow(text: str) -> str:
    """A standard cron day-of-week field as APScheduler day names (0 and 7 are Sunday)."""
    if text in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in text.lower().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"bad day-of-week step in {text!r}")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = _weekday(a, text), _weekday(b, text)
            if last == 0 and first > 0:  # "mon-sun", "1-7": Sunday closes the week
                last = 7
        else:
            first = last = _weekday(base, text)
            if step is not None:
                last = 6
        if first > last:
            raise ValueError(f"day-of-week range goes backwards in {text!r}")
        days.update(d % 7 for d in range(first, last + 1, step or 1))
    return ",".join(_DAYS[d] for d in sorted(days))


def _weekday(token: str, text: str) -> int:
    token = token.strip()
    if re.fullmatch(r"[0-7]", token):
        return int(token) % 7
    if token[:3] in _DAYS:
        return _DAYS.index(token[:3])
    raise ValueError(f"not a day of the week: {token!r} in {text!r}")


def last_fire_time(cron: str, timezone: str, now: datetime) -> datetime:
    """The latest time the cron line fires at or before `now` (aware, in the schedule's zone)."""
    trigger = cron_trigger(cron, timezone)
    now = now.astimezone(ZoneInfo(timezone))
    for back in (
        timedelta(minutes=2),
        timedelta(hours=3),
        timedelta(days=2),
        timedelta(days=40),
        timedelta(days=400),
        timedelta(days=3000),
    ):
        fire = trigger.get_next_fire_time(None, now - back)
        if fire is None or fire > now:
            continue
        while True:
            following = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
            if following is None or following > now:
                return fire
            fire = following
    raise ValueError(f"{cron!r} never fired in the eight years before {now:%Y-%m-%d}")


def fire_time_for(schedule: Schedule, job: str, as_of: date | None, now: datetime) -> datetime:
    """The moment a job fired by hand stands for: its latest scheduled time up to `as_of`'s end
    (or up to now), as the scheduler would have fired it."""
    entry = schedule.job(job)
    if entry is None:
        raise ConfigError(
            (
                Problem.error(
                    "CONFIG", file="config/schedule.toml", key=f"jobs.{job}", expected="the job's cron line"
                ),
            )
        )
    zone = schedule.zone
    until = datetime.combine(as_of, time.max, zone) if as_of is not None else now.astimezone(zone)
    return last_fire_time(entry.cron, schedule.timezone, until)
