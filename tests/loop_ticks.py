"""Whether the event loop stays free while something runs: how often a 10 ms ticker ticked."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def ticks_during(work: Awaitable[T]) -> tuple[T, int]:
    """``work``'s result and how many times a 10 ms ticker on the same loop ticked meanwhile:
    about 10 a second when the loop stays free, none when ``work`` holds it."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        result = await work
    finally:
        ticker.cancel()
    return result, ticks
