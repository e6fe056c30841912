"""One straight line per feed: fetch → parse → new entries → fetch pages → extract → store."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import IngestSettings
from bot.ingest.extract import extract
from bot.ingest.feeds import FeedError, parse_feed
from bot.ingest.fetch import PAGE_ACCEPT, Fetcher, FetchError
from bot.ingest.urls import canonicalize_url, host_of
from bot.models import Article, Entry, Extracted, Feed, TextSource
from bot.store import Store, utcnow

log = logging.getLogger("newsbot.poll")
# Extraction is CPU-bound and holds the GIL: one worker thread keeps the event loop free
# without several extractions thrashing over the lock.
_EXTRACTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")

Progress = Callable[[Feed, "FeedReport"], None]


@dataclass(slots=True)
class FeedReport:
    """What one poll of one feed did."""

    url: str
    new: int = 0
    known: int = 0
    from_feed_text: int = 0  # articles whose page failed or was too thin
    not_modified: bool = False
    error: str | None = None
    stored: list[Article] = field(default_factory=list, repr=False)  # the new ones, with ids


@dataclass(slots=True)
class PollReport:
    """What one round of polling did."""

    feeds: list[FeedReport] = field(default_factory=list)

    @property
    def new(self) -> int:
        """New articles stored."""
        return sum(f.new for f in self.feeds)

    @property
    def stored(self) -> list[Article]:
        """The new articles, as stored (with ids)."""
        return [a for f in self.feeds for a in f.stored]

    @property
    def failed(self) -> list[FeedReport]:
        """Feeds whose poll failed."""
        return [f for f in self.feeds if f.error]


def next_check_after_success(
    now: datetime, settings: IngestSettings, *, ttl_minutes: int | None, max_age: int | None
) -> datetime:
    """The next poll: our interval, or later when the feed's TTL or Cache-Control asks so."""
    wait = timedelta(minutes=settings.poll_interval_minutes)
    if ttl_minutes:
        wait = max(wait, timedelta(minutes=min(ttl_minutes, settings.max_backoff_minutes)))
    if max_age:
        wait = max(wait, timedelta(seconds=min(max_age, settings.max_backoff_minutes * 60)))
    return now + wait


def next_check_after_error(
    now: datetime, settings: IngestSettings, *, errors: int, retry_after: float | None
) -> datetime:
    """Capped exponential backoff, never sooner than the server's Retry-After."""
    minutes = min(
        settings.poll_interval_minutes * 2 ** max(errors - 1, 0), settings.max_backoff_minutes
    )
    wait = timedelta(minutes=minutes)
    if retry_after:
        wait = max(wait, timedelta(seconds=min(retry_after, settings.max_backoff_minutes * 60)))
    return now + wait


def content_hash(text: str) -> str:
    """A hash of the text that ignores white-space differences."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


class Poller:
    """Polls feeds into the store."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        settings: IngestSettings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.settings = settings
        self.clock = clock

    async def poll_due(self, progress: Progress | None = None) -> PollReport:
        """Poll every feed whose next check has come, a few at a time."""
        due = await self.store.due_feeds(self.clock())
        report = PollReport()
        slots = asyncio.Semaphore(self.settings.concurrency)

        async def one(feed: Feed) -> None:
            async with slots:
                result = await self.poll_feed(feed)
            report.feeds.append(result)
            if progress:
                progress(feed, result)

        await asyncio.gather(*(one(f) for f in due))
        return report

    async def poll_feed(self, feed: Feed) -> FeedReport:
        """Poll one feed; any failure is recorded on the feed and never raised."""
        report = FeedReport(feed.url)
        try:
            await self._poll(feed, report)
        except (FetchError, FeedError) as exc:
            await self._failed(feed, report, str(exc), getattr(exc, "retry_after", None))
        except Exception as exc:  # a bug must not stop the other feeds
            log.exception("feed poll crashed", extra={"feed": feed.url})
            await self._failed(feed, report, f"internal error: {type(exc).__name__}: {exc}", None)
        return report

    async def _failed(
        self, feed: Feed, report: FeedReport, error: str, retry_after: float | None
    ) -> None:
        now = self.clock()
        report.error = error
        next_check = next_check_after_error(
            now, self.settings, errors=feed.error_count + 1, retry_after=retry_after
        )
        assert feed.id is not None
        await self.store.feed_failed(feed.id, error, now=now, next_check=next_check)
        log.warning(
            "feed failed",
            extra={
                "feed": feed.url,
                "error": error,
                "errors": feed.error_count + 1,
                "next_check": next_check.isoformat(),
            },
        )

    async def _poll(self, feed: Feed, report: FeedReport) -> None:
        assert feed.id is not None
        result = await self.fetcher.fetch(
            feed.url, etag=feed.etag, last_modified=feed.last_modified
        )
        ttl = None
        if result.not_modified:
            report.not_modified = True
        else:
            parsed = parse_feed(
                result.body,
                result.url,
                result.content_type,
                max_entries=self.settings.max_entries_per_feed,
            )
            if parsed.warning:
                log.info(
                    "feed parsed with a warning",
                    extra={"feed": feed.url, "warning": parsed.warning},
                )
            ttl = parsed.ttl_minutes
            feed.title = parsed.title or feed.title
            feed.site_url = parsed.site_url or feed.site_url
            feed.etag, feed.last_modified = result.etag, result.last_modified
            seen = await self.store.seen_entry_keys(feed.id, (e.key for e in parsed.entries))
            fresh = [e for e in parsed.entries if e.key not in seen]
            report.known = len(parsed.entries) - len(fresh)
            built = await asyncio.gather(*(self._build(feed, e) for e in fresh))
            report.from_feed_text = sum(a.text_source is TextSource.FEED for a in built)
            report.stored = await self.store.store_articles(
                [(a, e.key) for a, e in zip(built, fresh, strict=True)]
            )
            report.new = len(report.stored)
        now = self.clock()
        next_check = next_check_after_success(
            now, self.settings, ttl_minutes=ttl, max_age=result.max_age
        )
        await self.store.feed_succeeded(feed, now=now, next_check=next_check)
        log.info(
            "feed polled",
            extra={
                "feed": feed.url,
                "new": report.new,
                "known": report.known,
                "not_modified": report.not_modified,
            },
        )

    async def _build(self, feed: Feed, entry: Entry) -> Article:
        page = await self._page(entry) if entry.link else None
        return build_article(feed, entry, page, self.settings.min_text_chars, self.clock())

    async def _page(self, entry: Entry) -> Extracted | None:
        assert entry.link is not None
        try:
            result = await self.fetcher.fetch(entry.link, accept=PAGE_ACCEPT)
        except FetchError as exc:
            log.info(
                "article page failed, using the feed's text",
                extra={"url": entry.link, "error": str(exc)},
            )
            return None
        return await asyncio.get_running_loop().run_in_executor(
            _EXTRACTOR, extract, result.body, result.url
        )


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
