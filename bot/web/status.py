"""What the status page shows, gathered from the store into one plain view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import Settings
from bot.delivery.schedule import Schedule, next_slot
from bot.models import Feed
from bot.store import Store
from bot.store.cache import SummaryCache
from bot.store.outbox import Outbox
from bot.store.status import (
    PartRow,
    RecentStory,
    every_chat,
    job_counts,
    outbox_parts,
    recent_stories,
)

SOURCE_BUCKETS = ("1", "2", "3", "4+")


@dataclass(frozen=True, slots=True)
class ChatRow:
    """A chat as the operator sees it: where, when, and its next digest."""

    platform: str
    chat_key: str
    schedule: str
    next_digest: datetime | None
    paused: bool


@dataclass(slots=True)
class StatusView:
    """Everything on the status page, as of `now`."""

    now: datetime
    feeds: list[Feed]
    stories: list[RecentStory]
    chats: list[ChatRow]
    outbox: dict[str, int]
    parts: list[PartRow]  # waiting and failed digest parts, newest first
    tokens_used: int
    token_budget: int
    llm_enabled: bool
    jobs: dict[str, dict[str, int]] = field(default_factory=dict)  # queue -> state -> count

    @property
    def by_sources(self) -> dict[str, int]:
        """Stories of the last 24 hours by how many outlets covered them."""
        counts = dict.fromkeys(SOURCE_BUCKETS, 0)
        for story in self.stories:
            counts[SOURCE_BUCKETS[min(story.sources, 4) - 1]] += 1
        return counts

    @property
    def failing_feeds(self) -> list[Feed]:
        """Feeds whose last poll failed, most failures first."""
        bad = [f for f in self.feeds if f.last_error and f.error_count > 0]
        return sorted(bad, key=lambda f: -f.error_count)


async def gather(store: Store, settings: Settings, now: datetime) -> StatusView:
    """The status of the bot over this store, now."""
    chats = []
    for chat in await every_chat(store):
        try:
            schedule = Schedule.parse(
                chat.timezone, chat.digest_time, chat.weekdays, chat.schedule_since
            )
            upcoming = None if chat.paused else next_slot(schedule, now)
        except ValueError:  # a schedule stored before a rule changed: shown, never planned
            upcoming = None
        days = "every day" if chat.weekdays.count(",") == 6 else chat.weekdays
        chats.append(
            ChatRow(
                chat.platform,
                chat.chat_key,
                f"{chat.digest_time} {chat.timezone}, {days}",
                upcoming,
                chat.paused,
            )
        )
    outbox = Outbox(store, "status-page", lease=timedelta(seconds=60))
    return StatusView(
        now=now,
        feeds=await store.list_feeds(),
        stories=await recent_stories(store, now - timedelta(hours=24)),
        chats=chats,
        outbox=await outbox.counts(),
        parts=await outbox_parts(store, ("pending", "sending", "failed")),
        tokens_used=await SummaryCache(store).tokens_used(now.date()),
        token_budget=settings.llm.daily_token_budget,
        llm_enabled=settings.summarizer.backend == "llm",
        jobs=await job_counts(store) if settings.workers.enabled else {},
    )
