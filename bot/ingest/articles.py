"""An article from a feed entry and, when it could be read, its page."""

from __future__ import annotations

import hashlib
from datetime import datetime

from bot.ingest.urls import canonicalize_url, host_of
from bot.models import Article, Entry, Extracted, Feed, TextSource


def content_hash(text: str) -> str:
    """A hash of the text that ignores white-space differences."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def build_article(
    feed: Feed, entry: Entry, page: Extracted | None, min_chars: int, now: datetime
) -> Article:
    """Combine a feed entry and its extracted page into an Article.

    The page's text wins when it has at least ``min_chars``; otherwise the feed's content or
    summary is used and the article records that its text came from the feed.
    """
    feed_text = entry.content if len(entry.content) > len(entry.summary) else entry.summary
    if page is not None and len(page.text) >= min(min_chars, max(len(feed_text), 1)):
        text, source_kind = page.text, TextSource.PAGE
    else:
        text, source_kind = feed_text, TextSource.FEED
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
