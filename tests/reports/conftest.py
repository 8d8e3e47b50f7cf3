"""The acceptance estate played once per session on SQLite, with every report made from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest

from billing.domain.period import Period
from billing.pipeline.arrears import make_arrears
from billing.pipeline.context import Context, StepResult
from billing.pipeline.journal import export_journal
from billing.pipeline.reports import balance_report, cash_ledger, collection_report, deposit_slip
from tests.reports.estate import build_estate

AS_OF = date(2026, 12, 31)  # the story's last balance date
GENERATED = datetime(2026, 12, 31, 18, 30)
P1, P2 = Period(2026, 10), Period(2026, 11)


@dataclass
class Outputs:
    ctx: Context
    root: Path
    results: dict[str, StepResult] = field(default_factory=dict)

    def files(self, name: str, suffix: str) -> list[Path]:
        return [f for f in self.results[name].files if f.suffix == suffix]


@pytest.fixture(scope="session")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outputs]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("BILLING_DATABASE_URL", raising=False)
        root = tmp_path_factory.mktemp("estate") / "ws"
        ctx = build_estate(root)
        out = Outputs(ctx=ctx, root=root)
        out.results["arrears"] = make_arrears(ctx, AS_OF, GENERATED)
        out.results["collection"] = collection_report(ctx, P1, AS_OF, GENERATED)
        out.results["balance"] = balance_report(ctx, P1, GENERATED)
        out.results["balance-2"] = balance_report(ctx, P2, GENERATED)
        out.results["cash-ledger"] = cash_ledger(ctx, date(2026, 11, 1), AS_OF, GENERATED)
        out.results["deposit-slip"] = deposit_slip(ctx, date(2026, 11, 12), GENERATED)
        out.results["deposit-slip-cash"] = deposit_slip(ctx, date(2026, 11, 25), GENERATED)
        for period in (P1, P2):
            for fmt, suffix in (
                ("csv", "csv"),
                ("kingdee", "csv"),
                ("kingdee", "xlsx"),
                ("yonyou", "txt"),
                ("yonyou", "xlsx"),
                ("beancount", "beancount"),
            ):
                path = root / "journal" / f"{period}-{fmt}.{suffix}"
                out.results[f"journal-{period}-{fmt}-{suffix}"] = export_journal(ctx, period, fmt, path)
        yield out
        ctx.engine.dispose()
