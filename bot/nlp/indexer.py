"""Indexing new articles: the companies each mentions, and the story each joins.

The CPU work (finding companies, clustering, the rebuild) runs in a process of its own that
keeps the clusterer (`bot.nlp.stories.plan`); the event loop only reads and writes the store.
In a thread it would share the interpreter's lock with the loop: on a busy machine a thread
clustering in pure Python held the loop up to 150 ms at a time, a process not at all.

After a restart, `rebuild` puts the window's stored articles back into their stored stories (no
scoring, in time linear in the window), so a late copy of an old report joins the story it was
in; the window's articles that were never indexed (stored before an upgrade, or while indexing
failed) are indexed then. The store is read slice by slice while the process restores the
slice before.

`StoryIndexer` calls must not overlap (`LiveIndex` serialises them): the plan is not shared
otherwise. `LiveIndex` is the one the service keeps per store (bot.app's wiring).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import cpu
from bot.ingest.http.logsafe import crash_fields
from bot.models import Article
from bot.nlp.companies import Gazetteer
from bot.nlp.stories import plan
from bot.nlp.stories.cluster import StoryClusterer
from bot.store.news import NewsIndex

log = logging.getLogger("newsbot.indexer")
SLICE = timedelta(minutes=30)  # the rebuild reads the window this much at a time


class StoryIndexer:
    """Company mentions and story ids for articles as they are stored."""

    def __init__(
        self, gazetteer: Gazetteer | None, clusterer: StoryClusterer | None = None
    ) -> None:
        """`clusterer` goes to the indexer's process (so it must pickle), started on first use."""
        clusterer = clusterer if clusterer is not None else StoryClusterer()
        self._start = (gazetteer, clusterer)
        self._process: ProcessPoolExecutor | None = None
        self._opened: dict[int, int] = {}  # stories opened by the last call, for the process

    @classmethod
    async def rebuild(
        cls,
        index: NewsIndex,
        gazetteer: Gazetteer | None,
        window_hours: float = 72,
        *,
        now: datetime | None = None,
        **options: object,
    ) -> StoryIndexer:
        """An indexer whose clusterer holds the stored articles of the last `window_hours`.

        `options` go to the StoryClusterer.
        """
        window = timedelta(hours=window_hours)
        indexer = cls(gazetteer, StoryClusterer(window=window, **options))  # type: ignore[arg-type]
        try:
            await indexer._restore(index, now or datetime.now(UTC), window)
        except BaseException:
            indexer.close()
            raise
        return indexer

    async def _restore(self, index: NewsIndex, now: datetime, window: timedelta) -> None:
        since, pending, restored = now - window, [], 0
        stories: set[int] = set()
        running: asyncio.Task[Any] | None = None
        while True:  # slice by slice: the next is read while the process restores this one
            until = since + SLICE
            part = await index.window_articles(since, None if until > now else until)
            rows = [
                (a.id, a.title, a.text, a.published, a.source, a.story_id, a.features)
                for a in part
                if a.story_id is not None
            ]
            pending += [a.id for a in part if a.story_id is None]
            stories.update(a.story_id for a in part if a.story_id is not None)
            if running is not None:
                restored += await running
            running = asyncio.ensure_future(self._call("restore", rows))
            if until > now:
                break
            since = until
        restored += await running
        await self._call("started", await index.story_starts(sorted(stories)))
        await self._call("restored")
        log.info("story index rebuilt", extra={"articles": restored, "unindexed": len(pending)})
        if pending:
            await self.index(index, await index.articles(pending))

    async def index(self, index: NewsIndex, articles: list[Article]) -> None:
        """Index newly stored articles (with ids), in order of publication: one round trip to
        the indexer's process, one transaction in the store. The store's ids of the stories
        opened go to the process with the next call."""
        opened, self._opened = self._opened, {}
        ops = await self._call("index", articles, opened)
        self._opened = await index.record_index(ops)
        log.info("articles indexed", extra={"articles": len(articles)})

    async def stories(self) -> int:
        """How many stories the clusterer holds now."""
        return int(await self._call("size"))

    async def cpu_seconds(self) -> float:
        """The CPU time the indexer's process has used (benchmarks add it to their own)."""
        return float(await self._call("cpu"))

    async def resident_bytes(self) -> int:
        """The indexer's process's resident memory (benchmarks report it)."""
        return int(await self._call("rss"))

    def close(self) -> None:
        """Stop the indexer's process (it starts again on the next call, empty)."""
        process, self._process = self._process, None
        self._opened = {}
        if process is not None:
            process.shutdown(wait=False, cancel_futures=True)

    async def _call(self, method: str, *args: Any) -> Any:
        if self._process is None:
            # Started in a thread: the child reads its start-up data only once it has imported
            # the modules it needs, and the parent's writes wait for it meanwhile.
            self._process = await asyncio.to_thread(self._spawn)
        return await asyncio.wrap_future(self._process.submit(plan.call, method, *args))

    def _spawn(self) -> ProcessPoolExecutor:
        # A fresh interpreter, not a fork: the parent has threads (the store's, the bot's
        # clients) whose locks a fork would copy mid-use.
        process = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=plan.start,
            initargs=(*self._start, cpu.log_settings()),
        )
        process.submit(plan.call, "size").result()
        return process


class LiveIndex:
    """The story index of one store for the life of the process: rebuilt from the store on
    first use, then following every poll, one call at a time."""

    def __init__(self, index: NewsIndex, gazetteer: Gazetteer | None) -> None:
        self._index = index
        self._gazetteer = gazetteer
        self._lock = asyncio.Lock()
        self._indexer: StoryIndexer | None = None

    async def add(self, stored: list[Article]) -> None:
        """Index newly stored articles; a failure is logged (rebuilding indexes them later)."""
        if not stored and self._indexer is None:
            return
        async with self._lock:
            try:
                if self._indexer is None:
                    self._indexer = await StoryIndexer.rebuild(self._index, self._gazetteer)
                await self._indexer.index(self._index, stored)
            except Exception as exc:  # its text may quote article URLs: logged scrubbed
                log.error("indexing failed", extra={"articles": len(stored), **crash_fields(exc)})
                self.close()  # its clusterer may be out of step with the store

    async def resident_bytes(self) -> int:
        """The indexer's process's resident memory (0 before the first `add`)."""
        return await self._indexer.resident_bytes() if self._indexer is not None else 0

    def close(self) -> None:
        """Stop the indexer's process; the next `add` rebuilds it from the store."""
        indexer, self._indexer = self._indexer, None
        if indexer is not None:
            indexer.close()
