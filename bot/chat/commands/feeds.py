"""/feeds: the feeds the bot reads, with their health; its owners add and remove them.

The feeds are shared by every chat of the bot, so the list is for chat administrators and
changing it for the ``[bot] owners``. A feed is fetched once, through the SSRF guard, before
it is stored: an address that is no feed (or an HTML page that names none) is refused.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.chat.access import admins
from bot.ingest.discover import feed_links
from bot.ingest.feeds import FeedError, parse_feed
from bot.ingest.http.fetch import FEED_ACCEPT, Fetcher, FetchError, FetchResult, TooLarge
from bot.ingest.http.guard import BlockedURL
from bot.ingest.http.urls import feed_url, find_feed_url, host_of
from bot.models import Feed, ParsedFeed
from bot.reply import Heading, Inline, Link, Reply, bullets, para

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

log = logging.getLogger("newsbot.chat")

USAGE = "/feeds, /feeds add URL or /feeds remove NUMBER"
ADD_EXAMPLE = "/feeds add https://example.com/feed"
_ADD = {"add"}
_REMOVE = {"remove", "rm", "delete", "del"}
_HOST_PATH = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?(/\S*)?$")  # example.com/feed without scheme
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
    typed = _typed(raw)
    async with core.fetcher_factory() as fetcher:
        if fetcher.url_guard is not None:
            try:  # what was typed, before canonicalising drops a user name or password
                await fetcher.url_guard(typed)
            except BlockedURL as exc:
                return _refused(exc)
        url = feed_url(typed)
        if url is None:
            return Reply.message(
                "That is not a web address: I read feeds from http:// and https:// links.",
                f"For example: {ADD_EXAMPLE}",
                ok=False,
            )
        known = _find(await core.store.list_feeds(), url)
        if known is not None:
            return _already(known)
        found = await _probe(fetcher, url, core.settings.ingest.max_entries_per_feed)
    if isinstance(found, Reply):
        return found
    url, parsed = found
    feed, new = await core.store.add_feed(url, parsed.title)  # due at once: the next poll
    if not new:
        return _already(feed)
    log.info(
        "feed added from chat",
        extra={
            **_who(context),
            "feed_id": feed.id,
            "host": host_of(url),
            "entries": len(parsed.entries),
        },
    )
    count = len(parsed.entries)
    return Reply.message(
        f"Added {_name(feed)} ({count} entr{'y' if count == 1 else 'ies'}).",
        "Its stories appear after the next poll, within a few minutes.",
    )


async def _remove(core: Core, raw: str, context: ChatContext) -> Reply:
    found = await core.store.list_feeds()
    number = raw.lstrip("#")
    if number.isdigit():
        index = int(number) - 1
        feed = found[index] if 0 <= index < len(found) else None
    else:
        feed = _find(found, _feed_url(raw) or raw, loose=True)
    if feed is None or not await core.store.remove_feed(feed.url):
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


async def _probe(fetcher: Fetcher, url: str, max_entries: int) -> tuple[str, ParsedFeed] | Reply:
    """The feed at ``url``, or at the feed link of the HTML page there (one hop); or the reply
    that says why there is none."""
    result = await _fetch(fetcher, url)
    if isinstance(result, Reply):
        return result
    try:
        return url, await _parse(result, max_entries)
    except FeedError:
        pass
    links = await asyncio.to_thread(feed_links, result.body, result.url)
    if not links:
        return Reply.message(
            "That page is not a feed and names none.",
            "Send the feed's own address (often …/feed or …/rss).",
            ok=False,
        )
    url = links[0]
    result = await _fetch(fetcher, url)
    if isinstance(result, Reply):
        return result
    try:
        return url, await _parse(result, max_entries)
    except FeedError:
        return Reply.message(
            f"That page names {url} as its feed, but that is not a feed I can read.",
            "Send the feed's own address (often …/feed or …/rss).",
            ok=False,
        )


async def _fetch(fetcher: Fetcher, url: str) -> FetchResult | Reply:
    try:
        return await fetcher.fetch(url, accept=FEED_ACCEPT)
    except BlockedURL as exc:
        return _refused(exc)
    except TooLarge as exc:
        return Reply.message(
            f"That address sends too much to be a feed ({exc}).",
            "Send the feed's own address (often …/feed or …/rss).",
            ok=False,
        )
    except FetchError as exc:
        log.info("feed fetch failed", extra={"host": host_of(url), "error": str(exc)[:300]})
        return Reply.message(
            f"I couldn't fetch {url} ({str(exc)[:200]}). Nothing was added.",
            "Check the address, or try again in a few minutes.",
            ok=False,
        )


async def _parse(result: FetchResult, max_entries: int) -> ParsedFeed:
    return await asyncio.to_thread(
        parse_feed, result.body, result.url, result.content_type, max_entries=max_entries
    )


def _typed(raw: str) -> str:
    """The address as typed, with https:// put before a bare ``example.com/feed``."""
    raw = raw.strip().strip("<>")
    return "https://" + raw if "://" not in raw and _HOST_PATH.match(raw) else raw


def _feed_url(raw: str) -> str | None:
    return feed_url(_typed(raw))


def _refused(exc: BlockedURL) -> Reply:
    return Reply.message(f"{exc} {exc.hint}", f"For example: {ADD_EXAMPLE}", ok=False)


def _find(found: list[Feed], url: str, *, loose: bool = False) -> Feed | None:
    """The stored feed at this address; ``loose`` also sets tracking parameters aside."""
    match = find_feed_url((f.url for f in found), url, loose=loose)
    return next((f for f in found if f.url == match), None) if match else None


def _who(context: ChatContext) -> dict[str, str | None]:
    """Who changed (or tried to change) the feeds, for the log."""
    user = context.user_key or None
    return {"platform": context.platform, "chat": context.chat_key, "user": user}


def _already(feed: Feed) -> Reply:
    return Reply.message(f"Already reading {_name(feed)}.", "Send /feeds to see every feed.")


def _name(feed: Feed) -> str:
    name = " ".join((feed.title or feed.url).split())
    return name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1] + "…"
