"""The feeds newsbot reads, changed one way from the command line (`newsbot feeds add`,
`import`, `remove`) and from a chat (/feeds add, /feeds remove).

A feed is fetched once through the SSRF guard before it is stored (the guard vets the address
as typed, then every redirect), and the answer must be a feed, or an HTML page whose
``<link rel="alternate">`` names one: that feed (one hop, vetted and fetched too) is the one
stored, under its own title. A feed already stored is not fetched again. Whether an address
that cannot be fetched right now is stored all the same is the caller's choice: the operator's
command line stores it (each poll tries again and vets it again), a chat does not.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.ingest.discover import feed_links
from bot.ingest.feeds import FeedError, parse_feed
from bot.ingest.http.fetch import FEED_ACCEPT, Fetcher, FetchError, FetchResult, TooLarge
from bot.ingest.http.guard import BlockedURL
from bot.ingest.http.urls import feed_url, find_feed_url, host_of
from bot.models import Feed, ParsedFeed
from bot.store import Store

log = logging.getLogger("newsbot.feeds")

OWN_ADDRESS = "Send the feed's own address (often …/feed or …/rss)."
_HOST_PATH = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?(/\S*)?$")  # example.com/feed without scheme


class NotAdded(Exception):
    """Why a feed was not added: ``str()`` says it in a sentence, ``hint`` what to do instead.

    ``reason`` is "blocked" (the SSRF guard refused it or a redirect; ``blocked`` says how),
    "invalid" (not an http(s) address), "unreachable", "too_large", "no_feed" (a page that
    names none) or "bad_link" (the feed a page names is none)."""

    def __init__(
        self, reason: str, message: str, hint: str = "", *, blocked: BlockedURL | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.hint = hint
        self.blocked = blocked


@dataclass(frozen=True, slots=True)
class Added:
    """A feed stored (``new``) or found stored already; ``entries`` it had when fetched (None:
    not fetched), ``problem`` why it could not be fetched now when it was stored all the same."""

    feed: Feed
    new: bool
    entries: int | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class _Found:
    url: str
    title: str | None
    entries: int | None
    problem: str | None = None


def typed_url(raw: str) -> str:
    """The address as typed, with https:// put before a bare ``example.com/feed``."""
    raw = raw.strip().strip("<>")
    return "https://" + raw if "://" not in raw and _HOST_PATH.match(raw) else raw


def find_feed(feeds: Iterable[Feed], url: str, *, loose: bool = False) -> Feed | None:
    """The stored feed at this address; ``loose`` also sets tracking parameters aside."""
    feeds = list(feeds)
    match = find_feed_url((f.url for f in feeds), url, loose=loose)
    return next((f for f in feeds if f.url == match), None) if match else None


async def remove_feed(store: Store, raw: str, feeds: Iterable[Feed] | None = None) -> Feed | None:
    """Remove the stored feed this address names (tracking parameters set aside); None when
    there is none. Its stored articles stay."""
    typed = typed_url(raw)
    known = await store.list_feeds() if feeds is None else feeds
    feed = find_feed(known, feed_url(typed) or typed, loose=True)
    if feed is None or not await store.remove_feed(feed.url):
        return None
    return feed


async def add_feed(
    store: Store,
    fetcher: Fetcher,
    raw: str,
    *,
    max_entries: int,
    keep_unreachable: bool = False,
) -> Added:
    """Add the feed at ``raw`` (or the feed the page there names); raises NotAdded."""
    [outcome] = await add_feeds(
        store,
        fetcher,
        [(raw, None)],
        max_entries=max_entries,
        keep_unreachable=keep_unreachable,
    )
    if isinstance(outcome, NotAdded):
        raise outcome
    return outcome


async def add_feeds(
    store: Store,
    fetcher: Fetcher,
    wanted: Sequence[tuple[str, str | None]],
    *,
    max_entries: int,
    keep_unreachable: bool = False,
    concurrency: int = 1,
) -> list[Added | NotAdded]:
    """Add feeds given as (address, title or None; a title given, an OPML outline's, goes
    before the feed's own): fetched ``concurrency`` at once, stored in the order given; one
    outcome each."""
    known = await store.list_feeds()
    slots = asyncio.Semaphore(concurrency)

    async def look(raw: str) -> Feed | _Found | NotAdded:
        async with slots:
            try:
                return await _look(fetcher, raw, known, max_entries, keep_unreachable)
            except NotAdded as exc:
                return exc

    found = await asyncio.gather(*(look(raw) for raw, _ in wanted))
    outcomes: list[Added | NotAdded] = []
    for (_, title), item in zip(wanted, found, strict=True):
        if isinstance(item, Feed):
            outcomes.append(Added(item, False))
        elif isinstance(item, NotAdded):
            outcomes.append(item)
        else:
            feed, new = await store.add_feed(item.url, title or item.title)  # due at once
            outcomes.append(Added(feed, new, item.entries, item.problem))
    return outcomes


async def _look(
    fetcher: Fetcher, raw: str, known: list[Feed], max_entries: int, keep_unreachable: bool
) -> Feed | _Found:
    """The stored feed this address names, or the feed found there; raises NotAdded."""
    typed = typed_url(raw)
    if fetcher.url_guard is not None:
        try:  # what was typed, before canonicalising drops a user name or password
            await fetcher.url_guard(typed)
        except BlockedURL as exc:
            raise _blocked(exc) from None
    url = feed_url(typed)
    if url is None:
        raise NotAdded(
            "invalid", "That is not a web address: I read feeds from http:// and https:// links."
        )
    stored = find_feed(known, url)
    if stored is not None:
        return stored
    try:
        result = await _fetch(fetcher, url)
    except NotAdded as exc:
        if exc.reason != "unreachable" or not keep_unreachable:
            raise
        return _Found(url, None, None, str(exc.__cause__))
    try:
        parsed = await _parse(result, max_entries)
        return _Found(url, parsed.title, len(parsed.entries))
    except FeedError:
        pass
    links = await asyncio.to_thread(feed_links, result.body, result.url)
    if not links:
        raise NotAdded("no_feed", "That page is not a feed and names none.", OWN_ADDRESS)
    url = links[0]
    result = await _fetch(fetcher, url)
    try:
        parsed = await _parse(result, max_entries)
    except FeedError:
        raise NotAdded(
            "bad_link",
            f"That page names {url} as its feed, but that is not a feed I can read.",
            OWN_ADDRESS,
        ) from None
    return _Found(url, parsed.title, len(parsed.entries))


async def _fetch(fetcher: Fetcher, url: str) -> FetchResult:
    try:
        return await fetcher.fetch(url, accept=FEED_ACCEPT)
    except BlockedURL as exc:
        raise _blocked(exc) from None
    except TooLarge as exc:
        message = f"That address sends too much to be a feed ({exc})."
        raise NotAdded("too_large", message, OWN_ADDRESS) from None
    except FetchError as exc:
        log.info("feed fetch failed", extra={"host": host_of(url), "error": str(exc)[:300]})
        raise NotAdded(
            "unreachable",
            f"I couldn't fetch {url} ({str(exc)[:200]}). Nothing was added.",
            "Check the address, or try again in a few minutes.",
        ) from exc


async def _parse(result: FetchResult, max_entries: int) -> ParsedFeed:
    return await asyncio.to_thread(
        parse_feed, result.body, result.url, result.content_type, max_entries=max_entries
    )


def _blocked(exc: BlockedURL) -> NotAdded:
    return NotAdded("blocked", f"{exc} {exc.hint}", blocked=exc)
