"""What `newsbot run` does instead of the work when [workers] enabled: it queues jobs."""

from __future__ import annotations

import logging

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException

from bot.config import Settings
from bot.store import Store, utcnow
from bot.workers.tasks import defer_poll, poll_job

log = logging.getLogger("newsbot.workers")
BATCH = 500  # poll jobs queued in one statement
# After queuing this many jobs at once, the planner's statistics of the queue's table are
# refreshed: procrastinate's fetch query, planned for the near-empty table the statistics
# still described, read every waiting job to fetch one (80 ms a job with 10,000 waiting,
# 1.2 ms once the table was analysed).
ANALYZE_AFTER = 1000


async def defer_due_feeds(store: Store, settings: Settings, queue: procrastinate.App) -> int:
    """Queue a ``poll`` job for every due feed that has none waiting; returns how many.

    The jobs go in batches of BATCH (a statement each, where one at a time took 4 ms a feed);
    a batch that meets a job another process queued meanwhile goes one job at a time.
    """
    per_host = settings.ingest.per_host_concurrency
    waiting = await _waiting_polls(queue)
    jobs = []
    for feed in await store.due_feeds(utcnow()):
        assert feed.id is not None
        if f"poll:{feed.id}" not in waiting:
            jobs.append((feed.id, feed.url))
    queued = 0
    for start in range(0, len(jobs), BATCH):
        chunk = jobs[start : start + BATCH]
        try:
            await queue.job_manager.batch_defer_jobs_async(
                [poll_job(queue, feed_id, url, per_host) for feed_id, url in chunk]
            )
            queued += len(chunk)
        except AlreadyEnqueued:
            for feed_id, url in chunk:
                queued += await defer_poll(queue, feed_id, url, per_host)
    if queued >= ANALYZE_AFTER:
        await _analyze(queue)
    return queued


async def _waiting_polls(queue: procrastinate.App) -> set[str]:
    """The queueing locks of the poll jobs waiting now."""
    rows = await queue.connector.execute_query_all_async(
        "SELECT queueing_lock FROM procrastinate_jobs"
        " WHERE status = 'todo' AND task_name = 'newsbot:poll'"
    )
    return {row["queueing_lock"] for row in rows}


async def _analyze(queue: procrastinate.App) -> None:
    try:
        await queue.connector.execute_query_async("ANALYZE procrastinate_jobs")
    except ConnectorException as exc:  # not the table's owner: autovacuum will do it later
        log.warning("could not analyse the job queue's table", extra={"error": str(exc)[:200]})
