"""The one `concurrent.futures.Executor` that building partitions (rating, notices) go through.

- default: a process pool of this machine's cores (`[cluster] workers` to choose), started
  with forkserver so that workers begin from a clean interpreter, not a copy of the caller;
- `[cluster] scheduler = "tcp://host:8786"`: a Dask cluster, through
  `distributed.Client(address).get_executor()` — the same `submit`/`wait` code path. Every
  worker needs this package (same version) and, for notices, the pinned font; rating workers
  read their partition from the database, so the database must be PostgreSQL reachable from
  every worker (a SQLite file only works on one machine);
- `InlineExecutor`: runs each task at once in this process (small jobs, where starting
  processes would cost more than the work).

Tasks are plain functions of picklable arguments, importable by name; they return their
results (rows, manifest entries) and never write the database themselves.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, ParamSpec, TypeVar

from billing.config import Settings

P = ParamSpec("P")
T = TypeVar("T")


class InlineExecutor(Executor):
    """Runs every submitted call at once, in the calling process."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


class DaskExecutor(Executor):
    """A Dask cluster's executor that also closes its client when shut down."""

    def __init__(self, address: str, *, retries: int = 2) -> None:
        from distributed import Client

        self.client = Client(address)
        # pure=False: two tasks with equal arguments are still two tasks (Dask would merge them).
        self._executor = self.client.get_executor(pure=False, retries=retries)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = self._executor.submit(fn, *args, **kwargs)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        try:
            self._executor.shutdown(wait=wait)
        finally:
            self.client.close()

    @property
    def workers(self) -> int:
        info: dict[str, Any] = self.client.scheduler_info()
        return sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()) or 1


def local_workers(settings: Settings) -> int:
    return settings.cluster.workers or os.cpu_count() or 1


def make_executor(settings: Settings, *, workers: int | None = None) -> Executor:
    """The executor the settings ask for: a Dask cluster, or a local process pool.

    The caller shuts it down (`with make_executor(s) as ex:` does).
    """
    if settings.cluster.scheduler:
        return DaskExecutor(settings.cluster.scheduler)
    return ProcessPoolExecutor(
        max_workers=workers or local_workers(settings),
        mp_context=get_context("forkserver"),
    )


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool of this machine (for work whose workers read a local database file)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver"))


def executor_workers(executor: Executor) -> int:
    """How many tasks the executor runs at once (to size the window of tasks in flight)."""
    if isinstance(executor, InlineExecutor):
        return 1
    if isinstance(executor, DaskExecutor):
        return executor.workers
    count = getattr(executor, "_max_workers", None)
    return int(count) if isinstance(count, int) else (os.cpu_count() or 1)
