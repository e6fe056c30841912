"""The chat's own commands: /start, /stop and /sources. /settings is in settings.py,
/subscribe and /unsubscribe in subscribe.py, /digest in digest.py, /feeds in feeds.py, and
the story commands (/quotes, /sources STORY) in story.py.

Changing a chat (settings, subscriptions, pausing) needs ``ChatContext.is_admin``: adapters set
it for the one person in a private chat and for the administrators of a group.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.chat.access import admin_only
from bot.chat.commands.common import chat_for, chat_store, describe_days
from bot.chat.commands.settings import SETTINGS_USAGE
from bot.chat.commands.story import is_story_ref, story_sources
from bot.reply import Heading, Link, Reply, bullets, para

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

log = logging.getLogger("newsbot.chat")


# /start and /stop ----------------------------------------------------------------------------


async def start(core: Core, args: str, context: ChatContext) -> Reply:
    """Register the chat with the [digest] defaults, resume its paused digests (admins), and
    say what comes next."""
    chat, new = await chat_for(core, context)
    first = "Welcome to newsbot!" if new else "Welcome back!"
    when = (
        f"I'll send this chat a news digest {describe_days(chat.weekdays)} at "
        f"{chat.digest_time} ({chat.timezone})."
    )
    if chat.paused and context.is_admin:
        await chat_store(core).update_settings(chat.id, paused=False)
        _log_paused(context, paused=False)
        first = "Welcome back! Digests are on again."
    elif chat.paused:
        when = "Digests are paused in this chat: one of its admins can send /start to resume them."
    return Reply().add(
        para(first),
        para(when),
        para("What you can do next:"),
        bullets(
            [
                f"Set your time and time zone: {SETTINGS_USAGE}",
                "Follow a company: /subscribe company Huawei",
                "Get a digest right now: /digest",
                "Ask about the news: /ask What did Huawei announce?",
                "Pause the digests: /stop",
                "See every command: /help",
            ]
        ),
    )


async def stop(core: Core, args: str, context: ChatContext) -> Reply:
    """Pause the chat's scheduled digests until /start (admins only in groups)."""
    if not context.is_admin:
        return admin_only(context, "pause the digests")
    chat, _ = await chat_for(core, context)
    if chat.paused:
        return Reply.message("Digests are already paused here. /start brings them back.")
    await chat_store(core).update_settings(chat.id, paused=True)
    _log_paused(context, paused=True)
    return Reply.message(
        "Digests paused. /start brings them back.",
        "You can still ask for one any time: /digest",
    )


def _log_paused(context: ChatContext, *, paused: bool) -> None:
    log.info(
        "digests paused" if paused else "digests resumed",
        extra={
            "platform": context.platform,
            "chat": context.chat_key,
            "user": context.user_key or None,
        },
    )


# /sources ------------------------------------------------------------------------------------


async def sources(core: Core, args: str, context: ChatContext) -> Reply:
    """The feeds newsbot reads; with a story's number, the articles behind that story."""
    if is_story_ref(args):
        return await story_sources(core, args, context)
    feeds = await core.store.list_feeds()
    if not feeds:
        return Reply.message(
            "No feeds yet. The bot's owner adds them with /feeds add URL, or on the server with "
            "`newsbot feeds add URL`."
        )
    items = []
    for feed in feeds:
        name = feed.title or feed.url
        state = "" if feed.active and not feed.error_count else " (failing)"
        items.append((Link(name, feed.url), state) if name != feed.url else (feed.url, state))
    return Reply().add(Heading(f"I read {len(feeds)} feed{'s' if len(feeds) != 1 else ''}"),
                       bullets(items))  # fmt: skip
