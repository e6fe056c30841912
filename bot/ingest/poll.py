"""One straight line per feed: fetch → parse → new entries → fetch pages → extract → store."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.config import IngestSettings
from bot.ingest.extract import extract
from bot.ingest.feeds import FeedError, parse_feed
from bot.ingest.fetch import PAGE_ACCEPT, Fetcher, FetchError, FetchResult
from bot.ingest.guard import BlockedURL
from bot.ingest.urls import canonicalize_url, host_of
from bot.models import Article, Entry, Extracted, Feed, TextSource
from bot.store import Store, utcnow

log = logging.getLogger("newsbot.poll")
# Extraction is CPU-bound and holds the GIL: one worker thread keeps the event loop free
# without several extractions thrashing over the lock.
_EXTRACTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")

Progress = Callable[[Feed, "FeedReport"], None]
JITTER = 0.1  # next checks move by up to this share of the wait, so feeds do not bunch up


@dataclass(slots=True)
class FeedReport:
    """What one poll of one feed did."""

    url: str
    new: int = 0
    known: int = 0
    from_feed_text: int = 0  # articles whose page failed or was too thin
    left: int = 0  # new entries not read because time ran out: the next poll reads them
    not_modified: bool = False
    out_of_time: str | None = None  # "feed" or "host": whose time budget ran out
    deferred: bool = False  # not polled: its host ran out of time, the feed is still due
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

    @property
    def out_of_time(self) -> list[FeedReport]:
        """Feeds cut short or put off because a time budget ran out."""
        return [f for f in self.feeds if f.out_of_time]


def next_check_after_success(
    now: datetime,
    settings: IngestSettings,
    *,
    ttl_minutes: int | None,
    max_age: int | None,
    rng: random.Random | None = None,
) -> datetime:
    """The next poll: our interval, or later when the feed's TTL or Cache-Control asks so.

    With ``rng`` the wait moves by up to ±10%, never below what the feed asked for.
    """
    cap = timedelta(minutes=settings.max_backoff_minutes)
    asked = timedelta(0)
    if ttl_minutes:
        asked = max(asked, min(timedelta(minutes=ttl_minutes), cap))
    if max_age:
        asked = max(asked, min(timedelta(seconds=max_age), cap))
    wait = max(timedelta(minutes=settings.poll_interval_minutes), asked)
    return now + jittered(wait, floor=asked, ceiling=max(cap, wait), rng=rng)


def next_check_after_error(
    now: datetime,
    settings: IngestSettings,
    *,
    errors: int,
    retry_after: float | None,
    rng: random.Random | None = None,
) -> datetime:
    """Capped exponential backoff, never sooner than the server's Retry-After.

    With ``rng`` the wait moves by up to ±10%, never below the Retry-After, never above the cap.
    """
    cap = timedelta(minutes=settings.max_backoff_minutes)
    minutes = min(
        settings.poll_interval_minutes * 2 ** max(errors - 1, 0), settings.max_backoff_minutes
    )
    asked = min(timedelta(seconds=retry_after), cap) if retry_after else timedelta(0)
    wait = max(timedelta(minutes=minutes), asked)
    return now + jittered(wait, floor=asked, ceiling=max(cap, wait), rng=rng)


def jittered(
    wait: timedelta, *, floor: timedelta, ceiling: timedelta, rng: random.Random | None
) -> timedelta:
    """A random wait within ±JITTER of ``wait`` and within [floor, ceiling].

    A floor inside the range raises its lower end, so waits do not pile up on the floor.
    """
    if rng is None:
        return wait
    low = max(wait * (1.0 - JITTER), floor)
    high = max(min(wait * (1.0 + JITTER), ceiling), low)
    return low + (high - low) * rng.random()


def content_hash(text: str) -> str:
    """A hash of the text that ignores white-space differences."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


class OutOfTime(Exception):
    """A time budget ran out: the feed's ("feed") or its host's in this round ("host")."""

    def __init__(self, budget: str, host: str) -> None:
        super().__init__(f"{budget} time budget spent")
        self.budget = budget
        self.host = host


class _Round:
    """The hosts' time budgets in one polling round, each counted from its first request."""

    def __init__(self, host_budget: float) -> None:
        self.host_budget = host_budget
        self.started: dict[str, float] = {}  # loop time of each host's first request
        self.put_off: dict[str, int] = {}  # feeds not started because their host's time ran out

    def host_deadline(self, host: str) -> float:
        """When the host's time runs out; its clock starts now if this is its first request."""
        return self.started.setdefault(host, _loop_time()) + self.host_budget

    def host_spent(self, host: str) -> bool:
        """Whether the host has used up its time in this round."""
        started = self.started.get(host)
        return started is not None and _loop_time() >= started + self.host_budget


