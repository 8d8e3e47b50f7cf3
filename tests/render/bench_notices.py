"""Notices per second per core, on synthetic views: `python tests/render/bench_notices.py [UNITS]`.

Not a test (the project's benchmark lives in bench/): a quick measure for choosing layouts.
One core: `render_building` in this process, CPU time (the machine may be shared). All
cores: `render_notices` on a process pool, wall time, workers warmed first.
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from billing.render.notices import content_key, render_building, render_notices
from billing.render.pdf import check_fast_subsetter
from tests.render.factories import synthetic_building


def _warm(_: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        view = synthetic_building("W", 2)
        render_building(view, Path(tmp), "a4-2", "warm")


def main(units: int = 400, per_building: int = 200) -> None:
    warning = check_fast_subsetter()
    if warning:
        print("WARNING:", warning)
    buildings = [
        synthetic_building(f"B{i}", per_building, seed=i) for i in range(max(1, units // per_building))
    ]
    total = sum(len(b.notices) for b in buildings)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        _warm(0)
        cpu = time.process_time()
        wall = time.perf_counter()
        for b in buildings:
            render_building(b, out, "a4-2", content_key(b, "a4-2"))
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        print(
            f"one core: {total} notices (+ sign-off lists) in {cpu:.2f} s CPU ({wall:.2f} s wall): "
            f"{total / cpu:.1f} notices/s per core"
        )
        size = sum(f.stat().st_size for f in out.glob("B*.pdf"))
        print(f"output: {size / total / 1024:.1f} KiB per notice (building PDFs and sign-off lists)")

    workers = 2
    with (
        tempfile.TemporaryDirectory() as tmp,
        ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) as pool,
    ):
        list(pool.map(_warm, range(4 * workers)))  # every worker warm
        wall = time.perf_counter()
        result = render_notices(buildings, Path(tmp), executor=pool)
        wall = time.perf_counter() - wall
        print(
            f"{workers} processes: {total} notices in {wall:.2f} s wall: {total / wall:.1f} notices/s "
            f"({len(result.files)} files)"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
