"""Steps of the cycle the benchmark runs as pipeline functions in a child process."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from billing.domain.period import Period
from billing.pipeline.context import open_context


def import_master(workspace: str) -> int:
    """Units, meters and meter changes of the synthetic estate (set-up, not a target)."""
    from billing.pipeline.imports import KINDS, import_file

    root = Path(workspace)
    ctx = open_context(root, lang="en")
    try:
        worst = 0
        for kind in ("units", "meters", "meter-changes"):
            result = import_file(ctx, KINDS[kind], root / f"{kind}.csv", today=date(2026, 10, 1))
            for line in result.messages:
                print(line)
            for p in result.errors[:20]:
                print(p.render("en"))
            worst = max(worst, result.exit_code)
        return worst
    finally:
        ctx.engine.dispose()


def reports(workspace: str, period: str) -> int:
    """The collection and balance reports of a period."""
    from billing.pipeline.reports import balance_report, collection_report

    p = Period.parse(period)
    ctx = open_context(Path(workspace), lang="en")
    try:
        now = datetime(2026, 12, 20, 9, 0)
        worst = 0
        for result in (collection_report(ctx, p, date(2026, 12, 20), now), balance_report(ctx, p, now)):
            for line in result.messages:
                print(line)
            worst = max(worst, result.exit_code)
        return worst
    finally:
        ctx.engine.dispose()
