"""What `newsbot run` does instead of the work when [workers] enabled: it queues jobs."""

from __future__ import annotations

import procrastinate

from bot.config import Settings
from bot.store import Store, utcnow
from bot.workers.tasks import defer_poll


async def defer_due_feeds(store: Store, settings: Settings, queue: procrastinate.App) -> int:
    """Queue a ``poll`` job for every due feed that has none waiting; returns how many."""
    queued = 0
    per_host = settings.ingest.per_host_concurrency
    for feed in await store.due_feeds(utcnow()):
        assert feed.id is not None
        queued += await defer_poll(queue, feed.id, feed.url, per_host)
    return queued
