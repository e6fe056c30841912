"""`newsbot run`: APScheduler jobs for polling, digest planning, the console digest and a
heartbeat; the delivery worker beside them in the same event loop."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from bot import cpu
from bot.app import delivery_parts, open_app, scheduled_console_digest
from bot.config import Settings
from bot.delivery.planner import DigestPlanner
from bot.delivery.sender import Sender
from bot.delivery.worker import DeliveryWorker
from bot.polling import import_feeds, poll_once
from bot.store import Store
from bot.store.exclusive import exclusive
from bot.summarize.base import Summarizer
from bot.summarize.stored import prepare_touched
from bot.web.server import web_server

if TYPE_CHECKING:
    import procrastinate

    from bot.chat.core import CommandCore
    from bot.chat.slack.service import SlackService
    from bot.chat.telegram.bot import TelegramBot
    from bot.nlp.indexer import LiveIndex

log = logging.getLogger("newsbot.run")


def heartbeat_path(settings: Settings) -> Path:
    """Where `newsbot run` leaves its heartbeat: beside a SQLite store, else under data/."""
    url = make_url(settings.store_url())
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).with_name("heartbeat")
    return Path("data/heartbeat")


def heartbeat_age(settings: Settings) -> float | None:
    """Seconds since the last heartbeat, or None when there is none."""
    try:
        return time.time() - heartbeat_path(settings).stat().st_mtime
    except OSError:
        return None


async def run_service(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT: poll due feeds every minute, print the daily digest."""
    from bot.chat.slack.service import slack_service
    from bot.chat.telegram.bot import telegram_service

    async with (
        open_app(settings) as app,  # one store, gazetteer, LLM client and command core
        telegram_service(app.core, settings) as telegram,
        slack_service(app.core, settings) as slack,
        web_server(app.store, settings),  # the status page, /metrics, /healthz: when enabled
    ):
        store, summarizer = app.store, app.summarizer
        cpu.pool().start()  # workers boot now, not on the first /summary
        await _starter_feeds(store, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        queue = await _open_queue(settings)  # None: the embedded mode, no workers
        scheduler = _scheduler(store, settings, summarizer, app.stories, queue)
        # With workers, they plan and deliver digests; this process keeps the chat adapters.
        delivery = None if queue else await _delivery(app.core, settings, telegram, slack)
        worker_task = None
        if delivery is not None:
            planner, worker = delivery
            scheduler.add_job(
                _stopped_quietly(planner.plan_due),
                CronTrigger(second=2, timezone="UTC"),
                id="digest:plan",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=50,
                next_run_time=_now(),  # at start: what was missed within the grace
            )
            worker_task = asyncio.create_task(worker.run(stop), name="delivery")
        scheduler.start()
        log.info(
            "newsbot is running",
            extra={
                "digest_time": settings.digest.default_time,
                "timezone": settings.digest.default_timezone,
                "platforms": sorted(delivery[1].senders) if delivery else [],
                "workers": queue is not None,
            },
        )
        try:
            await stop.wait()
            log.info("stopping: finishing the sends under way, parking the rest")
            scheduler.shutdown(wait=False)
            if worker_task is not None:
                await worker_task
            await asyncio.sleep(0)
        finally:
            if queue is not None:
                await queue.close_async()


async def _starter_feeds(store: Store, settings: Settings) -> None:
    """Import the starter feeds into an empty store: once, however many `newsbot run`
    processes start together on it (each would fetch every feed to add it)."""
    if not settings.ingest.feeds_file.exists():
        return
    async with exclusive(store, "starter feeds"):
        if await store.list_feeds():
            return
        imported = await import_feeds(store, settings, settings.ingest.feeds_file)
    log.info(
        "imported starter feeds",
        extra={"feeds": imported.added, "file": str(settings.ingest.feeds_file)},
    )


async def _open_queue(settings: Settings) -> procrastinate.App | None:
    """The job queue, open, its schema applied, when [workers] enabled; else None."""
    if not settings.workers.enabled:
        return None
    from bot.workers.queue import ensure_schema, make_queue

    await ensure_schema(settings)
    queue = make_queue(settings, pool_size=2)
    await queue.open_async()
    return queue


async def _delivery(
    core: CommandCore,
    settings: Settings,
    telegram: TelegramBot | None,
    slack: SlackService | None,
) -> tuple[DigestPlanner, DeliveryWorker] | None:
    """The digest planner and the delivery worker for the chat platforms that are configured."""
    senders: dict[str, Sender] = {}
    if telegram is not None:
        senders["telegram"] = telegram.sender
    if slack is not None:
        senders["slack"] = slack.bot.sender
    return delivery_parts(core, settings, senders)


def _stopped_quietly(job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """The job, ending quietly when the shutdown cancels it midway (SIGTERM while it runs):
    APScheduler would log the cancellation as an error with a traceback. The work it did not
    finish is picked up next time (polls, plans and cleanups are idempotent)."""

    async def run() -> None:
        try:
            await job()
        except asyncio.CancelledError:
            log.info("job stopped by the shutdown", extra={"job": getattr(job, "__name__", "")})

    run.__name__ = getattr(job, "__name__", "job")
    return run


def _scheduler(
    store: Store,
    settings: Settings,
    summarizer: Summarizer,
    stories: LiveIndex,
    queue: procrastinate.App | None = None,
) -> AsyncIOScheduler:
    beat = heartbeat_path(settings)
    beat.parent.mkdir(parents=True, exist_ok=True)

    async def poll() -> None:
        if queue is not None:  # workers poll: queue a job per due feed
            from bot.workers.defer import defer_due_feeds

            queued = await defer_due_feeds(store, settings, queue)
            if queued:
                log.info("poll jobs queued", extra={"feeds": queued})
            return
        started = _now()
        report = await poll_once(store, settings, stories=stories)
        if report.stored and settings.summarizer.backend != "llm":
            # The stories' summaries are made now, so /company reads them. (An LLM's would
            # spend the daily budget on stories no one may ask about: made when shown.)
            await prepare_touched(
                store, summarizer, report.stored, started, settings.digest.summary_sentences
            )
        if report.feeds:
            log.info(
                "poll round done",
                extra={"feeds": len(report.feeds), "new": report.new, "failed": len(report.failed)},
            )

    async def digest() -> None:
        run = await scheduled_console_digest(store, settings, summarizer)
        if run is None:
            log.info("the console digest of this slot was printed by another `newsbot run`")
            return
        print(run.text, flush=True)

    def heartbeat() -> None:
        beat.touch()

    async def retention() -> None:
        from bot.store.retention import cleanup

        await cleanup(store, settings.store.retention_days, _now())

    hour, minute = settings.digest.default_time.split(":")
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        _stopped_quietly(poll),
        IntervalTrigger(minutes=1),
        id="poll",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=50,  # a start slowed by load still polls at once, not a minute later
        next_run_time=_now(),
    )
    scheduler.add_job(
        _stopped_quietly(digest),
        CronTrigger(hour=int(hour), minute=int(minute), timezone=settings.digest.default_timezone),
        id="digest:console",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(
        heartbeat,
        IntervalTrigger(seconds=30),
        id="heartbeat",
        coalesce=True,
        misfire_grace_time=25,
        next_run_time=_now(),
    )
    scheduler.add_job(
        _stopped_quietly(retention),
        CronTrigger(hour=3, minute=17, timezone="UTC"),
        id="retention",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )
    return scheduler


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
