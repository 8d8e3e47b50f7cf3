"""Run one step as a child process and measure it: wall time, CPU time, peak memory.

Peak memory is the largest sum of the resident set sizes of the child and all its descendants
(a process pool's workers count too), sampled from /proc every 50 ms, and never less than the
largest single process's peak that the kernel reports when the child is reaped (`wait4`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_EVERY = 0.05


@dataclass(frozen=True, slots=True)
class Measured:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child and every descendant it reaped
    peak_rss: int  # bytes, the whole process tree
    returncode: int
    stdout: str
    stderr: str
    stopped: str = ""  # why the bench stopped the step ("timeout", "memory"), if it did


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                found.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return found


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """utime + stime of one process so far, in seconds."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def tree(root: int) -> list[int]:
    """`root` and all its descendants, now."""
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        if pid in found:
            continue
        found.append(pid)
        stack.extend(_children(pid))
    return found


def tree_rss(root: int) -> int:
    """The resident memory of `root` and all its descendants, now."""
    return sum(_rss(pid) for pid in tree(root))


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    max_rss: int | None = None,
) -> Measured:
    """Run `argv` to completion and measure it; past `timeout` seconds, or with its process tree
    past `max_rss` bytes, the whole process group is killed (`stopped` says why)."""
    base = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}-{time.monotonic_ns()}"
    out_path, err_path = base.with_suffix(".out"), base.with_suffix(".err")
    with out_path.open("w+b") as out, err_path.open("w+b") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env else None,
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group: a stopped step takes its pool along
        )
        peak = 0
        cpu_seen: dict[int, float] = {}
        stop = threading.Event()
        stopped = ""

        def kill(why: str) -> None:
            nonlocal stopped
            if not stopped:
                stopped = why
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

        def sample() -> None:
            # A descendant its parent never reaps (a forkserver outliving the step's process)
            # is missing from wait4's CPU time: keep every process's last CPU time seen too.
            nonlocal peak
            while not stop.is_set():
                pids = tree(proc.pid)
                now = sum(_rss(pid) for pid in pids)
                peak = max(peak, now)
                for pid in pids:
                    cpu_seen[pid] = max(cpu_seen.get(pid, 0.0), _cpu(pid))
                if max_rss is not None and now > max_rss:
                    kill("memory")
                if timeout is not None and time.perf_counter() - start > timeout:
                    kill("timeout")
                stop.wait(SAMPLE_EVERY)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    out_path.unlink(missing_ok=True)
    err_path.unlink(missing_ok=True)
    reaped = usage.ru_utime + usage.ru_stime
    return Measured(
        wall=wall,
        cpu=max(reaped, sum(cpu_seen.values())),
        peak_rss=max(peak, usage.ru_maxrss * 1024),
        returncode=os.waitstatus_to_exitcode(status),
        stdout=stdout,
        stderr=stderr,
        stopped=stopped,
    )
