"""/feeds: the feeds the bot reads, with their health; its owners add and remove them.

The feeds are shared by every chat of the bot, so the list is for chat administrators and
changing it for the ``[bot] owners``. A feed is fetched once, through the SSRF guard, before
it is stored: an address that is no feed (or an HTML page that names none) is refused.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.chat.access import admins
from bot.ingest.feedlist import NotAdded, add_feed, remove_feed
from bot.ingest.http.urls import host_of
from bot.models import Feed
from bot.reply import Heading, Inline, Link, Reply, bullets, para

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

log = logging.getLogger("newsbot.chat")

USAGE = "/feeds, /feeds add URL or /feeds remove NUMBER"
ADD_EXAMPLE = "/feeds add https://example.com/feed"
_ADD = {"add"}
_REMOVE = {"remove", "rm", "delete", "del"}
_NAME_CHARS = 80
_ERROR_CHARS = 100


async def feeds(core: Core, args: str, context: ChatContext) -> Reply:
    """The feeds with their health (chat admins and owners); ``add URL`` and
    ``remove NUMBER|URL`` change them for every chat (owners only)."""
    words = args.split()
    action = words[0].casefold() if words else "list"
    if action in ("list", "ls"):
        return await _list(core, context)
    if action not in _ADD | _REMOVE:
        return Reply.message(f"I don't know “/feeds {words[0][:20]}”.", f"Try {USAGE}.", ok=False)
    if not core.gate.access.is_owner(context):
        return _not_owner(context)
    if len(words) != 2:
        example = ADD_EXAMPLE if action in _ADD else "/feeds remove 3"
        return Reply.message(f"For example: {example}", "Send /feeds for the list.", ok=False)
    if action in _ADD:
        return await _add(core, words[1], context)
    return await _remove(core, words[1], context)


# the list ------------------------------------------------------------------------------------


async def _list(core: Core, context: ChatContext) -> Reply:
    owner = core.gate.access.is_owner(context)
    if not (context.is_admin or owner):
        return Reply.message(
            f"Only {admins(context)} can see the feed list with its health.",
            "Send /sources to see the feeds I read.",
            ok=False,
        )
    found = await core.store.list_feeds()
    change = (
        "Add one: /feeds add URL. Remove one: /feeds remove NUMBER."
        if owner
        else "Only the bot's owners can add or remove feeds."
    )
    if not found:
        return Reply.message("I read no feeds yet.", change)
    now = datetime.now(UTC)
    items: list[list[Inline]] = []
    for number, feed in enumerate(found, 1):
        name = _name(feed)
        shown: Inline = Link(name, feed.url) if feed.title else feed.url
        items.append([f"{number}. ", shown, f" — {health(feed, now)}"])
    return Reply().add(
        Heading(f"I read {len(found)} feed{'s' if len(found) != 1 else ''}"),
        bullets(items),
        para(change),
    )


def health(feed: Feed, now: datetime) -> str:
    """How a feed is doing, for a reader: ok, failing with its last error, paused or new."""
    fetched = f"last fetched {ago(feed.last_success_at, now)}" if feed.last_success_at else ""
    if not feed.active:
        return "paused"
    if feed.error_count:
        error = " ".join((feed.last_error or "unknown error").split())
        if len(error) > _ERROR_CHARS:
            error = error[: _ERROR_CHARS - 1] + "…"
        polls = f"{feed.error_count} failed poll{'s' if feed.error_count != 1 else ''}"
        return f"failing ({polls} in a row): {error}; {fetched or 'never fetched'}"
    if not fetched:
        return "new: waiting for its first poll"
    return f"ok, {fetched}"


def ago(stamp: datetime, now: datetime) -> str:
    """How long ago, in the largest whole unit: "just now", "5 min ago", "3 h ago", "2 days ago"."""
    minutes = int((now - stamp).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


# add and remove ------------------------------------------------------------------------------


def _not_owner(context: ChatContext) -> Reply:
    who = f"{context.platform}:{context.user_key or '<your user id>'}"
    log.info(
        "feeds change refused: not an owner",
        extra={
            **_who(context),
        },
    )
    return Reply.message(
        "Only the bot's owners can add or remove feeds: the feeds are shared by every chat "
        "of this bot.",
        f"To become one, ask whoever runs the bot to list you under [bot] in its config: "
        f'owners = ["{who}"]. Or they can add the feed on the server: newsbot feeds add URL',
        ok=False,
    )


async def _add(core: Core, raw: str, context: ChatContext) -> Reply:
    async with core.fetcher_factory() as fetcher:
        try:
            added = await add_feed(
                core.store, fetcher, raw, max_entries=core.settings.ingest.max_entries_per_feed
            )
        except NotAdded as exc:
            return _not_added(exc)
    if not added.new:
        return _already(added.feed)
    feed, count = added.feed, added.entries or 0
    log.info(
        "feed added from chat",
        extra={
            **_who(context),
            "feed_id": feed.id,
            "host": host_of(feed.url),
            "entries": count,
        },
    )
    return Reply.message(
        f"Added {_name(feed)} ({count} entr{'y' if count == 1 else 'ies'}).",
        "Its stories appear after the next poll, within a few minutes.",
    )


async def _remove(core: Core, raw: str, context: ChatContext) -> Reply:
    found = await core.store.list_feeds()
    number = raw.lstrip("#")
    if number.isdigit():
        index = int(number) - 1
        listed = found[index] if 0 <= index < len(found) else None
        feed = await remove_feed(core.store, listed.url, found) if listed else None
    else:
        feed = await remove_feed(core.store, raw, found)
    if feed is None:
        return Reply.message(
            f"I don't read a feed “{raw[:_NAME_CHARS]}”.",
            "Send /feeds to see the feeds and their numbers.",
            ok=False,
        )
    log.info(
        "feed removed from chat",
        extra={
            **_who(context),
            "feed_id": feed.id,
            "host": host_of(feed.url),
        },
    )
    return Reply.message(
        f"Removed {_name(feed)}; its stored stories stay.", "Send /feeds to see the rest."
    )


def _not_added(exc: NotAdded) -> Reply:
    wrong_address = exc.blocked is not None or exc.reason == "invalid"
    hint = f"For example: {ADD_EXAMPLE}" if wrong_address else exc.hint
    return Reply.message(str(exc), hint, ok=False)


def _who(context: ChatContext) -> dict[str, str | None]:
    """Who changed (or tried to change) the feeds, for the log."""
    user = context.user_key or None
    return {"platform": context.platform, "chat": context.chat_key, "user": user}


def _already(feed: Feed) -> Reply:
    return Reply.message(f"Already reading {_name(feed)}.", "Send /feeds to see every feed.")


def _name(feed: Feed) -> str:
    name = " ".join((feed.title or feed.url).split())
    return name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1] + "…"
