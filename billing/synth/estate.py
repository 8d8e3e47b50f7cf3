"""A synthetic estate written as the input files of CONTRACT §2, one building at a time.

Every value comes from one `random.Random(seed)`, so a seed gives the same bytes. Readings,
areas and amounts are built as decimal text from integers. Only one building's rows are held
in memory at a time, so a million units take little memory.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from pathlib import Path
from typing import TextIO

from billing.domain.period import Period
from billing.synth.names import BANKS, GIVEN, PHONE_PREFIXES, SURNAMES, TRADES

UNITS_HEADER = (
    "unit_id",
    "building",
    "floor",
    "kind",
    "area_m2",
    "handover_date",
    "owner_name",
    "phone",
    "bank_name",
    "bank_account",
    "account_name",
    "debit",
)
METERS_HEADER = (
    "meter_id",
    "utility",
    "scope",
    "unit_id",
    "parent_id",
    "multiplier",
    "digits",
    "initial_reading",
)
READINGS_HEADER = ("meter_id", "reading", "read_date")
METER_CHANGES_HEADER = ("meter_id", "date", "old_final", "new_initial")
DEPOSITS_HEADER = ("date", "slip_no", "unit_id", "payer", "amount", "method")

# CONTRACT §5, verbatim.
TARIFFS_TOML = """\
[[version]]
effective_from = "2026-01-01"
[version.water.residence]          # tiers are monthly quantities per unit
tiers = [{ upto = "15", price = "5.00" }, { upto = "22", price = "7.00" }, { price = "9.00" }]
[version.water.shop]
price = "8.00"
[version.electricity.residence]
tiers = [{ upto = "240", price = "0.4883" }, { upto = "400", price = "0.5383" }, { price = "0.7883" }]
[version.electricity.shop]
price = "0.9000"
[version.management]               # per m² per month
residence = "2.20"
shop = "6.50"
[version.shared.water]
price = "5.00"
basis = "area"                     # area | usage | equal
[version.shared.electricity]
price = "0.6000"
basis = "area"
"""

SETTINGS_TOML = """\
company = "示例物业服务有限公司"
language = "zh-CN"
due_day = 15
[late_fee]
daily_rate = "0.0005"
grace_days = 0
cap_ratio = "1"
[rounding]
mode = "half_up"                   # half_up | half_even | down | up
[database]
url = "sqlite:///billing.db"       # relative to the workspace
"""

RESIDENCE = "residence"
SHOP = "shop"

# Register digits of ordinary unit meters: wide enough never to roll over in these estates.
WATER_DIGITS = 5
ELECTRICITY_DIGITS = 6
ROLLOVER_DIGITS = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildingPlan:
    """One building: `floors` × `rooms_per_floor` rooms, the top floor partial if `units` says so.

    A residential floor has 2–4 homes per entrance (单元); `rooms_per_floor` counts all
    entrances, rooms are numbered 01.. across them. A shop row is one floor of shops.
    """

    building: str
    kind: str
    floors: int
    rooms_per_floor: int
    entrances: int
    units: int
    delivered: date

    def unit_ids(self) -> list[str]:
        if self.kind == SHOP:
            return [f"{self.building}-{room:02d}" for room in range(1, self.units + 1)]
        return [
            f"{self.building}-{i // self.rooms_per_floor + 1}{i % self.rooms_per_floor + 1:02d}"
            for i in range(self.units)
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Specials:
    """The rare cases, by id: which units and meters get them (all others are ordinary).

    `rollovers` maps a meter to the period in which it rolls over; `multipliers` sets a
    meter's multiplier (shop electricity meters only).
    """

    not_handed_over: frozenset[str] = frozenset()
    mid_month: Mapping[str, date] = field(default_factory=dict)
    meter_changes: Mapping[str, date] = field(default_factory=dict)
    rollovers: Mapping[str, str] = field(default_factory=dict)
    multipliers: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Shares:
    """How common the ordinary variations are, in percent."""

    bank: int = 70  # handed-over units with a bank account
    debit: int = 60  # of those, with a direct-debit agreement
    late_handover: int = 12  # handed over after the building's delivery day
    multiplier: int = 30  # shop electricity meters with multiplier 20 or 50 (random)
    deposit: int = 2  # billable units without debit paying at the counter that day
    person_shop: int = 50  # shops owned by a person (the others by a named shop)


@dataclass(frozen=True, slots=True, kw_only=True)
class EstateFiles:
    """Where the estate was written, and how big it is."""

    root: Path
    units: Path
    meters: Path
    meter_changes: Path
    readings: tuple[tuple[str, Path], ...]
    deposits: Path
    tariffs: Path
    settings: Path
    unit_count: int
    meter_count: int
    building_count: int
    meter_change_count: int
    deposit_count: int

    def readings_for(self, period: str) -> Path:
        return dict(self.readings)[period]


def generate_estate(
    units: int,
    seed: int,
    out_dir: Path,
    *,
    periods: Sequence[str] = ("2026-10", "2026-11"),
) -> EstateFiles:
    """Write an estate of exactly `units` units with readings for `periods` into `out_dir`.

    Buildings of 100–400 units (6–33 floors, 1–6 entrances of 2–4 homes a floor), about 5%
    shops in rows of 10–20, water and electricity meters per unit under one master meter per
    building and utility, common meters; 1% of homes not handed over, one in 5,000 handed over
    in the middle of the first period, one meter in 1,000 replaced in the first period, one in
    2,000 rolling over.
    """
    if units < 1:
        raise ValueError("an estate needs at least one unit")
    parsed = [Period.parse(p) for p in periods]
    if not parsed or parsed != sorted(set(parsed)):
        raise ValueError(f"periods must be distinct and in order: {periods!r}")
    rng = random.Random(seed)
    plans = plan_estate(units, rng, first=parsed[0])
    specials = pick_specials(plans, rng, [str(p) for p in parsed])
    return write_estate(plans, rng, Path(out_dir), periods=[str(p) for p in parsed], specials=specials)


def main_synth(units: int, seed: int, out_dir: Path | str) -> int:
    """`billing synth --units N [--seed S] DIR`: write the estate and say what was written."""
    files = generate_estate(units, seed, Path(out_dir))
    print(
        f"{files.unit_count} units in {files.building_count} buildings, {files.meter_count} meters, "
        f"{files.meter_change_count} meter changes, {files.deposit_count} deposits"
    )
    for path in (files.units, files.meters, files.meter_changes, *(p for _, p in files.readings)):
        print(path)
    for path in (files.deposits, files.tariffs, files.settings):
        print(path)
    return 0


# --- planning -------------------------------------------------------------------------


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def plan_estate(units: int, rng: random.Random, *, first: Period) -> tuple[BuildingPlan, ...]:
    """Residential buildings numbered 1.., then shop rows S1..; exactly `units` units in all."""
    shops = units // 20
    residential = units - shops
    latest = first.first_day.toordinal() - 60
    earliest = date(2016, 1, 1).toordinal()

    def delivered() -> date:
        return date.fromordinal(rng.randint(earliest, max(earliest, latest)))

    plans: list[BuildingPlan] = []
    remaining = residential
    while remaining > 0:
        number = str(len(plans) + 1)
        if remaining <= 400:
            floors, rooms, entrances = _last_layout(remaining, rng)
            size = remaining
        else:
            floors, rooms, entrances = _layout(rng)
            # Never leave fewer than 100 for the last building.
            size = min(floors * rooms, remaining - 100)
            floors = _ceil_div(size, rooms)
        plans.append(
            BuildingPlan(
                building=number,
                kind=RESIDENCE,
                floors=floors,
                rooms_per_floor=rooms,
                entrances=entrances,
                units=size,
                delivered=delivered(),
            )
        )
        remaining -= size
    row = 0
    while shops > 0:
        row += 1
        size = min(shops, rng.randint(10, 20))
        plans.append(
            BuildingPlan(
                building=f"S{row}",
                kind=SHOP,
                floors=1,
                rooms_per_floor=size,
                entrances=1,
                units=size,
                delivered=delivered(),
            )
        )
        shops -= size
    return tuple(plans)


def _layout(rng: random.Random) -> tuple[int, int, int]:
    """(floors, rooms per floor, entrances) of a building of 100–400 units."""
    while True:
        floors = rng.randint(6, 33)
        homes = rng.randint(2, 4)
        per_entrance = floors * homes
        low, high = _ceil_div(100, per_entrance), min(6, 400 // per_entrance)
        if low <= high:
            entrances = rng.randint(low, high)
            return floors, homes * entrances, entrances


def _last_layout(size: int, rng: random.Random) -> tuple[int, int, int]:
    """A layout holding `size` units in 6–33 floors (fewer floors only for a tiny estate)."""
    fits = [
        (homes, entrances)
        for entrances in range(1, 7)
        for homes in (2, 3, 4)
        if 6 <= _ceil_div(size, homes * entrances) <= 33
    ]
    homes, entrances = rng.choice(fits) if fits else (2, 1)
    rooms = homes * entrances
    return _ceil_div(size, rooms), rooms, entrances


def pick_specials(plans: Sequence[BuildingPlan], rng: random.Random, periods: Sequence[str]) -> Specials:
    """Choose distinct homes for the rare cases (at least one of each when there are enough)."""
    homes = [p for p in plans if p.kind == RESIDENCE]
    starts = [0, *accumulate(p.units for p in homes)]
    total = starts[-1]

    def unit_at(position: int) -> str:
        i = bisect_right(starts, position) - 1
        plan, k = homes[i], position - starts[i]
        return f"{plan.building}-{k // plan.rooms_per_floor + 1}{k % plan.rooms_per_floor + 1:02d}"

    wanted = [max(1, total // 100), max(1, total // 5000), max(1, total // 1000), max(1, total // 2000)]
    picked = [unit_at(p) for p in rng.sample(range(total), min(total, sum(wanted)))]
    groups: list[list[str]] = []
    for count in wanted:
        groups.append(picked[:count])
        picked = picked[count:]
    vacant, mid, changed, rolled = groups
    first = Period.parse(periods[0])

    def day_in_first(low: int, high: int) -> date:
        return date(first.year, first.month, rng.randint(low, high))

    return Specials(
        not_handed_over=frozenset(vacant),
        mid_month={u: day_in_first(5, 25) for u in mid},
        meter_changes={f"{rng.choice('WE')}{u}": day_in_first(3, 22) for u in changed},
        rollovers={f"W{u}": periods[i % len(periods)] for i, u in enumerate(rolled)},
    )


# --- writing --------------------------------------------------------------------------


def _tenths(value: int) -> str:
    return f"{value // 10}.{value % 10}"


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


@dataclass(slots=True)
class _Meter:
    """A meter while its building is being written: register values in 1 or 1/10 units."""

    meter_id: str
    utility: str
    scope: str
    unit_id: str
    parent_id: str
    multiplier: int
    digits: int | None
    initial: int
    increments: list[int]
    tenths: bool = False
    change: tuple[int, int] | None = None  # (used on the old meter, new meter's first reading)

    def text(self, value: int) -> str:
        return _tenths(value) if self.tenths else str(value)

    def register_values(self) -> list[int]:
        """The reading at the end of each period: through the replacement, round the register."""
        values = []
        value = self.initial
        wrap = None if self.digits is None else 10**self.digits * (10 if self.tenths else 1)
        for k, used in enumerate(self.increments):
            if k == 0 and self.change is not None:
                on_old, new_initial = self.change
                value = new_initial + used - on_old
            else:
                value += used
            if wrap is not None and value >= wrap:
                value -= wrap
            values.append(value)
        return values

    def row(self) -> str:
        initial = self.text(self.initial)
        digits = "" if self.digits is None else str(self.digits)
        return (
            f"{self.meter_id},{self.utility},{self.scope},{self.unit_id},{self.parent_id},"
            f"{self.multiplier},{digits},{initial}\n"
        )

    def consumption_tenths(self, k: int) -> int:
        """What the meter measured in period k, in tenths of m³/kWh, multiplier applied."""
        return self.increments[k] * self.multiplier * (1 if self.tenths else 10)


class _Writer:
    """The open output files and the running counters of one estate."""

    def __init__(self, root: Path, periods: Sequence[str], deposit_day: date) -> None:
        self.root = root
        self.periods = list(periods)
        self.deposit_day = deposit_day
        self.paths: dict[str, Path] = {
            "units": root / "units.csv",
            "meters": root / "meters.csv",
            "meter_changes": root / "meter-changes.csv",
            "deposits": root / f"deposits-{deposit_day.isoformat()}.csv",
            **{p: root / f"readings-{p}.csv" for p in self.periods},
        }
        self.files: dict[str, TextIO] = {}
        self.meter_count = 0
        self.change_count = 0
        self.deposit_count = 0

    def __enter__(self) -> _Writer:
        headers = {
            "units": UNITS_HEADER,
            "meters": METERS_HEADER,
            "meter_changes": METER_CHANGES_HEADER,
            "deposits": DEPOSITS_HEADER,
            **{p: READINGS_HEADER for p in self.periods},
        }
        for key, path in self.paths.items():
            f = path.open("w", encoding="utf-8", newline="")
            self.files[key] = f
            f.write(",".join(headers[key]) + "\n")
        return self

    def __exit__(self, *exc: object) -> None:
        for f in self.files.values():
            f.close()

    def write(self, key: str, lines: list[str]) -> None:
        self.files[key].write("".join(lines))


def write_estate(
    plans: Sequence[BuildingPlan],
    rng: random.Random,
    out_dir: Path,
    *,
    periods: Sequence[str],
    specials: Specials,
    shares: Shares = Shares(),
) -> EstateFiles:
    """Write the estate of `plans` with `specials`; the deposits are dated the 20th after the first period."""
    _check_specials(specials, periods)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config").mkdir(exist_ok=True)
    (out_dir / "config" / "tariffs.toml").write_text(TARIFFS_TOML, encoding="utf-8")
    (out_dir / "config" / "settings.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    first = Period.parse(periods[0])
    after = first.next()
    deposit_day = date(after.year, after.month, 20)
    with _Writer(out_dir, periods, deposit_day) as out:
        building = _BuildingWriter(rng, out, specials, shares, [Period.parse(p) for p in periods])
        for plan in plans:
            building.write(plan)
        building.check_all_met()
    return EstateFiles(
        root=out_dir,
        units=out.paths["units"],
        meters=out.paths["meters"],
        meter_changes=out.paths["meter_changes"],
        readings=tuple((p, out.paths[p]) for p in periods),
        deposits=out.paths["deposits"],
        tariffs=out_dir / "config" / "tariffs.toml",
        settings=out_dir / "config" / "settings.toml",
        unit_count=sum(p.units for p in plans),
        meter_count=out.meter_count,
        building_count=len(plans),
        meter_change_count=out.change_count,
        deposit_count=out.deposit_count,
    )


def _check_specials(specials: Specials, periods: Sequence[str]) -> None:
    first = Period.parse(periods[0])
    both = set(specials.meter_changes) & set(specials.rollovers)
    if both:
        raise ValueError(f"a meter cannot be both replaced and rolled over: {sorted(both)}")
    if set(specials.mid_month) & specials.not_handed_over:
        raise ValueError("a unit cannot be both handed over mid-month and not handed over")
    for day in (*specials.mid_month.values(), *specials.meter_changes.values()):
        if not first.contains(day):
            raise ValueError(f"{day} is not in the first period {first}")
    for wrap in specials.rollovers.values():
        if wrap not in periods:
            raise ValueError(f"rollover period {wrap} is not one of {list(periods)}")


class _BuildingWriter:
    """Writes one building's rows to every file; holds only that building in memory."""

    def __init__(
        self,
        rng: random.Random,
        out: _Writer,
        specials: Specials,
        shares: Shares,
        periods: Sequence[Period],
    ) -> None:
        self.bits: Callable[[int], int] = rng.getrandbits
        self.out = out
        self.specials = specials
        self.hits: Counter[str] = Counter()  # specials met, to refuse ids that are not in the plans
        self.shares = shares
        self.periods = periods
        self.first = periods[0]
        self.deposit_date = out.deposit_day.isoformat()
        self.vacant = specials.not_handed_over
        self.mid_month = {u: d.isoformat() for u, d in specials.mid_month.items()}
        self.changes = specials.meter_changes
        self.rollovers = {m: [str(p) for p in periods].index(w) for m, w in specials.rollovers.items()}
        self.multipliers = specials.multipliers

    def check_all_met(self) -> None:
        """Every special id named a unit or meter of the plans."""
        for name in ("not_handed_over", "mid_month", "meter_changes", "rollovers", "multipliers"):
            wanted = len(getattr(self.specials, name))
            if self.hits[name] != wanted:
                raise ValueError(f"{wanted - self.hits[name]} of the {name} specials are not in the estate")

    def pick(self, low: int, high: int) -> int:
        """An integer in [low, high]; getrandbits is three times faster than randint."""
        return low + self.bits(32) % (high - low + 1)

    def percent(self, share: int) -> bool:
        return self.bits(32) % 100 < share

    def person(self) -> str:
        pick, given = self.pick, GIVEN
        name = SURNAMES[pick(0, len(SURNAMES) - 1)] + given[pick(0, len(given) - 1)]
        if pick(0, 9) < 6:
            name += given[pick(0, len(given) - 1)]
        return name

    def write(self, plan: BuildingPlan) -> None:
        pick, percent, shares = self.pick, self.percent, self.shares
        shop = plan.kind == SHOP
        b = plan.building
        first_day = self.first.first_day.toordinal()
        delivered = plan.delivered.isoformat()
        n_periods = len(self.periods)
        # Homes in the same position on every floor have the same plan, hence the same area.
        room_areas = [pick(2000, 15000) if shop else pick(6000, 16000) for _ in range(plan.rooms_per_floor)]
        unit_lines: list[str] = []
        deposit_lines: list[str] = []
        unit_meters: list[_Meter] = []
        for i, uid in enumerate(plan.unit_ids()):
            floor = 1 if shop else i // plan.rooms_per_floor + 1
            area = room_areas[i % plan.rooms_per_floor]
            vacant = uid in self.vacant
            mid = self.mid_month.get(uid)
            if vacant:
                self.hits["not_handed_over"] += 1
                unit_lines.append(f"{uid},{b},{floor},{plan.kind},{_cents(area)},,,,,,,\n")
            else:
                if mid is not None:
                    self.hits["mid_month"] += 1
                    handover = mid
                elif percent(shares.late_handover):
                    handover = date.fromordinal(
                        pick(plan.delivered.toordinal(), max(plan.delivered.toordinal(), first_day - 1))
                    ).isoformat()
                else:
                    handover = delivered
                if shop and not percent(shares.person_shop):
                    owner = f"{SURNAMES[pick(0, len(SURNAMES) - 1)]}记{TRADES[pick(0, len(TRADES) - 1)]}"
                else:
                    owner = self.person()
                phone = f"{PHONE_PREFIXES[pick(0, len(PHONE_PREFIXES) - 1)]}{self.bits(32) % 100_000_000:08d}"
                debit = "no"
                if percent(shares.bank):
                    bank = BANKS[pick(0, len(BANKS) - 1)]
                    width = pick(14, 17)
                    account = f"62{self.bits(64) % 10**width:0{width}d}"
                    if percent(shares.debit):
                        debit = "yes"
                    unit_lines.append(
                        f"{uid},{b},{floor},{plan.kind},{_cents(area)},{handover},{owner},{phone},"
                        f"{bank},{account},{owner},{debit}\n"
                    )
                else:
                    unit_lines.append(
                        f"{uid},{b},{floor},{plan.kind},{_cents(area)},{handover},{owner},{phone},,,,no\n"
                    )
                if debit == "no" and percent(shares.deposit):
                    deposit_lines.append(self.deposit(uid, owner, shop))
            unit_meters.append(self.unit_meter(f"W{uid}", "water", uid, shop, vacant, mid is not None))
            unit_meters.append(self.unit_meter(f"E{uid}", "electricity", uid, shop, vacant, mid is not None))
        commons = self.common_meters(plan)
        masters = [self.master(f"W{b}-M", "water", unit_meters + commons, n_periods)]
        masters.append(self.master(f"E{b}-M", "electricity", unit_meters + commons, n_periods))
        meters = masters + commons + unit_meters
        self.out.write("units", unit_lines)
        self.out.write("deposits", deposit_lines)
        self.out.write("meters", [m.row() for m in meters])
        self.out.meter_count += len(meters)
        change_lines = [
            self.replacement(m, self.changes[m.meter_id]) for m in unit_meters if m.meter_id in self.changes
        ]
        values = [m.register_values() for m in meters]
        for k, period in enumerate(self.periods):
            read_date = date(period.year, period.month, pick(25, period.days)).isoformat()
            self.out.write(
                str(period),
                [f"{m.meter_id},{m.text(v[k])},{read_date}\n" for m, v in zip(meters, values, strict=True)],
            )
        self.out.write("meter_changes", change_lines)
        self.out.change_count += len(change_lines)

    def deposit(self, uid: str, payer: str, shop: bool) -> str:
        self.out.deposit_count += 1
        slip = f"D{self.deposit_date.replace('-', '')}{self.out.deposit_count:06d}"
        fen = self.pick(50000, 500000) if shop else self.pick(12000, 90000)
        roll = self.pick(0, 9)
        method = "cash" if roll < 5 else "transfer" if roll < 8 else "pos"
        if method == "cash":
            fen -= fen % 1000  # people bring round sums to the counter
        return f"{self.deposit_date},{slip},{uid},{payer},{_cents(fen)},{method}\n"

    def unit_meter(
        self, meter_id: str, utility: str, uid: str, shop: bool, vacant: bool, mid: bool
    ) -> _Meter:
        pick, n = self.pick, len(self.periods)
        parent = f"{meter_id[0]}{uid.split('-')[0]}-M"
        water = utility == "water"
        multiplier = 1
        if meter_id in self.multipliers:
            multiplier = self.multipliers[meter_id]
            self.hits["multipliers"] += 1
        elif shop and not water and self.percent(self.shares.multiplier):
            multiplier = 20 if pick(0, 1) else 50
        tenths = multiplier > 1
        if vacant:
            initial = pick(0, 5) if water else pick(0, 30)
            increments = [pick(0, 1) if pick(0, 9) == 0 else 0 for _ in range(n)]
        elif tenths:
            # Register in tenths: multiplier × register = 300–5,000 kWh a month.
            initial = pick(100, 50000)
            increments = [pick(3000 // multiplier, 50000 // multiplier) for _ in range(n)]
        elif shop:
            initial = pick(100, 9000) if water else pick(1000, 90000)
            increments = [pick(8, 80) if water else pick(300, 3000) for _ in range(n)]
        else:
            initial = pick(30, 2500) if water else pick(200, 30000)
            increments = [pick(5, 25) if water else pick(80, 450) for _ in range(n)]
        if mid:
            initial = pick(0, 20) if water else pick(0, 100)
            increments[0] = increments[0] // 2
        digits: int | None = WATER_DIGITS if water else ELECTRICITY_DIGITS
        wrap = self.rollovers.get(meter_id)
        if wrap is not None:
            self.hits["rollovers"] += 1
            if tenths:
                raise ValueError(f"rollover meter {meter_id} must read whole units (multiplier 1)")
            digits = ROLLOVER_DIGITS
            increments[wrap] = max(increments[wrap], 2)
            # Just below 10^4 before the wrapping period, past it after.
            before = 10**ROLLOVER_DIGITS - pick(1, min(increments[wrap] - 1, 20))
            initial = before - sum(increments[:wrap])
        return _Meter(
            meter_id=meter_id,
            utility=utility,
            scope="unit",
            unit_id=uid,
            parent_id=parent,
            multiplier=multiplier,
            digits=digits,
            initial=initial,
            increments=increments,
            tenths=tenths,
        )

    def common_meters(self, plan: BuildingPlan) -> list[_Meter]:
        pick, n, b = self.pick, len(self.periods), plan.building

        def common(meter_id: str, utility: str, low: int, high: int) -> _Meter:
            return _Meter(
                meter_id=meter_id,
                utility=utility,
                scope="common",
                unit_id="",
                parent_id=f"{meter_id[0]}{b}-M",
                multiplier=1,
                digits=None,
                initial=pick(1000, 200000) if utility == "electricity" else pick(100, 20000),
                increments=[pick(low, high) for _ in range(n)],
            )

        if plan.kind == SHOP:
            return [common(f"E{b}-LIGHT", "electricity", 60, 300)]  # signs and arcade lights
        meters = []
        if plan.floors > 6:  # lifts and the booster pump from the seventh floor up
            for e in range(1, plan.entrances + 1):
                meters.append(common(f"E{b}-LIFT{e}", "electricity", plan.floors * 10, plan.floors * 25))
            meters.append(common(f"E{b}-PUMP", "electricity", 150 + plan.floors * 10, 400 + plan.floors * 20))
        lights = plan.floors * plan.entrances
        meters.append(common(f"E{b}-LIGHT", "electricity", lights * 3, lights * 8))
        meters.append(common(f"W{b}-CLEAN", "water", 5, 40))
        return meters

    def master(self, meter_id: str, utility: str, below: list[_Meter], n: int) -> _Meter:
        """Σ of the meters below plus a 1–4% loss, so that the shared quantity is positive."""
        mine = [m for m in below if m.utility == utility]
        increments = []
        for k in range(n):
            total = sum(m.consumption_tenths(k) for m in mine)
            loss_bp = self.pick(100, 400)
            increments.append(_ceil_div(total * (10000 + loss_bp), 100000))
        return _Meter(
            meter_id=meter_id,
            utility=utility,
            scope="master",
            unit_id="",
            parent_id="",
            multiplier=1,
            digits=None,
            initial=self.pick(10000, 900000) if utility == "water" else self.pick(100000, 9000000),
            increments=increments,
        )

    def replacement(self, m: _Meter, day: date) -> str:
        """Replace `m` in the first period: part of its use on the old meter, the rest on the new."""
        on_old = self.pick(0, m.increments[0])
        new_initial = 0 if self.pick(0, 3) else self.pick(1, 5) * (10 if m.tenths else 1)
        m.change = (on_old, new_initial)
        self.hits["meter_changes"] += 1
        return f"{m.meter_id},{day.isoformat()},{m.text(m.initial + on_old)},{m.text(new_initial)}\n"
