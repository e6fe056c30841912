"""The chat's own commands: /start, /sources, and the story buttons (Quotes, Sources) of a
digest. /settings is in handlers_settings, /subscribe and /unsubscribe in handlers_subscribe,
/digest in handlers_digest, /feeds in handlers_feeds.

Changing a chat (settings, subscriptions) needs ``ChatContext.is_admin``: adapters set it for
the one person in a private chat and for the administrators of a group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.handlers_common import chat_for, chat_store, describe_days
from bot.chat.handlers_settings import SETTINGS_USAGE, parse_days, settings_command
from bot.chat.handlers_subscribe import subscribe, unsubscribe
from bot.chat.handlers_summary import summary as summary_command
from bot.chat.reply import Heading, Link, QuoteBlock, Reply, bullets, para
from bot.models import Story

if TYPE_CHECKING:
    from bot.chat.core import ChatContext, CommandCore


# /start --------------------------------------------------------------------------------------


async def start(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """Register the chat with the [digest] defaults and say what comes next."""
    chat, new = await chat_for(core, context)
    if chat.paused:
        await chat_store(core).update_settings(chat.id, paused=False)
    first = "Welcome to newsbot!" if new else "Welcome back!"
    return Reply().add(
        para(first),
        para(
            f"I'll send this chat a news digest {describe_days(chat.weekdays)} at "
            f"{chat.digest_time} ({chat.timezone})."
        ),
        para("What you can do next:"),
        bullets(
            [
                f"Set your time and time zone: {SETTINGS_USAGE}",
                "Follow a company: /subscribe company Huawei",
                "Get a digest right now: /digest",
                "Ask about the news: /ask What did Huawei announce?",
                "See every command: /help",
            ]
        ),
    )


# /sources ------------------------------------------------------------------------------------


async def sources(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """The feeds newsbot reads; with a story number, the articles behind that story."""
    if args.strip().lstrip("#").isdigit():  # a story's Sources button, typed
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


# buttons -------------------------------------------------------------------------------------


async def quotes(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """Every quote of a stored story, with who said it."""
    story = await _story(core, args)
    if story is None:
        return _no_story(args)
    summary = await core.summarizer.summarize(story, sentences=core.long_sentences)
    reply = Reply([Heading(story.lead.title)])
    found = summary.all_quotes or summary.quotes
    if not found:
        return reply.add(para("This story has no direct quotes."))
    return reply.add(*(QuoteBlock(q.text, q.speaker) for q in found[:10]))


async def story_sources(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """The articles that tell a stored story, with links."""
    story = await _story(core, args)
    if story is None:
        return _no_story(args)
    items = []
    for article in story.articles:
        title = f"{article.source}: {article.title}"
        items.append(Link(title, article.url) if article.url else title)
    return Reply([Heading(story.lead.title)]).add(bullets(items))


async def _story(core: CommandCore, args: str) -> Story | None:
    arg = args.strip().lstrip("#")
    if not arg.isdigit() or int(arg) > 2**31 - 1:
        return None
    story = await core.index.story(int(arg))
    return story if story is not None and story.articles else None


def _no_story(args: str) -> Reply:
    return Reply.message(
        f"I can't find story {args.strip()[:20]}.",
        "Story numbers are on the buttons of digests and /company replies.",
        ok=False,
    )


# Other modules import these from here.
__all__ = [
    "chat_for",
    "chat_store",
    "describe_days",
    "parse_days",
    "quotes",
    "settings_command",
    "sources",
    "start",
    "story_sources",
    "subscribe",
    "summary_command",
    "unsubscribe",
]
