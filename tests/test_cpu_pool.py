"""The CPU pool: a task past its time limit is stopped, its worker replaced, the pool goes on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cpu import CpuPool, TooSlow
from tests.loop_ticks import ticks_during


def spin(seconds: float, pid_file: str | None = None) -> int:
    """Busy CPU for ``seconds``; writes the worker's pid first when asked to."""
    if pid_file:
        Path(pid_file).write_text(str(os.getpid()))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return os.getpid()


def fail(message: str) -> None:
    raise ValueError(message)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A stopped worker may linger as a zombie until its parent reaps it.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


@pytest.fixture
def pool() -> Iterator[CpuPool]:
    running = CpuPool(1, timeout=1.0)
    try:
        yield running
    finally:
        running.close()


async def gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_a_task_past_its_limit_is_stopped_and_the_pool_goes_on(
    pool: CpuPool, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(TooSlow) as raised:
        await pool.run(spin, 60.0, str(pid_file))
    assert time.monotonic() - started < 10  # not the task's 60 s
    assert "spin took longer than 1 s" in str(raised.value)
    assert await gone(int(pid_file.read_text()))  # the runaway worker was stopped
    assert await pool.run(spin, 0.0) != int(pid_file.read_text())  # a fresh worker answers


async def test_cancelling_the_caller_stops_its_task(pool: CpuPool, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    task = asyncio.create_task(pool.run(spin, 60.0, str(pid_file), timeout=120))
    while not pid_file.exists() or not pid_file.read_text():
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await gone(int(pid_file.read_text()))
    assert await pool.run(spin, 0.0)


async def test_the_task_s_own_error_reaches_the_caller(pool: CpuPool) -> None:
    with pytest.raises(ValueError, match="bad input"):
        await pool.run(fail, "bad input")
    assert await pool.run(spin, 0.0)


async def test_the_event_loop_runs_while_a_task_does(pool: CpuPool) -> None:
    _, ticks = await ticks_during(pool.run(spin, 0.5))
    assert ticks >= 10  # a task run on the loop itself would have allowed none


HOLDER = """
import asyncio, sys
from bot import cpu
from bot.nlp.indexer import StoryIndexer

async def main():
    cpu.configure(1, log=("INFO", "json"))
    cpu.pool().start()
    indexer = StoryIndexer(None)
    await indexer.stories()  # its process runs from now on
    await cpu.pool().run(abs, -1)  # so does the CPU pool's worker
    print("ready", flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def test_a_killed_process_leaves_no_helper_process_behind() -> None:
    """A worker SIGKILLed (the OOM killer, `docker kill`) gets no chance to stop its story
    indexer's process or its CPU pool's workers: they notice and exit, rather than live on as
    orphans holding their memory."""
    import signal
    import subprocess
    import sys

    root = Path(__file__).parents[1]
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, cwd=root)
    helpers: set[int] = set()
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"ready"
        helpers = children(holder.pid)
        assert len(helpers) >= 2  # the indexer's process and the pool's worker (and its manager)
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in helpers if alive(pid)] == []
    finally:
        holder.kill()
        for pid in helpers:  # what the test found alive: not left to run on the machine
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
