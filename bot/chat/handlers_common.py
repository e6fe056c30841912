"""What the chat's own commands share: the chat a command came from, registered on first use,
and how its digest days read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.chats import ALL_DAYS, Chat, ChatStore

if TYPE_CHECKING:
    from bot.chat.core import ChatContext, CommandCore

ADMIN_ONLY = "Only the chat's administrators can change {what} here. Ask one of them, please."


def chat_store(core: CommandCore) -> ChatStore:
    """The chat queries over the core's store."""
    return ChatStore(core.store)


async def chat_for(core: CommandCore, context: ChatContext) -> tuple[Chat, bool]:
    """The chat a command came from, registered with the [digest] defaults when new; and
    whether it is new."""
    digest = core.settings.digest
    return await chat_store(core).ensure(
        context.platform,
        context.chat_key,
        timezone=digest.default_timezone,
        digest_time=digest.default_time,
    )


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
