"""What the chat's own commands share: the chat a command came from, registered on first use,
how its digest days read, and whether its platform has forum topics. Who may change a chat is
bot/chat/access.py's."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.digest.views import zone_named
from bot.store.chats import ALL_DAYS, Chat, ChatStore

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

# Forum topics a digest can be sent to exist in Telegram's forum groups only.
_TOPICS = {"telegram"}


def has_topics(context: ChatContext) -> bool:
    """Whether the platform has forum topics a chat's digest can go to."""
    return context.platform in _TOPICS


def chat_store(core: Core) -> ChatStore:
    """The chat queries over the core's store."""
    return ChatStore(core.store)


async def chat_for(core: Core, context: ChatContext) -> tuple[Chat, bool]:
    """The chat a command came from, registered with the [digest] defaults when new; and
    whether it is new."""
    digest = core.settings.digest
    return await chat_store(core).ensure(
        context.platform,
        context.chat_key,
        timezone=digest.default_timezone,
        digest_time=digest.default_time,
    )


async def last_digest_end(core: Core, context: ChatContext) -> datetime | None:
    """Where the chat's last digest window ended; None when it never had one. Read-only: a
    chat that only asks questions is not registered for digests."""
    chat = await chat_store(core).get(context.platform, context.chat_key)
    return await core.store.last_digest_end(chat.id) if chat is not None else None


async def chat_zone(core: Core, context: ChatContext) -> ZoneInfo:
    """The time zone the chat reads times in: its /settings tz, or the [digest]
    default_timezone when it never registered. Read-only: asking does not register the chat."""
    chat = await chat_store(core).get(context.platform, context.chat_key)
    return zone_named(chat.timezone if chat else core.settings.digest.default_timezone)


def describe_days(weekdays: str) -> str:
    """Stored weekdays ("mon,tue,…") as a reader says them: "every day", "Monday to Friday"."""
    days = [d for d in weekdays.split(",") if d]
    if tuple(days) == ALL_DAYS:
        return "every day"
    if tuple(days) == ALL_DAYS[:5]:
        return "Monday to Friday"
    if tuple(days) == ALL_DAYS[5:]:
        return "weekends"
    return ", ".join(d.capitalize() for d in days)
