"""The benchmark's table: one row per step, the targets of PERFORMANCE.md, bench/results.md.

results.md keeps, per estate size, the tables of the last two runs (the machine is shared, so
timings are noisy: two runs show how much), and a scaling table built from the latest run of
each size: seconds per million rows or units should stay flat as the estate grows.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Measured

MB = 1024 * 1024
MILLION = 1_000_000
PEAK_LIMIT = 4 * 1024 * MB

# key -> (target text, check): wall-time limits are for 1,000,000 units (PERFORMANCE.md).
TIME_LIMITS = {
    "import-2026-10": 10.0,
    "import-2026-11": 10.0,
    "run-2026-10": 60.0,
    "run-2026-11": 60.0,
    "debit": 10.0,
    "return": 20.0,
}
NOTICES_PER_CORE = 80.0
KEYED = ("synth", "master")  # set-up steps: measured, no target


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    label: str
    wall: float | None
    cpu: float | None
    peak: int | None
    count: int | None = None
    unit: str = "rows"
    cores: int = 1
    per_core: bool = False
    workers: int | None = None
    note: str = ""

    @classmethod
    def of(cls, key: str, label: str, m: Measured, *, count: int | None, unit: str, cores: int) -> Row:
        return cls(key, label, m.wall, m.cpu, m.peak_rss, count, unit, cores)

    @classmethod
    def missing(cls, key: str, label: str) -> Row:
        return cls(key, label, None, None, None)

    def with_count(self, count: int, *, per_core: bool = False, workers: int | None = None) -> Row:
        return dataclasses.replace(self, count=count, per_core=per_core, workers=workers)

    def stopped(self, why: str, timeout: float) -> Row:
        text = f"stopped after {timeout:g} s" if why == "timeout" else "stopped: memory past the limit"
        return dataclasses.replace(self, note=text)

    @property
    def rate(self) -> float | None:
        if self.count is None or not self.wall:
            return None
        return self.count / self.wall

    @property
    def rate_per_core(self) -> float | None:
        rate = self.rate
        return None if rate is None else rate / (self.workers or self.cores)

    def line(self) -> str:
        if self.wall is None:
            return f"{self.label:<44} n/a (not in this build)"
        rate = f"{self.rate:,.0f} {self.unit}/s" if self.rate is not None else ""
        return (
            f"{self.label:<44} {self.wall:8.2f} s  {rate:>20}  cpu {self.cpu or 0:7.1f} s  "
            f"peak {(self.peak or 0) / MB:7.0f} MB"
        )


def _target(row: Row, units: int) -> tuple[str, str]:
    """(target, verdict) of a row; time limits are judged at a million units only."""
    if row.wall is None:
        return "", ""
    if row.note:
        return "", row.note
    verdicts = []
    target = ""
    if row.key in TIME_LIMITS:
        limit = TIME_LIMITS[row.key]
        target = f"≤ {limit:g} s at 1M units"
        if row.key.startswith("import-"):
            # PERFORMANCE.md: 10 s per 1,000,000 readings (an estate has about 2 meters a unit)
            rows = row.count or units
            target = f"≤ {limit:g} s per 1M rows"
            if units >= MILLION:
                verdicts.append("ok" if row.wall * MILLION / rows <= limit else "MISS")
        elif units >= MILLION:
            verdicts.append("ok" if row.wall <= limit else "MISS")
    if row.key == "notices":
        target = f"≥ {NOTICES_PER_CORE:g}/s per core"
        per_core = row.rate_per_core or 0
        verdicts.append("ok" if per_core >= NOTICES_PER_CORE else "MISS")
    if row.peak is not None and row.peak > PEAK_LIMIT:
        verdicts.append("MISS peak")
    return target, ", ".join(verdicts)


def render_table(rows: list[Row], *, units: int, cores: int) -> str:
    head = (
        "| step | count | wall s | throughput | per core | CPU s | peak RSS MB | s per 1M | target | |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
    )
    out = [head]
    for r in rows:
        if r.wall is None:
            out.append(f"| {r.label} | | n/a | | | | | | | not in this build |")
            continue
        if r.note:
            out.append(
                f"| {r.label} | | > {r.wall:,.0f} | | | {r.cpu or 0:,.1f} | {(r.peak or 0) / MB:,.0f} | | | {r.note} |"
            )
            continue
        target, verdict = _target(r, units)
        rate = f"{r.rate:,.0f} {r.unit}/s" if r.rate is not None else ""
        per_core = f"{r.rate_per_core:,.1f}/s" if r.per_core and r.rate_per_core is not None else ""
        per_million = f"{r.wall * MILLION / r.count:,.1f}" if r.count and r.key != "naive" else ""
        count = f"{r.count:,}" if r.count is not None else ""
        out.append(
            f"| {r.label} | {count} | {r.wall:,.2f} | {rate} | {per_core} | {r.cpu or 0:,.1f} | "
            f"{(r.peak or 0) / MB:,.0f} | {per_million} | {target} | {verdict} |"
        )
    return "\n".join(out)


_SECTION = re.compile(r"^## (?P<units>[\d,]+) units$", re.M)
_RUN = re.compile(r"^### run of (?P<stamp>.+)$", re.M)
_HEADER = """# Benchmark results

