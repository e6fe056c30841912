"""`newsbot worker`: one process that runs jobs from the queue until SIGTERM or SIGINT.

A worker opens the same parts as `newsbot run` (store, summarizer, command core), a fetcher for
polls, and the chat platforms' senders without their readers (no long polling, no webhook, no
Socket Mode: those stay in `newsbot run`). It writes a heartbeat to the database every
``[workers] heartbeat_seconds``; every few seconds it queues again the running jobs of workers
silent for ``stalled_seconds`` (killed, frozen, cut off), so their work resumes elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import procrastinate

from bot import cpu
from bot.app import App, delivery_parts, open_app
from bot.config import Settings
from bot.delivery.sender import Sender
from bot.polling import poll_fetcher
from bot.workers.queue import ensure_schema, make_queue
from bot.workers.status import record_errors
from bot.workers.tasks import WorkerContext

log = logging.getLogger("newsbot.workers")
QUEUES = ("poll", "index", "summarize", "plan", "deliver")


async def run_worker(
    settings: Settings,
    *,
    queues: Sequence[str] | None = None,
    concurrency: int | None = None,
    wait: bool = True,
) -> None:
    """Run jobs until stopped (``wait=False``: until the queues are empty, for tests)."""
    await ensure_schema(settings)
    concurrency = concurrency or settings.workers.concurrency
    queue = make_queue(settings, pool_size=concurrency + 3)
    name = f"{socket.gethostname()}:{os.getpid()}"
    async with open_app(settings) as app, _senders(app) as senders:
        cpu.pool().start()
        parts = delivery_parts(app.core, settings, senders)
        async with poll_fetcher(settings) as fetcher, queue.open_async():
            ctx = WorkerContext(app, fetcher, *(parts or (None, None)))
            recovery = asyncio.create_task(_recover_stalled(queue, settings), name="recovery")
            log.info(
                "worker is running",
                extra={
                    "worker": name,
                    "queues": list(queues or QUEUES),
                    "concurrency": concurrency,
                    "platforms": sorted(senders),
                },
            )
            try:
                await queue.run_worker_async(
                    queues=list(queues) if queues else None,
                    concurrency=concurrency,
                    name=name,
                    wait=wait,
                    additional_context={"newsbot": ctx},
                    update_heartbeat_interval=settings.workers.heartbeat_seconds,
                    stalled_worker_timeout=settings.workers.stalled_seconds,
                    shutdown_graceful_timeout=30.0,
                    # New jobs arrive by LISTEN/NOTIFY; jobs queued again (a stalled worker's,
                    # a retry) or scheduled for later are found by this poll.
                    fetch_job_polling_interval=1.0,
                    install_signal_handlers=wait,
                    worker_middleware=[record_errors],
                )
            finally:
                recovery.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await recovery


async def recover_stalled(queue: procrastinate.App, settings: Settings) -> int:
    """Queue again the running jobs of workers silent for ``stalled_seconds``; returns how many."""
    manager = queue.job_manager
    stalled = await manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.workers.stalled_seconds
    )
    retried = 0
    for job in stalled:
        try:
            await manager.retry_job(job)
        except procrastinate.exceptions.ConnectorException:
            continue  # another worker queued it again first
        retried += 1
        log.warning(
            "a worker went silent: its job is queued again",
            extra={"job": job.id, "task": job.task_name, "attempts": job.attempts},
        )
    return retried


async def _recover_stalled(queue: procrastinate.App, settings: Settings) -> None:
    period = max(1.0, min(5.0, settings.workers.stalled_seconds / 2))
    while True:
        try:
            await recover_stalled(queue, settings)
        except Exception as exc:  # the database may be away for a moment: try again later
            log.warning("stalled-job recovery failed", extra={"error": str(exc)[:200]})
        await asyncio.sleep(period)


@asynccontextmanager
async def _senders(app: App) -> AsyncIterator[dict[str, Sender]]:
    """The configured platforms' senders, without taking updates (`newsbot run` does that)."""
    from bot.chat.slack.service import slack_configured

    settings = app.settings
    senders: dict[str, Sender] = {}
    telegram = None
    token = settings.secret("telegram", "token")
    if token:
        from bot.chat.telegram.bot import TelegramBot

        telegram = TelegramBot(app.core, settings, token)
        await telegram.app.initialize()
        senders["telegram"] = telegram.sender
    if slack_configured(settings):
        from bot.chat.slack.bot import SlackBot

        senders["slack"] = SlackBot(app.core, settings).sender
    try:
        yield senders
    finally:
        if telegram is not None:
            await telegram.app.shutdown()
