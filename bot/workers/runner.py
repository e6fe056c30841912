"""`newsbot worker`: one process that runs jobs from the queue until SIGTERM or SIGINT.

A worker opens the same parts as `newsbot run` (store, summarizer, command core), a fetcher for
polls, and the chat platforms' senders without their readers (no long polling, no webhook, no
Socket Mode: those stay in `newsbot run`). Each second it queues again the running jobs of
workers whose process is gone (their liveness lock, bot/workers/liveness.py), and every few
seconds those of workers silent for ``[workers] stalled_seconds`` (frozen, cut off), so their
work resumes elsewhere.
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
import psycopg

from bot import cpu
from bot.app import App, delivery_parts, open_app
from bot.config import Settings
from bot.delivery.sender import Sender
from bot.polling import poll_fetcher
from bot.workers.liveness import HeldJobManager, Liveness, requeue
from bot.workers.queue import ensure_schema, libpq_url, make_queue
from bot.workers.status import record_errors
from bot.workers.tasks import WorkerContext

log = logging.getLogger("newsbot.workers")
QUEUES = ("poll", "index", "summarize", "plan", "deliver")
LIVENESS_SECONDS = 1.0  # how often a worker looks for dead workers' jobs


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
    liveness = Liveness(libpq_url(settings)) if settings.workers.liveness_locks else None
    if liveness is not None:
        queue.job_manager = HeldJobManager(queue.connector, liveness)
    async with open_app(settings) as app, _senders(app) as senders, _opened(liveness):
        cpu.pool().start()
        parts = delivery_parts(app.core, settings, senders)
        async with poll_fetcher(settings) as fetcher, queue.open_async():
            ctx = WorkerContext(app, fetcher, *(parts or (None, None)))
            recovery = asyncio.create_task(_recover(queue, settings, liveness), name="recovery")
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
    stalled = await queue.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.workers.stalled_seconds
    )
    jobs = [(job.id, job.task_name, job.attempts) for job in stalled if job.id is not None]
    return await requeue(queue.job_manager, jobs, "silent for stalled_seconds")


async def _recover(
    queue: procrastinate.App,
    settings: Settings,
    liveness: Liveness | None,
) -> None:
    """Each second, the jobs of workers whose process is gone; every few seconds, those of
    workers silent for ``stalled_seconds``."""
    period = max(1.0, min(5.0, settings.workers.stalled_seconds / 2))
    next_stalled = 0.0
    loop = asyncio.get_running_loop()
    while True:
        if liveness is not None and liveness.worker_id is not None:
            try:
                await requeue(queue.job_manager, await liveness.orphans(), "its process is gone")
            except psycopg.OperationalError as exc:
                # Our own lock's connection is gone: take the lock again on a new one. Others
                # may have queued our running jobs again meanwhile (each is safe to run twice).
                log.error("liveness connection lost: reconnecting", extra={"error": str(exc)[:200]})
                await liveness.reconnect()
            except Exception as exc:  # the database may be away for a moment: try again later
                log.warning("dead-worker recovery failed", extra={"error": str(exc)[:200]})
        if loop.time() >= next_stalled:
            next_stalled = loop.time() + period
            try:
                await recover_stalled(queue, settings)
            except Exception as exc:  # the database may be away for a moment: try again later
                log.warning("stalled-job recovery failed", extra={"error": str(exc)[:200]})
        await asyncio.sleep(LIVENESS_SECONDS)


@asynccontextmanager
async def _opened(liveness: Liveness | None) -> AsyncIterator[None]:
    if liveness is None:
        yield
        return
    await liveness.open()
    try:
        yield
    finally:
        await liveness.close()


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
        for sender in senders.values():
            await sender.pacer.close()
