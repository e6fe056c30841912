"""`newsbot run`: APScheduler jobs for polling, digest planning, the console digest and a
heartbeat; the delivery worker beside them in the same event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from bot import cpu
from bot.app import console_digest, import_feeds, open_app, poll_once
from bot.config import Settings
from bot.delivery.planner import DigestPlanner, Encoder
from bot.delivery.sender import Sender
from bot.delivery.worker import DeliveryWorker
from bot.store import Store
from bot.store.outbox import Outbox
from bot.summarize.base import Summarizer
from bot.web.server import web_server

if TYPE_CHECKING:
    from bot.chat.core import CommandCore
    from bot.chat.slack.service import SlackService
    from bot.chat.telegram.bot import TelegramBot

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
        if not await store.list_feeds() and settings.ingest.feeds_file.exists():
            added, _ = await import_feeds(store, settings.ingest.feeds_file)
            log.info(
                "imported starter feeds",
                extra={"feeds": added, "file": str(settings.ingest.feeds_file)},
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        scheduler = _scheduler(store, settings, summarizer)
        delivery = await _delivery(app.core, settings, telegram, slack)
        worker_task = None
        if delivery is not None:
            planner, worker = delivery
            scheduler.add_job(
                planner.plan_due,
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
            },
        )
        await stop.wait()
        log.info("stopping: finishing the sends under way, parking the rest")
        scheduler.shutdown(wait=False)
        if worker_task is not None:
            await worker_task
        await asyncio.sleep(0)


async def _delivery(
    core: CommandCore,
    settings: Settings,
    telegram: TelegramBot | None,
    slack: SlackService | None,
) -> tuple[DigestPlanner, DeliveryWorker] | None:
    """The digest planner and the delivery worker for the chat platforms that are configured."""
    from bot.chat.slack import send as slack_send
    from bot.chat.telegram import send as telegram_send

    senders: dict[str, Sender] = {}
    encoders: dict[str, Encoder] = {}
    if telegram is not None:
        senders["telegram"] = telegram.sender
        encoders["telegram"] = telegram_send.encode_parts
    if slack is not None:
        senders["slack"] = slack.bot.sender
        encoders["slack"] = slack_send.encode_parts
    if not senders:
        return None
    section = settings.delivery
    outbox = Outbox(core.store, _worker_name(), lease=timedelta(seconds=section.lease_seconds))
    worker = DeliveryWorker(outbox, senders, concurrency=section.concurrency)
    planner = DigestPlanner(
        core.store,
        core.digests,
        core.gate.access.admits_scheduled,
        outbox,
        encoders,
        grace=timedelta(minutes=section.missed_grace_minutes),
        on_planned=worker.wake,
    )
    return planner, worker


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _scheduler(store: Store, settings: Settings, summarizer: Summarizer) -> AsyncIOScheduler:
    beat = heartbeat_path(settings)
    beat.parent.mkdir(parents=True, exist_ok=True)

    async def poll() -> None:
        report = await poll_once(store, settings)
        if report.feeds:
            log.info(
                "poll round done",
                extra={"feeds": len(report.feeds), "new": report.new, "failed": len(report.failed)},
            )

    async def digest() -> None:
        run = await console_digest(store, settings, summarizer)
        print(run.text, flush=True)

    def heartbeat() -> None:
        beat.touch()

    async def retention() -> None:
        from bot.store.retention import cleanup

        await cleanup(store, settings, _now())

    hour, minute = settings.digest.default_time.split(":")
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        poll,
        IntervalTrigger(minutes=1),
        id="poll",
        max_instances=1,
        coalesce=True,
        next_run_time=_now(),
    )
    scheduler.add_job(
        digest,
        CronTrigger(hour=int(hour), minute=int(minute), timezone=settings.digest.default_timezone),
        id="digest:console",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(heartbeat, IntervalTrigger(seconds=30), id="heartbeat", next_run_time=_now())
    scheduler.add_job(
        retention,
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
