"""`make bench`: time every step of the monthly cycle on a synthetic estate of BENCH_UNITS units.

Each step is the real `billing` command (or, for the notices slice and the naive baseline, a
pipeline function) run as a child process, so that its wall time, CPU time and peak memory
(the whole process tree: a process pool's workers count) are its own. Prints one table and
writes it into bench/results.md under the estate's size, keeping the tables of other sizes.

Environment: BENCH_UNITS (default 10000), BENCH_SEED (1), BENCH_WORK (bench/work),
BENCH_NOTICE_UNITS (the notice slice, at most 20000 units), BENCH_NAIVE (notices rendered the
naive way for the baseline row, default 60), BENCH_TIMEOUT / BENCH_OPTIONAL_TIMEOUT (seconds
after which a step is stopped; 3600 / 900 for arrears, reports and journal), BENCH_MAX_RSS_GB
(a step whose process tree grows past this is stopped; 8).
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import sys
from datetime import date, datetime
from pathlib import Path

from bench.bank import answer
from bench.measure import Measured, run
from bench.report import Row, render_table, update_results

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
FIRST, SECOND = "2026-10", "2026-11"
BANK = "generic-csv"
# A step is stopped past this many seconds, or with more than MAX_RSS resident (the machine has
# to survive a step that does not scale); the steps other parts of the product provide get less.
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "3600"))
OPTIONAL_TIMEOUT = float(os.environ.get("BENCH_OPTIONAL_TIMEOUT", "900"))
MAX_RSS = int(float(os.environ.get("BENCH_MAX_RSS_GB", "8")) * 1024**3)


def main() -> int:
    units = int(os.environ.get("BENCH_UNITS", "10000"))
    seed = int(os.environ.get("BENCH_SEED", "1"))
    slice_units = min(units, int(os.environ.get("BENCH_NOTICE_UNITS", "20000")))
    naive = int(os.environ.get("BENCH_NAIVE", "60"))
    work = Path(os.environ.get("BENCH_WORK", str(HERE / "work"))).resolve() / f"u{units}"
    cores = os.cpu_count() or 1
    if work.exists():
        shutil.rmtree(work)
    work.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "BILLING_DATABASE_URL"}
    env["BILLING_WORKSPACE"] = str(work)
    env.setdefault("PYTHONPATH", str(ROOT))
    rows: list[Row] = []
    print(f"bench: {units:,} units, {cores} cores, workspace {work}", flush=True)

    def step(
        key: str,
        label: str,
        argv: list[str],
        *,
        count: int | None = None,
        unit: str = "rows",
        needs: str | None = None,
        timeout: float = TIMEOUT,
    ) -> Measured | None:
        if needs is not None and importlib.util.find_spec(needs) is None:
            rows.append(Row.missing(key, label))  # another part of the product, not there yet
            print(rows[-1].line(), flush=True)
            return None
        m = run(argv, cwd=work if work.exists() else ROOT, env=env, timeout=timeout, max_rss=MAX_RSS)
        if m.stopped and needs is not None:  # a step of another part: note it, go on
            rows.append(Row.of(key, label, m, count=None, unit=unit, cores=cores).stopped(m.stopped, timeout))
            print(rows[-1].line(), flush=True)
            return None
        if m.returncode not in (0, 1):
            print(m.stdout[-3000:], m.stderr[-3000:], sep="\n", file=sys.stderr)
            raise SystemExit(f"bench: step {label!r} failed with exit status {m.returncode}")
        row = Row.of(key, label, m, count=count, unit=unit, cores=cores)
        rows.append(row)
        print(row.line(), flush=True)
        return m

    billing = [str(BIN / "billing")]
    step("synth", "synth estate", [*billing, "synth", "--units", str(units), "--seed", str(seed), str(work)])
    counts = _counts(work)
    step(
        "master",
        "import units, meters, changes",
        [
            sys.executable,
            "-c",
            "import sys; from bench.cycle import import_master; sys.exit(import_master(sys.argv[1]))",
            str(work),
        ],
        count=counts["units"] + counts["meters"],
    )
    for period, as_of in ((FIRST, "2026-11-03"), (SECOND, "2026-12-03")):
        step(
            f"import-{period}",
            f"import readings {period}",
            [*billing, "import", "readings", str(work / f"readings-{period}.csv"), "--period", period],
            count=counts[f"readings-{period}"],
        )
        step(
            f"run-{period}",
            f"rate + issue {period}",
            [*billing, "run", period, "--as-of", as_of],
            count=counts["units"],
            unit="units",
        )
        if period == FIRST:
            step("debit", "debit file", [*billing, "debit", FIRST, "--bank", BANK, "--as-of", "2026-11-10"])
            debit_file = next((work / "out" / FIRST / "debit").glob("*.csv"))
            return_file = work / "return.csv"
            ok, failed = answer(debit_file, return_file, date(2026, 11, 12))
            rows[-1] = rows[-1].with_count(ok + failed)
            step(
                "return",
                "bank return",
                [*billing, "import", "bank-return", str(return_file), "--bank", BANK],
                count=ok + failed,
            )
            step(
                "deposits",
                "import deposits",
                [*billing, "import", "deposits", str(next(work.glob("deposits-*.csv")))],
                count=counts["deposits"],
            )
    notices = step(
        "notices",
        f"notices {SECOND} (slice)",
        [sys.executable, "-m", "bench.notices", "slice", str(work), SECOND, str(slice_units)],
        unit="notices",
    )
    rows[-1] = rows[-1].with_count(_said_count(notices), per_core=True)
    baseline = step(
        "naive",
        "notices, naive (1 document each, 1 process)",
        [sys.executable, "-m", "bench.notices", "naive", str(work), SECOND, str(naive)],
        unit="notices",
    )
    rows[-1] = rows[-1].with_count(_said_count(baseline), per_core=True, workers=1)
    step(
        "arrears",
        "arrears notices + ledger",
        [*billing, "arrears", "--as-of", "2026-12-10"],
        needs="billing.pipeline.arrears",
        timeout=OPTIONAL_TIMEOUT,
    )
    step(
        "reports",
        "reports (collection, balance)",
        [
            sys.executable,
            "-c",
            "import sys; from bench.cycle import reports; sys.exit(reports(sys.argv[1], sys.argv[2]))",
            str(work),
            SECOND,
        ],
        needs="billing.pipeline.reports",
        timeout=OPTIONAL_TIMEOUT,
    )
    step(
        "journal",
        "journal export",
        [*billing, "export", "journal", SECOND, "--format", "csv", "-o", str(work / "journal.csv")],
        needs="billing.pipeline.journal",
        timeout=OPTIONAL_TIMEOUT,
    )
    table = render_table(rows, units=units, cores=cores)
    print()
    print(table)
    update_results(
        HERE / "results.md",
        units=units,
        table=table,
        stamp=f"{datetime.now():%Y-%m-%d %H:%M}, {cores} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}",
    )
    print(f"\nwritten to {HERE / 'results.md'}")
    return 0


def _counts(work: Path) -> dict[str, int]:
    def lines(path: Path) -> int:
        with path.open("rb") as f:
            return sum(1 for _ in f) - 1

    found = {
        "units": lines(work / "units.csv"),
        "meters": lines(work / "meters.csv"),
        "deposits": lines(next(work.glob("deposits-*.csv"))),
    }
    for period in (FIRST, SECOND):
        found[f"readings-{period}"] = lines(work / f"readings-{period}.csv")
    return found


def _said_count(m: Measured | None) -> int:
    """The count a child printed last as `count=N`."""
    if m is None:
        return 0
    for line in reversed(m.stdout.splitlines()):
        if line.startswith("count="):
            return int(line.removeprefix("count="))
    return 0


if __name__ == "__main__":
    sys.exit(main())
