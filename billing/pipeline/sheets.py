"""`billing sheet P`: the pre-filled reading sheets building staff take round, one per building."""

from __future__ import annotations

from collections import Counter, defaultdict

from billing.domain.period import Period
from billing.domain.records import Meter, Scope, Unit
from billing.export.sheets import SheetRow, write_sheet
from billing.pipeline.context import Context, StepResult
from billing.store import repo

COMMON_SHEET = "公共"


def reading_sheets(ctx: Context, period: Period) -> StepResult:
    """out/P/sheets/<building>.xlsx: every meter of the building in floor/room order, unit meters
    first, then its common and master meters, with the previous reading and an empty column."""
    result = StepResult()
    with ctx.engine.connect() as conn:
        units = repo.load_units(conn)
        meters = repo.load_meters(conn)
        previous = repo.previous_readings(conn, period)
    home = meter_buildings(meters, units)
    by_building: dict[str, list[Meter]] = defaultdict(list)
    for m in meters.values():
        by_building[home[m.meter_id]].append(m)
    out_dir = ctx.workspace.out_dir / str(period) / "sheets"
    for building in sorted(by_building):

        def order(m: Meter) -> tuple[int, int, str, str, str]:
            u = units.get(m.unit_id or "")
            return (
                0 if m.scope is Scope.UNIT else 1 if m.scope is Scope.COMMON else 2,
                u.floor or 0 if u else 0,
                m.unit_id or "",
                str(m.utility),
                m.meter_id,
            )

        rows = [
            SheetRow(
                meter_id=m.meter_id,
                unit_id=m.unit_id or "",
                floor=units[m.unit_id].floor if m.unit_id in units else None,
                utility=str(m.utility),
                scope=str(m.scope),
                multiplier=m.multiplier,
                previous=previous[m.meter_id][0],
                previous_date=previous[m.meter_id][1],
            )
            for m in sorted(by_building[building], key=order)
        ]
        path = write_sheet(out_dir / f"{building}.xlsx", f"{building} {period}", rows)
        result.files.append(path)
        result.say(f"{path}: {len(rows)}")
    return result


def meter_buildings(meters: dict[str, Meter], units: dict[str, Unit]) -> dict[str, str]:
    """The building of each meter: its unit's; a master's is where most of its unit meters are;
    a common meter's is its master's; a meter tied to none goes on the common sheet."""
    out: dict[str, str] = {}
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for m in meters.values():
        if m.unit_id and m.unit_id in units:
            out[m.meter_id] = units[m.unit_id].building
            if m.parent_id:
                votes[m.parent_id][out[m.meter_id]] += 1
    for m in meters.values():
        if m.scope is Scope.MASTER:
            out[m.meter_id] = votes[m.meter_id].most_common(1)[0][0] if votes[m.meter_id] else COMMON_SHEET
    for m in meters.values():
        if m.meter_id not in out:
            out[m.meter_id] = out.get(m.parent_id or "", COMMON_SHEET)
    return out
