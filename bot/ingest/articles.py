"""An article from a feed entry and, when it could be read, its page."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from bot.ingest.http.logsafe import log_host
from bot.ingest.http.urls import canonicalize_url, host_of
from bot.models import Article, Entry, Extracted, Feed, TextSource

log = logging.getLogger("newsbot.poll")

DEFAULT_MAX_ARTICLE_CHARS = 100_000  # [ingest] max_article_chars
# HTML bytes parsed per character of the text cap: at the default, 2 MB, more than the largest
# page of the extraction benchmark (1.5 MB; the median is 115 kB). Extraction time grows with
# the bytes parsed (about 0.6 s per MB here), so a 10 MB page is not parsed whole.
PAGE_BYTES_PER_CHAR = 20


@dataclass(frozen=True, slots=True)
class Capped:
    """An article's text within the cap, and how long it was before (None: it was not cut)."""

    text: str
    cut_from: int | None = None


def cap_text(text: str, max_chars: int) -> Capped:
    """The first ``max_chars`` characters of ``text``, ended at a paragraph or word break.

    A news article is far shorter; a longer text is a book, a feed dump or a bug, and every
    later stage costs time in proportion to it.
    """
    if len(text) <= max_chars:
        return Capped(text)
    end = text.rfind("\n", 0, max_chars + 1)
    if end < max_chars * 0.9:  # no paragraph break near the end: a word break
        end = text.rfind(" ", 0, max_chars + 1)
    if end < max_chars * 0.5:
        end = max_chars
    return Capped(text[:end].rstrip(), cut_from=len(text))


def parse_limit(max_chars: int) -> int:
    """The bytes of an HTML page parsed for an article of at most ``max_chars`` characters."""
    return max_chars * PAGE_BYTES_PER_CHAR


def content_hash(text: str) -> str:
    """A hash of the text that ignores white-space differences."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def build_article(
    feed: Feed,
    entry: Entry,
    page: Extracted | None,
    min_chars: int,
    now: datetime,
    max_chars: int = DEFAULT_MAX_ARTICLE_CHARS,
) -> Article:
    """Combine a feed entry and its extracted page into an Article.

    The page's text wins when it has at least ``min_chars``; otherwise the feed's content or
    summary is used and the article records that its text came from the feed. Text past
    ``max_chars`` is cut (see ``cap_text``), and the cut is logged.
    """
    feed_text = entry.content if len(entry.content) > len(entry.summary) else entry.summary
    if page is not None and len(page.text) >= min(min_chars, max(len(feed_text), 1)):
        text, source_kind = page.text, TextSource.PAGE
    else:
        text, source_kind = feed_text, TextSource.FEED
    capped = cap_text(text, max_chars)
    if capped.cut_from is not None:
        log.info(
            "article text cut to the cap",
            extra={
                "feed_id": feed.id,
                "host": log_host(entry.link or feed.url),
                "chars": capped.cut_from,
                "kept": len(capped.text),
                "max_article_chars": max_chars,
            },
        )
    text = capped.text
    url = entry.link
    if page is not None and page.canonical_url and url:
        canonical = canonicalize_url(page.canonical_url, base=url)
        # A page may only rename itself within its own site.
        if canonical and host_of(canonical) == host_of(url):
            url = canonical
    source = (page.site_name if page else None) or feed.title or host_of(url or feed.url)
    return Article(
        url=url,
        title=entry.title if entry.title != "(untitled)" else (page and page.title) or entry.title,
        text=text,
        source=source,
        text_source=source_kind,
        content_hash=content_hash(text),
        feed_id=feed.id,
        author=entry.author or (page.author if page else None),
        published=entry.published or (page.published if page else None),
        language=page.language if page else None,
        fetched_at=now,
    )
