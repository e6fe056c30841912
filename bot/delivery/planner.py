"""The digest planner: each minute (and at start), every chat whose digest slot has come gets its
digest built, encoded for its platform and written to the outbox, once per slot.

A slot missed while newsbot was down is planned at start if it is within the grace; an older one
is skipped, and a chat that was down for days gets only its latest slot, never several. The
digests row is unique per (chat, slot), so two processes, or a restart, plan a slot once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import metrics
from bot.delivery.schedule import Schedule, due_slot
from bot.digest.build import DigestBuilder
from bot.reply import Reply
from bot.store import Store
from bot.store.chats import Chat, ChatStore
from bot.store.outbox import Outbox
from bot.store.sent import record_sent
from bot.store.store import utcnow

log = logging.getLogger("newsbot.digest")

Encoder = Callable[[Reply], list[str]]
# Whether the allowlists still admit a chat's scheduled digest: (platform, chat key) → yes/no.
Admits = Callable[[str, str], bool]


def digest_title(slot: datetime, timezone: str) -> str:
    """ "Morning digest" and so on, from the slot's local hour."""
    hour = slot.astimezone(ZoneInfo(timezone)).hour
    if 5 <= hour < 12:
        return "Morning digest"
    if 12 <= hour < 17:
        return "Afternoon digest"
    return "Evening digest" if 17 <= hour < 22 else "Night digest"


class DigestPlanner:
    """Plans due digests into the outbox for the platforms it has encoders for: the store's
    chats, the digest builder, and the access policy's word on each chat (no chat objects)."""

    def __init__(
        self,
        store: Store,
        digests: DigestBuilder,
        admits: Admits,
        outbox: Outbox,
        encoders: Mapping[str, Encoder],
        *,
        grace: timedelta,
        on_planned: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.digests = digests
        self.admits = admits
        self.outbox = outbox
        self.encoders = dict(encoders)
        self.grace = grace
        self.on_planned = on_planned
        self.chats = ChatStore(store)

    async def plan_due(self, now: datetime | None = None) -> int:
        """Plan every chat whose slot is due; returns how many digests were planned."""
        now = now or utcnow()
        planned = 0
        for platform in self.encoders:
            for chat in await self.chats.all(platform):
                if chat.paused or not self.admits(chat.platform, chat.chat_key):
                    continue
                try:
                    if await self.plan_chat(chat, now):
                        planned += 1
                        metrics.DIGESTS_PLANNED.inc()
                except Exception:
                    log.exception("digest planning failed", extra={"chat": chat.chat_key})
        return planned

    async def plan_chat(self, chat: Chat, now: datetime) -> bool:
        """Plan this chat's digest if its slot is due and not planned yet."""
        try:
            schedule = Schedule.parse(
                chat.timezone, chat.digest_time, chat.weekdays, chat.schedule_since
            )
        except ValueError:
            log.warning("chat has an unusable schedule", extra={"chat": chat.chat_key})
            return False
        slot = due_slot(schedule, now, self.grace)
        if slot is None or await self.outbox.planned(chat.id, slot):
            return False
        since = await self.store.last_digest_end(chat.id)
        digest = await self.digests.build(chat, since, now, title=digest_title(slot, chat.timezone))
        parts = self.encoders[chat.platform](digest.reply) if digest.reply is not None else []

        async def remember(conn: AsyncConnection, digest_id: int) -> None:
            await record_sent(conn, chat.id, digest.sent, now)

        digest_id = await self.outbox.plan(
            chat_id=chat.id,
            platform=chat.platform,
            slot=slot,
            window_start=since,
            window_end=now,
            story_count=digest.story_count,
            parts=parts,
            also=remember,
            story_ids=digest.story_ids,
        )
        if digest_id is None:
            return False  # another process planned it meanwhile
        log.info(
            "digest planned",
            extra={
                "platform": chat.platform,
                "chat": chat.chat_key,
                "slot": slot.isoformat(),
                "late_seconds": int((now - slot).total_seconds()),
                "stories": digest.story_count,
                "parts": len(parts),
            },
        )
        if self.on_planned is not None:
            self.on_planned()
        return True
