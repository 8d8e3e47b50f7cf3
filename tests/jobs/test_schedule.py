"""config/schedule.toml: validated on load; cron lines in standard cron (0 and 7 are Sunday)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing.config import DEFAULTS, ConfigError, Workspace
from billing.jobs.schedule import fire_time_for, last_fire_time, load_schedule
from billing.pipeline.jobs import JOBS

CONTRACT_EXAMPLE = """\
timezone = "Asia/Shanghai"
[jobs.import-inbox]      # inbox/readings/*<YYYY-MM>*, inbox/deposits/, inbox/returns/<bank>/
cron = "0 18 * * *"
[jobs.bill]              # the previous period, once all its readings are in
cron = "0 6 3-10 * *"
[jobs.notices]
cron = "0 7 3-10 * *"
[jobs.debit]
cron = "0 9 16 * *"
banks = ["generic-csv"]
[jobs.arrears]
cron = "0 9 20 * *"
[jobs.reports]           # collection and balance of the previous period, the day's deposit slip
cron = "30 18 * * *"
"""

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 2026-11-25 is a Wednesday


def _workspace(tmp_path: Path, text: str) -> Workspace:
    (tmp_path / "config" / "banks").mkdir(parents=True)
    (tmp_path / "config" / "schedule.toml").write_text(text, encoding="utf-8")
    return Workspace(tmp_path)


def test_the_contract_example_and_the_default_schedule_load(tmp_path: Path) -> None:
    schedule = load_schedule(_workspace(tmp_path, CONTRACT_EXAMPLE))
    assert [j.name for j in schedule.jobs] == list(JOBS)
    assert all(j.enabled for j in schedule.jobs)
    assert schedule.job("debit") is not None and schedule.job("debit").options == {"banks": ["generic-csv"]}  # type: ignore[union-attr]
    assert schedule.timezone == "Asia/Shanghai"
    assert schedule.misfire_grace_seconds == 24 * 3600
    default = load_schedule(
        _workspace(tmp_path / "d", (DEFAULTS / "schedule.toml").read_text(encoding="utf-8"))
    )
    assert [(j.name, j.cron) for j in default.jobs] == [(j.name, j.cron) for j in schedule.jobs]


def test_every_mistake_is_reported_with_its_key(tmp_path: Path) -> None:
    text = """\
timezone = "Mars/Olympus"
[jobs.import-inbox]
cron = "0 18 * *"
[jobs.bil]
cron = "0 6 3-10 * *"
"""
    with pytest.raises(ConfigError) as caught:
        load_schedule(_workspace(tmp_path, text))
    keys = {dict(p.params)["key"] for p in caught.value.problems}
    assert keys == {"timezone", "jobs.import-inbox.cron"}  # pydantic first; job names after


def test_unknown_jobs_banks_and_values_are_refused(tmp_path: Path) -> None:
    text = """\
timezone = "UTC"
misfire_grace_hours = 6
[jobs.bil]
cron = "0 6 3-10 * *"
[jobs.debit]
cron = "0 61 16 * *"
[jobs.reports]
cron = "30 18 * * *"
banks = ["nowhere"]
"""
    with pytest.raises(ConfigError) as caught:
        load_schedule(_workspace(tmp_path, text))
    assert [dict(p.params)["key"] for p in caught.value.problems] == ["jobs.debit.cron"]
    text = text.replace('"0 61 16 * *"', '"0 9 16 * *"')
    with pytest.raises(ConfigError) as caught:
        load_schedule(_workspace(tmp_path / "2", text))
    assert [dict(p.params)["key"] for p in caught.value.problems] == [
        "jobs.bil",
        "jobs.reports.banks",
        "jobs.reports.banks",
    ]


def test_a_missing_schedule_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_schedule(Workspace(tmp_path))
    assert caught.value.problems[0].code == "FILE_NOT_FOUND"


@pytest.mark.parametrize(
    ("cron", "latest"),
    [
        ("* * * * *", datetime(2026, 11, 25, 12, 0)),
        ("0 18 * * *", datetime(2026, 11, 24, 18, 0)),  # today's 18:00 is still to come
        ("0 6 3-10 * *", datetime(2026, 11, 10, 6, 0)),
        ("0 9 16 * *", datetime(2026, 11, 16, 9, 0)),
        ("0 9 * * 1", datetime(2026, 11, 23, 9, 0)),  # standard cron: 1 is Monday (APScheduler: Tuesday)
        ("0 9 * * 0", datetime(2026, 11, 22, 9, 0)),  # 0 is Sunday
        ("0 9 * * 7", datetime(2026, 11, 22, 9, 0)),  # so is 7
        ("0 9 * * 1-5", datetime(2026, 11, 25, 9, 0)),
        ("0 9 * * sat,sun", datetime(2026, 11, 22, 9, 0)),
        ("0 0 29 2 *", datetime(2024, 2, 29, 0, 0)),
    ],
)
def test_the_latest_fire_time_of_a_cron_line(cron: str, latest: datetime) -> None:
    assert last_fire_time(cron, "UTC", WEDNESDAY_NOON) == latest.replace(tzinfo=ZoneInfo("UTC"))


def test_fire_times_are_in_the_schedules_zone(tmp_path: Path) -> None:
    # 2026-11-25 12:00 UTC is 20:00 in Shanghai: today's 18:00 there has passed
    fired = last_fire_time("0 18 * * *", "Asia/Shanghai", WEDNESDAY_NOON)
    assert fired == datetime(2026, 11, 25, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_job_fired_by_hand_stands_for_its_latest_time_up_to_as_of(tmp_path: Path) -> None:
    schedule = load_schedule(_workspace(tmp_path, CONTRACT_EXAMPLE))
    zone = ZoneInfo("Asia/Shanghai")
    assert fire_time_for(schedule, "bill", date(2026, 11, 3), WEDNESDAY_NOON) == datetime(
        2026, 11, 3, 6, tzinfo=zone
    )
    assert fire_time_for(schedule, "bill", None, WEDNESDAY_NOON) == datetime(2026, 11, 10, 6, tzinfo=zone)
    assert fire_time_for(schedule, "debit", date(2026, 11, 20), WEDNESDAY_NOON) == datetime(
        2026, 11, 16, 9, tzinfo=zone
    )


def test_keys_are_the_minute_the_day_or_the_period() -> None:
    fired = datetime(2026, 11, 3, 6, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert {name: spec.key(fired) for name, spec in JOBS.items()} == {
        "import-inbox": "2026-11-03T06:00",
        "bill": "2026-10",
        "notices": "2026-10",
        "debit": "2026-11-03",
        "arrears": "2026-11-03",
        "reports": "2026-11-03",
    }
