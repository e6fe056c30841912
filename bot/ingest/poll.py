"""One straight line per feed: fetch → parse → new entries → fetch pages → extract → store.

The pieces live beside it: time budgets in :mod:`bot.ingest.http.budget`, reading entries' pages in
:mod:`bot.ingest.entries`, next checks in :mod:`bot.ingest.http.backoff`, the reports in
:mod:`bot.ingest.reports`. Their public names are importable from here too.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot import metrics
from bot.config_sections import IngestSettings
from bot.ingest.articles import build_article, content_hash
from bot.ingest.entries import EntryReader
from bot.ingest.feeds import FeedError, parse_feed
from bot.ingest.http.backoff import jittered, next_check_after_error, next_check_after_success
from bot.ingest.http.budget import Budget, OutOfTime, Round, loop_time
from bot.ingest.http.fetch import Fetcher, FetchError
from bot.ingest.http.guard import BlockedURL
from bot.ingest.http.logsafe import crash_fields, feed_fields, refusal_fields, scrub
from bot.ingest.http.urls import host_of
from bot.ingest.reports import FeedReport, PollReport, Progress
from bot.models import Article, Feed, TextSource
from bot.store import Store, utcnow

__all__ = [
    "FeedReport",
    "OutOfTime",
    "PollReport",
    "Poller",
    "Progress",
    "build_article",
    "content_hash",
    "jittered",
    "next_check_after_error",
    "next_check_after_success",
]

log = logging.getLogger("newsbot.poll")


class Poller:
    """Polls feeds into the store.

    Time is capped at three levels: each request by the fetcher's deadline, each feed's poll
    (its document and article pages) by ``feed_time_budget_seconds``, and each host's share of
    a round, from its first request, by ``host_time_budget_seconds``. Entries whose pages were
    not read in time are not marked seen, so the feed's next poll reads them.

    With a guarded fetcher (see :func:`bot.app.poll_fetcher`), a feed the SSRF guard refuses is
    a failed poll whose error says so, and an entry whose link it refuses is stored with the
    feed's own text, like an entry whose page cannot be fetched.

    Log lines name a feed by ``feed_id`` and ``host``, never by its URL (see
    :mod:`bot.ingest.http.logsafe`).
    """

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        settings: IngestSettings,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        analyse: Callable[[list[Article]], Awaitable[list[Article]]] | None = None,
    ) -> None:
        """``analyse``: a step that adds each built article's analysis (`bot.models.Analysis`)
        before it is stored, e.g. `bot.nlp.analysis.Analyser`."""
        self.store = store
        self.analyse = analyse
        self.fetcher = fetcher
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.Random()
        self.entries = EntryReader(
            fetcher, settings.min_text_chars, clock, settings.max_article_chars
        )

    async def poll_due(self, progress: Progress | None = None) -> PollReport:
        """Poll every feed whose next check has come, a few at a time.

        A feed whose host ran out of time in this round is left due for the next round.
        """
        due = await self.store.due_feeds(self.clock())
        report = PollReport()
        slots = asyncio.Semaphore(self.settings.concurrency)
        round_ = Round(self.settings.host_time_budget_seconds)

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
        """Poll one feed (a worker's `poll` job); any failure is recorded on the feed and never
        raised."""
        return await self._poll_feed(feed, Round(self.settings.host_time_budget_seconds))

    async def _poll_feed(self, feed: Feed, round_: Round) -> FeedReport:
        report = FeedReport(feed.url)
        now = loop_time()
        budget = Budget(now, now + self.settings.feed_time_budget_seconds, round_)
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
            log.error("feed poll crashed", extra={**feed_fields(feed), **crash_fields(exc)})
            await self._failed(feed, report, f"internal error: {type(exc).__name__}: {exc}", None)
        _count(report)
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
        if refused:
            what = refusal_fields(feed, refused)
        else:
            what = {**feed_fields(feed), "error": scrub(error)}
        log.warning(
            "feed refused by the SSRF guard" if refused else "feed failed",
            extra={**what, "errors": feed.error_count + 1, "next_check": next_check.isoformat()},
        )

    async def _poll(self, feed: Feed, report: FeedReport, budget: Budget) -> None:
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
                    extra={**feed_fields(feed), "warning": scrub(parsed.warning)},
                )
            ttl = parsed.ttl_minutes
            feed.title = parsed.title or feed.title
            feed.site_url = parsed.site_url or feed.site_url
            seen = await self.store.seen_entry_keys(feed.id, (e.key for e in parsed.entries))
            fresh = [e for e in parsed.entries if e.key not in seen]
            report.known = len(parsed.entries) - len(fresh)
            built, cut = await self.entries.read(feed, fresh, budget)
            if self.analyse is not None and built:
                async with self.entries.cpu_slots():
                    analysed = await self.analyse([article for article, _ in built])
                built = [(a, key) for a, (_, key) in zip(analysed, built, strict=True)]
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
                **feed_fields(feed),
                "new": report.new,
                "known": report.known,
                "left": report.left,
                "not_modified": report.not_modified,
            },
        )

    def _log_out_of_time(
        self, feed: Feed, report: FeedReport, cut: OutOfTime, budget: Budget
    ) -> None:
        log.warning(
            "feed poll out of time: what is left waits for the next poll",
            extra={
                "feed_id": feed.id,
                "host": cut.host,  # whose request ran out of time: the feed's or a page's
                "budget": cut.budget,
                "seconds": budget.seconds_spent(cut),
                "stored": report.new,
                "left": report.left,
                "deferred": report.deferred,
            },
        )


def _count(report: FeedReport) -> None:
    """The poll's outcome in the process's metrics (bot/metrics.py)."""
    if report.deferred:
        outcome = "deferred"
    elif report.error:
        outcome = "failed"
    else:
        outcome = "not_modified" if report.not_modified else "ok"
    metrics.POLLS.labels(outcome).inc()
    metrics.ARTICLES_STORED.inc(report.new)