@dataclass(slots=True)
class _Budget:
    """What one feed's poll may still spend: its own time, and its hosts' in the round."""

    started: float
    feed_deadline: float
    round: _Round

    async def fetch(self, fetcher: Fetcher, url: str, **options: Any) -> FetchResult:
        """The fetch, or OutOfTime when the feed's or the host's time runs out first."""
        host = host_of(url)
        host_deadline = self.round.host_deadline(host)
        budget = "feed" if self.feed_deadline <= host_deadline else "host"
        try:
            async with asyncio.timeout_at(min(self.feed_deadline, host_deadline)) as limit:
                return await fetcher.fetch(url, **options)
        except TimeoutError:
            if limit.expired():
                raise OutOfTime(budget, host) from None
            raise


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class Poller:
    """Polls feeds into the store.

    Time is capped at three levels: each request by the fetcher's deadline, each feed's poll
    (its document and article pages) by ``feed_time_budget_seconds``, and each host's share of
    a round, from its first request, by ``host_time_budget_seconds``. Entries whose pages were
    not read in time are not marked seen, so the feed's next poll reads them.

    With a guarded fetcher (see :func:`bot.app.poll_fetcher`), a feed the SSRF guard refuses is
    a failed poll whose error says so, and an entry whose link it refuses is stored with the
    feed's own text, like an entry whose page cannot be fetched.
    """

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        settings: IngestSettings,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.Random()

    async def poll_due(self, progress: Progress | None = None) -> PollReport:
        """Poll every feed whose next check has come, a few at a time.

        A feed whose host ran out of time in this round is left due for the next round.
        """
        due = await self.store.due_feeds(self.clock())
        report = PollReport()
        slots = asyncio.Semaphore(self.settings.concurrency)
        round_ = _Round(self.settings.host_time_budget_seconds)

        async def one(feed: Feed) -> None:
            async with slots:
                host = host_of(feed.url)
                if round_.host_spent(host):
                    result = FeedReport(feed.url, out_of_time="host", deferred=True)
                    round_.put_off[host] = round_.put_off.get(host, 0) + 1
                else:
                    result = await self._poll_feed(feed, round_)
            report.feeds.append(result)
            if progress:
                progress(feed, result)

        await asyncio.gather(*(one(f) for f in due))
        for host, count in round_.put_off.items():
            log.warning(
                "host out of time: its other feeds wait for the next round",
                extra={
                    "host": host,
                    "seconds": self.settings.host_time_budget_seconds,
                    "feeds_put_off": count,
                },
            )
        return report

    async def poll_feed(self, feed: Feed) -> FeedReport:
        """Poll one feed; any failure is recorded on the feed and never raised."""
        return await self._poll_feed(feed, _Round(self.settings.host_time_budget_seconds))

    async def _poll_feed(self, feed: Feed, round_: _Round) -> FeedReport:
        report = FeedReport(feed.url)
        now = _loop_time()
        budget = _Budget(now, now + self.settings.feed_time_budget_seconds, round_)
        try:
            await self._poll(feed, report, budget)
        except OutOfTime as exc:  # before the feed document arrived
            report.out_of_time = exc.budget
            if exc.budget == "feed":  # the feed itself is too slow: an error, with backoff
                seconds = self.settings.feed_time_budget_seconds
                error = f"timed out: the feed did not arrive within its {seconds:g}s time budget"
                await self._failed(feed, report, error, None)
            else:  # its host ran out of time: the feed stays due for the next round
                report.deferred = True
                self._log_out_of_time(feed, report, exc, budget)
        except BlockedURL as exc:  # the feed, or a redirect from it, points somewhere refused
            await self._failed(feed, report, exc.note, None, refused=exc)
        except (FetchError, FeedError) as exc:
            await self._failed(feed, report, str(exc), getattr(exc, "retry_after", None))
        except Exception as exc:  # a bug must not stop the other feeds
            log.exception("feed poll crashed", extra={"feed": feed.url})
            await self._failed(feed, report, f"internal error: {type(exc).__name__}: {exc}", None)
        return report

    async def _failed(
        self,
        feed: Feed,
        report: FeedReport,
        error: str,
        retry_after: float | None,
        refused: BlockedURL | None = None,
    ) -> None:
        now = self.clock()
        report.error = error
        next_check = next_check_after_error(
            now, self.settings, errors=feed.error_count + 1, retry_after=retry_after, rng=self.rng
        )
        assert feed.id is not None
        await self.store.feed_failed(feed.id, error, now=now, next_check=next_check)
        what = _refusal(feed, refused) if refused else {"feed": feed.url, "error": error}
        log.warning(
            "feed refused by the SSRF guard" if refused else "feed failed",
            extra={**what, "errors": feed.error_count + 1, "next_check": next_check.isoformat()},
        )

    async def _poll(self, feed: Feed, report: FeedReport, budget: _Budget) -> None:
        assert feed.id is not None
        result = await budget.fetch(
            self.fetcher, feed.url, etag=feed.etag, last_modified=feed.last_modified
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
            seen = await self.store.seen_entry_keys(feed.id, (e.key for e in parsed.entries))
            fresh = [e for e in parsed.entries if e.key not in seen]
            report.known = len(parsed.entries) - len(fresh)
            outcomes = await asyncio.gather(
                *(self._build(feed, e, budget) for e in fresh), return_exceptions=True
            )
            built: list[tuple[Article, str]] = []
            cut: OutOfTime | None = None
            for entry, outcome in zip(fresh, outcomes, strict=True):
                if isinstance(outcome, OutOfTime):
                    cut = outcome  # not stored, so not seen: the next poll reads the entry
                elif isinstance(outcome, BaseException):
                    raise outcome
                else:
                    built.append((outcome, entry.key))
            report.from_feed_text = sum(a.text_source is TextSource.FEED for a, _ in built)
            report.stored = await self.store.store_articles(built)
            report.new = len(report.stored)
            report.left = len(fresh) - len(built)
            if cut is None:
                feed.etag, feed.last_modified = result.etag, result.last_modified
            else:
                # The old validators stay: a 304 next time would hide the entries left unread.
                report.out_of_time = cut.budget
                self._log_out_of_time(feed, report, cut, budget)
        now = self.clock()
        next_check = next_check_after_success(
            now, self.settings, ttl_minutes=ttl, max_age=result.max_age, rng=self.rng
        )
        await self.store.feed_succeeded(feed, now=now, next_check=next_check)
        log.info(
            "feed polled",
            extra={
                "feed": feed.url,
                "new": report.new,
                "known": report.known,
                "left": report.left,
                "not_modified": report.not_modified,
            },
        )

    async def _build(self, feed: Feed, entry: Entry, budget: _Budget) -> Article:
        page = await self._page(feed, entry, budget) if entry.link else None
        return build_article(feed, entry, page, self.settings.min_text_chars, self.clock())

    async def _page(self, feed: Feed, entry: Entry, budget: _Budget) -> Extracted | None:
        assert entry.link is not None
        try:
            result = await budget.fetch(self.fetcher, entry.link, accept=PAGE_ACCEPT)
        except BlockedURL as exc:
            # Stored from the feed's text and so marked seen: not fetched again next poll.
            log.warning(
                "article link refused by the SSRF guard, using the feed's text",
                extra=_refusal(feed, exc),
            )
            return None
        except FetchError as exc:
            log.info(
                "article page failed, using the feed's text",
                extra={"url": entry.link, "error": str(exc)},
            )
            return None
        return await asyncio.get_running_loop().run_in_executor(
            _EXTRACTOR, extract, result.body, result.url
        )

    def _log_out_of_time(
        self, feed: Feed, report: FeedReport, cut: OutOfTime, budget: _Budget
    ) -> None:
        started = budget.started
        if cut.budget == "host":
            started = budget.round.started.get(cut.host, started)
        log.warning(
            "feed poll out of time: what is left waits for the next poll",
            extra={
                "feed": feed.url,
                "host": cut.host,
                "budget": cut.budget,
                "seconds": round(_loop_time() - started, 1),
                "stored": report.new,
                "left": report.left,
                "deferred": report.deferred,
            },
        )


def _refusal(feed: Feed, refused: BlockedURL) -> dict[str, Any]:
    # Log fields of a refusal: the feed's id and the refused host, never a path or a query.
    return {
        "feed_id": feed.id,
        "host": refused.host,
        "address": refused.address,
        "reason": refused.reason,
    }


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
