"""`newsbot run`: APScheduler jobs for polling, the console digest and a heartbeat."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from bot.app import console_digest, import_feeds, open_store, open_summarizer, poll_once
from bot.config import Settings
from bot.store import Store
from bot.summarize.base import Summarizer

if TYPE_CHECKING:
    from bot.chat.telegram import TelegramBot

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
    from bot.chat.slack import slack_service
    from bot.chat.telegram import telegram_service

    async with (
        open_store(settings) as store,
        open_summarizer(settings, store) as summarizer,
        telegram_service(store, summarizer, settings) as telegram,
        slack_service(store, summarizer, settings) as slack,
    ):
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
        if telegram is not None:
            _add_telegram_digests(scheduler, telegram)
        if slack is not None:
            slack.add_digest_job(scheduler)
        scheduler.start()
        log.info(
            "newsbot is running",
            extra={
                "digest_time": settings.digest.default_time,
                "timezone": settings.digest.default_timezone,
            },
        )
        await stop.wait()
        log.info("stopping: finishing the jobs under way")
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)


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
    return scheduler


def _add_telegram_digests(scheduler: AsyncIOScheduler, telegram: TelegramBot) -> None:
    """Each minute, send the Telegram chats whose digest time (in their own zone) has come."""
    scheduler.add_job(
        telegram.send_due_digests,
        CronTrigger(minute="*", timezone="UTC"),
        id="digest:telegram",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=50,
    )


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
