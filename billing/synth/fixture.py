"""The bundled fixture estate of `billing demo`: a small generated estate with chosen specials.

The files in `fixtures/estate/` are committed; this module is how they were made and is run
only on purpose, to change them:

    python -m billing.synth.fixture fixtures/estate

Two files show the other input forms of CONTRACT §2: `readings-2026-10.csv` is GBK with
Chinese headers (as a reading sheet saved from Excel on a Chinese Windows), the deposits file
is UTF-8 with a BOM, Chinese headers and Chinese payment methods.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from datetime import date
from pathlib import Path

from billing.synth.estate import (
    DEPOSITS_HEADER,
    READINGS_HEADER,
    RESIDENCE,
    SHOP,
    BuildingPlan,
    EstateFiles,
    Shares,
    Specials,
    write_estate,
)

SEED = 20261001
PERIODS = ("2026-10", "2026-11")

PLANS = (
    # 18 floors, two entrances of two homes: lifts in each entrance, a booster pump.
    BuildingPlan(
        building="1",
        kind=RESIDENCE,
        floors=18,
        rooms_per_floor=4,
        entrances=2,
        units=72,
        delivered=date(2019, 6, 28),
    ),
    BuildingPlan(
        building="2",
        kind=RESIDENCE,
        floors=12,
        rooms_per_floor=4,
        entrances=1,
        units=48,
        delivered=date(2021, 9, 30),
    ),
    # A six-floor walk-up: no lift, no pump; only corridor lights and a cleaning tap.
    BuildingPlan(
        building="3",
        kind=RESIDENCE,
        floors=6,
        rooms_per_floor=4,
        entrances=2,
        units=24,
        delivered=date(2016, 5, 20),
    ),
    BuildingPlan(
        building="S1",
        kind=SHOP,
        floors=1,
        rooms_per_floor=15,
        entrances=1,
        units=15,
        delivered=date(2019, 6, 28),
    ),
)

SPECIALS = Specials(
    not_handed_over=frozenset({"1-1804", "3-602", "S1-15"}),
    mid_month={"2-803": date(2026, 10, 16)},
    meter_changes={"W1-502": date(2026, 10, 18)},
    rollovers={"E3-402": "2026-11"},
    multipliers={"ES1-03": 20, "ES1-08": 50},
)

SHARES = Shares(multiplier=0, deposit=15)

READINGS_ZH = {"meter_id": "表号", "reading": "本期读数", "read_date": "抄表日期"}
DEPOSITS_ZH = {
    "date": "日期",
    "slip_no": "单号",
    "unit_id": "房号",
    "payer": "交款人",
    "amount": "金额",
    "method": "方式",
}
METHODS_ZH = {"cash": "现金", "transfer": "转账", "pos": "刷卡"}

# The data files of the fixture (README.md is written by hand).
DATA_FILES = (
    "units.csv",
    "meters.csv",
    "meter-changes.csv",
    "readings-2026-10.csv",
    "readings-2026-11.csv",
    "deposits-2026-11-20.csv",
    "config/settings.toml",
    "config/tariffs.toml",
)


def build_fixture(out_dir: Path) -> EstateFiles:
    """Write the fixture estate's data files into `out_dir`."""
    files = write_estate(
        PLANS,
        random.Random(SEED),
        out_dir,
        periods=PERIODS,
        specials=SPECIALS,
        shares=SHARES,
    )
    _rewrite(files.readings_for("2026-10"), READINGS_HEADER, READINGS_ZH, {}, "gbk")
    _rewrite(files.deposits, DEPOSITS_HEADER, DEPOSITS_ZH, {"method": METHODS_ZH}, "utf-8-sig")
    return files


def _rewrite(
    path: Path,
    header: tuple[str, ...],
    names: dict[str, str],
    values: dict[str, dict[str, str]],
    encoding: str,
) -> None:
    """Rewrite a generated file with Chinese column names (and values) in `encoding`."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([names[c] for c in header])
    for row in rows:
        writer.writerow([values.get(c, {}).get(row[c], row[c]) for c in header])
    path.write_bytes(out.getvalue().encode(encoding))


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures/estate")
    built = build_fixture(target)
    print(f"{built.unit_count} units, {built.meter_count} meters written to {target}")
