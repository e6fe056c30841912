"""A feed's new entries made articles: each entry's page fetched and extracted, within budget."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot import cpu
from bot.ingest.articles import DEFAULT_MAX_ARTICLE_CHARS, build_article, parse_limit
from bot.ingest.extract import extract
from bot.ingest.http.budget import Budget, OutOfTime
from bot.ingest.http.fetch import PAGE_ACCEPT, Fetcher, FetchError
from bot.ingest.http.guard import BlockedURL
from bot.ingest.http.logsafe import log_host, refusal_fields, scrub
from bot.models import Article, Entry, Extracted, Feed

log = logging.getLogger("newsbot.poll")

Built = list[tuple[Article, str]]  # (article, its entry's key)


class EntryReader:
    """Builds the articles of a feed's new entries, reading their pages with the fetcher.

    A page that fails, or whose link the SSRF guard refuses, or whose extraction runs past the
    CPU pool's time limit, leaves the article with the feed's own text. Pages are extracted in
    the process's CPU pool (:mod:`bot.cpu`), leaving one of its workers free for chat commands
    when it has two or more.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        min_text_chars: int,
        clock: Callable[[], datetime],
        max_article_chars: int = DEFAULT_MAX_ARTICLE_CHARS,
        pool: cpu.CpuPool | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.min_text_chars = min_text_chars
        self.clock = clock
        self.max_article_chars = max_article_chars
        self._pool = pool
        self._extracting: asyncio.Semaphore | None = None

    async def read(
        self, feed: Feed, entries: list[Entry], budget: Budget
    ) -> tuple[Built, OutOfTime | None]:
        """The articles built, and the OutOfTime that cut the rest short (None if nothing did).

        Entries cut short are left out, so not stored and not seen: the next poll reads them.
        """
        outcomes = await asyncio.gather(
            *(self._build(feed, e, budget) for e in entries), return_exceptions=True
        )
        built: Built = []
        cut: OutOfTime | None = None
        for entry, outcome in zip(entries, outcomes, strict=True):
            if isinstance(outcome, OutOfTime):
                cut = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                built.append((outcome, entry.key))
        return built, cut

    async def _build(self, feed: Feed, entry: Entry, budget: Budget) -> Article:
        page = await self._page(feed, entry, budget) if entry.link else None
        return build_article(
            feed, entry, page, self.min_text_chars, self.clock(), self.max_article_chars
        )

    async def _page(self, feed: Feed, entry: Entry, budget: Budget) -> Extracted | None:
        assert entry.link is not None
        try:
            result = await budget.fetch(self.fetcher, entry.link, accept=PAGE_ACCEPT)
        except BlockedURL as exc:
            # Stored from the feed's text and so marked seen: not fetched again next poll.
            log.warning(
                "article link refused by the SSRF guard, using the feed's text",
                extra=refusal_fields(feed, exc),
            )
            return None
        except FetchError as exc:
            log.info(
                "article page failed, using the feed's text",
                extra={"feed_id": feed.id, "host": log_host(entry.link), "error": scrub(str(exc))},
            )
            return None
        return await self._extract(feed, result.body, result.url)

    def cpu_slots(self) -> asyncio.Semaphore:
        """The CPU pool's workers polling may use at once: all but one when there are two or
        more (the poller's other CPU work takes its turn here too)."""
        if self._extracting is None:
            pool = self._pool or cpu.pool()
            self._extracting = asyncio.Semaphore(max(1, pool.workers - 1))
        return self._extracting

    async def _extract(self, feed: Feed, body: bytes, url: str) -> Extracted | None:
        pool = self._pool or cpu.pool()
        limit = parse_limit(self.max_article_chars)
        if len(body) > limit:
            log.info(
                "article page parsed only up to the limit",
                extra={
                    "feed_id": feed.id,
                    "host": log_host(url),
                    "bytes": len(body),
                    "parsed": limit,
                },
            )
            body = body[:limit]
        async with self.cpu_slots():
            try:
                return await pool.run(extract, body, url)
            except cpu.WorkerFailed as exc:
                log.warning(
                    "article extraction failed, using the feed's text",
                    extra={"feed_id": feed.id, "host": log_host(url), "error": str(exc)},
                )
                return None
