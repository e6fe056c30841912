"""When a feed is polled next: after a success, after a failure, with a little jitter."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.config_sections import IngestSettings

JITTER = 0.1  # next checks move by up to this share of the wait, so feeds do not bunch up


def next_check_after_success(
    now: datetime,
    settings: IngestSettings,
    *,
    ttl_minutes: int | None,
    max_age: int | None,
    rng: random.Random | None = None,
) -> datetime:
    """The next poll: our interval, or later when the feed's TTL or Cache-Control asks so.

    With ``rng`` the wait moves by up to ±10%, never below what the feed asked for.
    """
    cap = timedelta(minutes=settings.max_backoff_minutes)
    asked = timedelta(0)
    if ttl_minutes:
        asked = max(asked, min(timedelta(minutes=ttl_minutes), cap))
    if max_age:
        asked = max(asked, min(timedelta(seconds=max_age), cap))
    wait = max(timedelta(minutes=settings.poll_interval_minutes), asked)
    return now + jittered(wait, floor=asked, ceiling=max(cap, wait), rng=rng)


def next_check_after_error(
    now: datetime,
    settings: IngestSettings,
    *,
    errors: int,
    retry_after: float | None,
    rng: random.Random | None = None,
) -> datetime:
    """Capped exponential backoff, never sooner than the server's Retry-After.

    With ``rng`` the wait moves by up to ±10%, never below the Retry-After, never above the cap.
    """
    cap = timedelta(minutes=settings.max_backoff_minutes)
    minutes = min(
        settings.poll_interval_minutes * 2 ** max(errors - 1, 0), settings.max_backoff_minutes
    )
    asked = min(timedelta(seconds=retry_after), cap) if retry_after else timedelta(0)
    wait = max(timedelta(minutes=minutes), asked)
    return now + jittered(wait, floor=asked, ceiling=max(cap, wait), rng=rng)


def jittered(
    wait: timedelta, *, floor: timedelta, ceiling: timedelta, rng: random.Random | None
) -> timedelta:
    """A random wait within ±JITTER of ``wait`` and within [floor, ceiling].

    A floor inside the range raises its lower end, so waits do not pile up on the floor.
    """
    if rng is None:
        return wait
    low = max(wait * (1.0 - JITTER), floor)
    high = max(min(wait * (1.0 + JITTER), ceiling), low)
    return low + (high - low) * rng.random()
