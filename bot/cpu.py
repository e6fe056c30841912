"""CPU-heavy work (page extraction, summaries, quotes) off the event loop, under a time limit.

One bounded pool of worker processes per process (pebble's ProcessPool): a task runs in a
worker, so it holds no lock the event loop needs, and one that runs past its time limit has its
worker stopped and replaced, so a runaway input costs that one answer and nothing else. The
pool starts on first use, sized by ``configure`` ([cpu] in the settings) or by default.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import gc
import importlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

log = logging.getLogger("newsbot.cpu")
T = TypeVar("T")

DEFAULT_TIMEOUT = 15.0
# What the tasks need (trafilatura, the NLP): imported as a worker starts, before any task.
PRELOAD = ("bot.ingest.documents", "bot.summarize.embedded")


def default_workers() -> int:
    """min(2, the CPUs this process may use): leaves room for the event loop and the store."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(2, cpus or 1))


class WorkerFailed(Exception):
    """A task's worker process ended before the task did (it is replaced)."""


class TooSlow(WorkerFailed):
    """A task ran past its time limit; its worker was stopped and replaced."""

    def __init__(self, task: str, seconds: float) -> None:
        super().__init__(f"{task} took longer than {seconds:g} s")
        self.task = task
        self.seconds = seconds


class CpuPool:
    """A bounded pool of worker processes; each task has a time limit."""

    def __init__(
        self,
        workers: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        log: tuple[str, str] | None = None,
        preload: tuple[str, ...] = PRELOAD,
    ) -> None:
        """``log``: (level, format) of the workers' logs, as [log] sets the parent's; None
        leaves the workers' logging unconfigured (warnings and errors only, to stderr).
        ``preload``: modules each worker imports as it starts, not on its first task."""
        self.workers = workers or default_workers()
        self.timeout = timeout
        self.log = log
        self.preload = preload
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()

    def _running(self) -> ProcessPool:
        with self._lock:
            if self._pool is None or not self._pool.active:
                # Fresh interpreters, not forks: the parent has threads (the bot's clients) whose
                # locks a fork would copy mid-use.
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPool(
                    max_workers=self.workers,
                    context=context,
                    initializer=_init_worker,
                    initargs=(self.log, self.preload),
                )
            return self._pool

    def start(self) -> None:
        """Start the workers now, without waiting, rather than on the first task (they take
        a moment to boot)."""
        self._running().schedule(_ready)

    async def run(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """``fn(*args)`` in a worker; raises TooSlow when it runs past the time limit, and
        WorkerFailed when its worker died (killed by the system, a crash in a C library).

        ``fn`` and its arguments must be picklable (a module-level function and plain models).
        An exception ``fn`` raises is raised here. Cancelling the caller stops the task.
        """
        limit = timeout if timeout is not None else self.timeout
        future = self._running().schedule(_paused, args=(fn, *args), timeout=limit)
        name = getattr(getattr(fn, "func", fn), "__qualname__", "task")  # a partial's function
        try:
            return await asyncio.wrap_future(future)
        except concurrent.futures.TimeoutError:
            log.warning("cpu task stopped at its time limit", extra={"task": name, "limit": limit})
            raise TooSlow(name, limit) from None
        except ProcessExpired as exc:
            log.error("cpu worker died", extra={"task": name, "exit_code": exc.exitcode})
            raise WorkerFailed(f"{name}: its worker died") from None
        finally:
            future.cancel()  # a cancelled caller: pebble stops the worker running it

    def close(self) -> None:
        """Stop the workers (a task still running is abandoned)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=5)


def _ready() -> bool:
    return True


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic garbage collection inside: a task builds many objects that stay alive until
    it ends, and each full collection walks them all again, so collecting during the task makes
    its cost grow faster than its input (find_quotes on 2 MB: 2.7 ms per KB with it, 2.15
    without, 1.9 on 10 KB). What the task leaves is collected after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _paused(fn: Callable[..., T], *args: Any) -> T:
    with gc_paused():
        return fn(*args)


def _init_worker(log_to: tuple[str, str] | None, preload: tuple[str, ...]) -> None:
    start_child(log_to)
    for module in preload:
        importlib.import_module(module)


def start_child(log_to: tuple[str, str] | None) -> None:
    """In a helper process (the CPU pool's, the story indexer's) as it starts: log as the parent
    process does, and exit when the parent dies. A SIGKILLed worker gives its helpers no word,
    and they wait on a queue whose writing end they hold themselves: without this they would
    live on as orphans, with their memory."""
    if log_to is not None:
        from bot import logs

        logs.configure(*log_to)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), name="parent", daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent's sentinel closes: it has exited
    os._exit(0)


def log_settings() -> tuple[str, str] | None:
    """How this process's helpers log: [log] level and format, as ``configure`` was given them."""
    return _shared.log


_shared = CpuPool()


@atexit.register
def _close_shared() -> None:
    # Stop the pool's threads before its workers: a worker the pool started while the
    # interpreter was exiting would be waited for forever.
    _shared.close()


def configure(
    workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    log: tuple[str, str] | None = None,
) -> CpuPool:
    """Size the process's pool, set its time limit (0 or None workers: the default) and how
    its workers log. The workers start on the first task, or at ``start()`` (the service
    starts them at once; a one-shot command that never needs them starts none)."""
    global _shared
    workers = workers or default_workers()
    if (workers, timeout, log) != (_shared.workers, _shared.timeout, _shared.log):
        old, _shared = _shared, CpuPool(workers, timeout, log)
        old.close()
    return _shared


def pool() -> CpuPool:
    """The process's pool."""
    return _shared
