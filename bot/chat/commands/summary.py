"""/summary URL (fetched through the SSRF guard) and /summary STORY (a story of the latest
digest by its number, or ``#ID`` for a story's own id)."""

from __future__ import annotations

import functools
import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot import cpu
from bot.chat.commands.common import chat_zone
from bot.chat.commands.story import find_story, is_story_ref
from bot.digest.views import sentences_and_quotes, source_links, when
from bot.ingest.documents import InputError, document_from_bytes, story_of
from bot.ingest.http.fetch import PAGE_ACCEPT, FetchError
from bot.ingest.http.guard import BlockedURL
from bot.ingest.http.urls import host_of
from bot.models import Feed, Story, Summary
from bot.reply import Button, Buttons, Heading, QuoteBlock, Reply, para
from bot.store import utcnow

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

log = logging.getLogger("newsbot.chat")

USAGE = (
    "Send a link or a story's number in your latest digest, for example: /summary 2 or "
    "/summary https://example.com/news/1"
)
_HOST_PATH = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?(/\S*)?$")  # example.com/news without scheme
_READABLE = {"", "text/html", "application/xhtml+xml", "text/plain"}


def too_long(what: str) -> Reply:
    """The answer when summarising ran past the CPU pool's time limit."""
    return Reply.message(
        f"That {what} is too long to summarise here.",
        "Try the link of a single, shorter article.",
        ok=False,
    )


async def summary(core: Core, args: str, context: ChatContext) -> Reply:
    """The longer summary of a stored story, or the summary of the page a link points to."""
    arg = args.strip()
    if not arg:
        return Reply.message(USAGE, ok=False)
    if is_story_ref(arg):
        return await _story(core, arg, context)
    return await _page(core, arg, context)


async def _story(core: Core, arg: str, context: ChatContext) -> Reply:
    story = await find_story(core, arg, context, "summary")
    if isinstance(story, Reply):
        return story
    try:
        long = await core.summarizer.summarize(story, sentences=core.long_sentences)
    except cpu.TooSlow:
        log.warning("story summary too slow", extra={"story": story.id})
        return too_long("story")
    return long_summary_reply(story, long, await chat_zone(core, context), utcnow())


async def _page(core: Core, arg: str, context: ChatContext) -> Reply:
    url = arg if "://" in arg or not _HOST_PATH.match(arg) else "https://" + arg
    try:
        async with core.fetcher_factory() as fetcher:
            result = await fetcher.fetch(url, accept=PAGE_ACCEPT)
    except BlockedURL as exc:
        return Reply.message(f"{exc} {exc.hint}", USAGE, ok=False)
    except FetchError as exc:
        log.info("summary fetch failed", extra={"host": host_of(url), "error": str(exc)[:300]})
        return Reply.message(
            f"I couldn't fetch that page ({str(exc)[:200]}).",
            "Check the link, or try again in a few minutes.",
            ok=False,
        )
    if result.content_type not in _READABLE:
        return Reply.message(
            f"That link is a {result.content_type} file, not a web page I can read.",
            USAGE,
            ok=False,
        )
    host = host_of(result.url)
    read = functools.partial(
        document_from_bytes,
        source=host,
        url=result.url,
        max_chars=core.settings.ingest.max_article_chars,
    )
    try:
        doc = await cpu.pool().run(read, result.body)
        if doc.source == host:  # the page names no site: the title of our feed on that site
            doc.source = feed_title(await core.store.list_feeds(), result.url) or host
        story = story_of(doc)
        long = await core.summarizer.summarize(story, sentences=core.long_sentences)
    except InputError:
        return Reply.message(
            "I found no article text on that page.", "Try the link of the article itself.", ok=False
        )
    except cpu.TooSlow:
        log.warning("page summary too slow", extra={"host": host, "bytes": len(result.body)})
        return too_long("page")
    except cpu.WorkerFailed:
        return Reply.message(
            "Sorry, reading that page failed on my side.", "Try another link.", ok=False
        )
    zone = await chat_zone(core, context)
    return long_summary_reply(story, long, zone, utcnow(), note=doc.cut_note())


def feed_title(feeds: list[Feed], url: str) -> str | None:
    """The title of the stored feed a page belongs to: of the feeds on the page's host, the one
    whose site (or feed) address shares the longest path with the page; None when there is
    none, or when feeds of different titles tie."""
    host = host_of(url)
    path = urlsplit(url).path
    best: dict[int, set[str]] = {}
    for feed in feeds:
        for address in (feed.site_url, feed.url):
            if not feed.title or not address or host_of(address) != host:
                continue
            home = urlsplit(address).path.rsplit("/", 1)[0] + "/"
            shared = len(home) if path.startswith(home) else 0
            best.setdefault(shared, set()).add(feed.title)
    if not best:
        return None
    titles = best[max(best)]
    return titles.pop() if len(titles) == 1 else None


def long_summary_reply(
    story: Story, summary: Summary, zone: ZoneInfo, now: datetime, note: str | None = None
) -> Reply:
    """Title, ``note`` (e.g. that only the beginning of a long page was read), every summary
    sentence, the key quotes, sources with the story's time in ``zone`` (the chat's), and
    company buttons."""
    reply = Reply([Heading(story.lead.title)])
    if note:
        reply.add(para(note))
    sentences, quotes = sentences_and_quotes(summary, quotes=max(len(summary.quotes), 2))
    reply.add(*(para(sentence) for sentence in sentences))
    reply.add(*(QuoteBlock(q.text, q.speaker) for q in quotes))
    stamp = when(story, zone, now)
    reply.add(para("Sources: ", *source_links(story), f" · {stamp}" if stamp else ""))
    if summary.companies:
        reply.add(
            para("Companies in this story:"),
            Buttons(tuple(Button(c, f"company:{c}") for c in summary.companies[:5])),
        )
    return reply
