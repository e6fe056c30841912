"""The event loop's stalls in a bench: a heartbeat task that records how late it wakes, and the
same heartbeat in an idle process of its own (the machine's share of any stall).

Run as a script with --idle, it is that idle process (IdleLoop starts it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time


class Heartbeat:
    """A task that sleeps 10 ms at a time and records how late it wakes: the loop's stalls."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, time.perf_counter() - started - 0.01)

    def __enter__(self) -> Heartbeat:
        self._task = asyncio.get_running_loop().create_task(self._beat())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


class IdleLoop:
    """The baseline of the stalls: the same heartbeat in an event loop of its own process
    that does nothing else, at the same time, so on a machine as busy; `reading()` is its
    longest stall since the last reading."""

    def __init__(self) -> None:
        command = [sys.executable, __file__, "--idle"]
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def reading(self) -> float:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(b"\n")
        self._proc.stdin.flush()
        return float(self._proc.stdout.readline())

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait()


async def idle_loop() -> None:
    """The --idle mode: a heartbeat; each line read on stdin is answered with its worst."""
    loop = asyncio.get_running_loop()
    with Heartbeat() as beat:
        while await loop.run_in_executor(None, sys.stdin.readline):
            print(beat.worst, flush=True)
            beat.worst = 0.0


if __name__ == "__main__" and "--idle" in sys.argv:
    asyncio.run(idle_loop())
