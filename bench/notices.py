"""Notices for the benchmark, in a child process of their own.

`slice WS P MAX`: the notices of the first buildings (in name order) holding at most MAX billed
units, rendered as `billing notices` renders them (one document per building, on the executor
of the workspace's settings), into out/bench-notices/.
`naive WS P COUNT`: COUNT notices of the same units, one WeasyPrint document each, in this one
process: the baseline the building documents are compared with.
Both print `count=N` last.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import Connection, func, select

from billing.domain.period import Period
from billing.pipeline.context import Context, open_context
from billing.store import schema as t


def _slice(conn: Connection, period: Period, max_units: int) -> list[tuple[str, int]]:
    q = (
        select(t.units.c.building, func.count())
        .join(t.bills, t.bills.c.unit_id == t.units.c.unit_id)
        .where(t.bills.c.period == str(period))
        .group_by(t.units.c.building)
        .order_by(t.units.c.building)
    )
    picked: list[tuple[str, int]] = []
    total = 0
    for building, count in conn.execute(q):
        if picked and total + count > max_units:
            break
        picked.append((building, count))
        total += count
    return picked


def render_slice(ctx: Context, period: Period, max_units: int) -> int:
    from billing.pipeline.executors import make_executor
    from billing.pipeline.notices import _building_views
    from billing.render import check_fast_subsetter, render_notices

    warning = check_fast_subsetter()
    if warning:
        print(warning)
    out_dir = ctx.workspace.out_dir / "bench-notices"
    with ctx.engine.connect() as conn:
        picked = _slice(conn, period, max_units)
        executor = make_executor(ctx.settings)
        try:
            # Largest first, as `billing notices` does: no worker idles at the end on a big one.
            largest_first = sorted(picked, key=lambda picked_one: -picked_one[1])
            views = (_building_views(ctx, conn, period, b) for b, _ in largest_first)
            done = render_notices(views, out_dir, executor=executor)
        finally:
            executor.shutdown(wait=True)
    for p in done.problems[:10]:
        print(p.render("en"))
    print(f"{len(picked)} buildings, {len(done.files)} files, {len(done.skipped)} skipped")
    return sum(c for _, c in picked)


def render_naive(ctx: Context, period: Period, count: int) -> int:
    from billing.pipeline.notices import _building_views
    from billing.render import render_unit_notice

    out_dir = ctx.workspace.out_dir / "bench-naive"
    done = 0
    with ctx.engine.connect() as conn:
        for building, _ in _slice(conn, period, count):
            for notice in _building_views(ctx, conn, period, building).notices:
                if done == count:
                    return done
                render_unit_notice(notice, out_dir / f"{notice.unit_id}.pdf", "a4-1")
                done += 1
    return done


def main(argv: list[str]) -> int:
    mode, workspace, period, n = argv[0], Path(argv[1]), Period.parse(argv[2]), int(argv[3])
    ctx = open_context(workspace, lang="en")
    try:
        count = render_slice(ctx, period, n) if mode == "slice" else render_naive(ctx, period, n)
    finally:
        ctx.engine.dispose()
    print(f"count={count}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