Written by `make bench` (`BENCH_UNITS=N make bench`; see bench/__main__.py). Each step is a
child process; wall and CPU time are its own, peak RSS is the largest resident memory of its
whole process tree (pool workers included). "s per 1M" is the wall time per million counted
rows (or units, or notices): flat across sizes means cost grows linearly (at small sizes
the ~0.7 s a `billing` process takes to start dominates). Targets are PERFORMANCE.md's, judged
at 1,000,000 units on one 2-core machine; readings are judged per 1,000,000 rows (an estate of
a million units has about two million meters). Notices are rendered for a slice of whole
buildings of at most 20,000 units; the naive row renders a few of the same notices one
WeasyPrint document each, in one process, for comparison. Steps of other parts of the product
(arrears, reports, journal) are stopped past a time limit rather than holding up the table. The
machine is shared with other work, so timings are noisy: each size keeps its last two runs.
"""


def update_results(path: Path, *, units: int, table: str, stamp: str) -> None:
    """Put this run's table under its size in results.md, keeping the previous run of that size."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    sections = _sections(text)
    runs = _runs(sections.get(units, ""))
    runs = [(stamp, table), *runs][:2]
    sections[units] = "\n\n".join(f"### run of {s}\n\n{t}" for s, t in runs)
    body = [_HEADER]
    for size in sorted(sections):
        body.append(f"## {size:,} units\n\n{sections[size].strip()}\n")
    body.append(_scaling(sections))
    path.write_text("\n".join(body), encoding="utf-8")


def _sections(text: str) -> dict[int, str]:
    found: dict[int, str] = {}
    matches = list(_SECTION.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        chunk = text[m.end() : end]
        cut = chunk.find("\n## ")
        found[int(m.group("units").replace(",", ""))] = chunk if cut < 0 else chunk[:cut]
    return found


def _runs(section: str) -> list[tuple[str, str]]:
    matches = list(_RUN.finditer(section))
    runs = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(section)
        table = section[m.end() : end].strip()
        table = "\n".join(line for line in table.splitlines() if line.startswith("|"))
        runs.append((m.group("stamp").strip(), table))
    return runs


def _scaling(sections: dict[int, str]) -> str:
    """Seconds per million of the latest run of each size, step by step."""
    sizes = sorted(sections)
    per: dict[str, dict[int, str]] = {}
    order: list[str] = []
    for size in sizes:
        runs = _runs(sections[size])
        if not runs:
            continue
        for line in runs[0][1].splitlines()[2:]:
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) < 8:
                continue
            step = cells[0]
            if step not in order:
                order.append(step)
            per.setdefault(step, {})[size] = cells[7] or (cells[2] + " s" if cells[2] != "n/a" else "n/a")
    if len(sizes) < 2:
        return ""
    head = "| step | " + " | ".join(f"{s:,}" for s in sizes) + " |"
    rule = "|---|" + "---:|" * len(sizes)
    lines = [
        "## Scaling\n",
        "Wall seconds per million counted rows (units, notices) in the latest run of each size.\n",
        head,
        rule,
    ]
    for step in order:
        lines.append(f"| {step} | " + " | ".join(per[step].get(s, "") for s in sizes) + " |")
    return "\n".join(lines) + "\n"
