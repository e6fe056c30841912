"""Indexing new articles: the companies each mentions, and the story each joins.

Pure orchestration: the clusterer decides which articles tell one story, the gazetteer finds
companies, and the store (a NewsIndex) keeps both. A cluster of the clusterer maps to one stored
story; a new cluster opens one, led by its first article. After a restart, `rebuild` puts the
window's stored articles back into their stored stories (`StoryClusterer.restore`: no scoring,
in time linear in the window), so a late copy of an old report joins the story it was in; the
window's articles that were never indexed (stored before an upgrade, or while indexing failed)
are indexed then.

The CPU work (finding companies, clustering, the rebuild) runs in a worker thread, one article
at a time, so the event loop keeps serving chats meanwhile; the store's I/O stays on the loop.
Callers serialise `index` calls (bot.app holds a lock): the clusterer is not shared otherwise.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.models import Article
from bot.nlp.companies import CompanyMention, Gazetteer
from bot.nlp.stories.cluster import StoryClusterer

if TYPE_CHECKING:
    from bot.store.news import NewsIndex

log = logging.getLogger("newsbot.indexer")
SLICE = timedelta(minutes=30)  # the rebuild reads the window this much at a time


class StoryIndexer:
    """Company mentions and story ids for articles as they are stored."""

    def __init__(
        self, gazetteer: Gazetteer | None, clusterer: StoryClusterer | None = None
    ) -> None:
        self.gazetteer = gazetteer
        self.clusterer = clusterer if clusterer is not None else StoryClusterer()
        self._story: dict[int, int] = {}  # cluster id -> stored story id
        self._in: dict[str, int] = {}  # article id (the clusterer's doc id) -> stored story id
        self._held: dict[int, set[str]] = defaultdict(set)  # stored story id -> its article ids
        self._lead: dict[int, int] = {}  # stored story id -> its lead article id, as last set

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
        now = now or datetime.now(UTC)
        since, pending, count = now - window, [], 0
        clusters: dict[int, int] = {}  # stored story id -> cluster id
        while True:  # slice by slice: a whole window read at once would hold the loop
            # What is alive now (modules, the window's state so far) lives long and holds no
            # cycles to free: kept out of the cyclic collector's full passes, which walk every
            # object with the GIL held (a stall of the loop) each time the heap grew by a quarter.
            gc.freeze()
            until = since + SLICE
            part = await index.recent_articles(since, None if until > now else until)
            count += len(part)
            pending += await asyncio.to_thread(indexer._restore, part, clusters)
            if until > now:
                break
            since = until
        restored = count - len(pending)
        log.info("story index rebuilt", extra={"articles": restored, "unindexed": len(pending)})
        await indexer.index(index, pending)
        return indexer

    async def index(self, index: NewsIndex, articles: list[Article]) -> None:
        """Index newly stored articles (with ids), in order of publication."""
        for article in sorted(articles, key=_published):
            if article.id is None or str(article.id) in self._in:
                continue  # not stored, or indexed already
            mentions, cluster = await asyncio.to_thread(self._analyse, article)
            story_id = self._story.get(cluster)
            if story_id is None:
                story_id = await index.new_story(article.id)
                self._story[cluster] = story_id
                self._lead[story_id] = article.id
            await index.save_index(article.id, mentions, story_id)
            self._assign(str(article.id), story_id)
            await self._settle(index, cluster, story_id)
            await self._follow_moves(index)
        self._prune()
        log.info("articles indexed", extra={"articles": len(articles)})

    def _restore(self, recent: list[Article], cluster_of: dict[int, int]) -> list[Article]:
        """Put the indexed articles back into their stories (`cluster_of` maps stored stories
        to clusters, and learns new ones); return the others. Runs in a worker thread."""
        pending = []
        for article in sorted(recent, key=_published):
            if article.story_id is None:
                pending.append(article)
                continue
            cluster = self.clusterer.restore(
                str(article.id),
                article.title,
                article.text,
                article.published,
                article.source,
                cluster_of.get(article.story_id),
            )
            cluster_of[article.story_id] = cluster
            self._assign(str(article.id), article.story_id)
            self._story.setdefault(cluster, article.story_id)
        return pending

    def _analyse(self, article: Article) -> tuple[list[CompanyMention], int]:
        """The companies an article mentions and the cluster it joins (worker thread)."""
        mentions = self._mentions(article)
        cluster = self.clusterer.add(
            str(article.id), article.title, article.text, article.published, article.source
        )
        return mentions, cluster

    def _assign(self, doc: str, story_id: int) -> None:
        old = self._in.get(doc)
        if old is not None and old != story_id:
            self._release(doc, old)
        self._in[doc] = story_id
        self._held[story_id].add(doc)

    def _release(self, doc: str, story_id: int) -> None:
        held = self._held.get(story_id)
        if held is not None:
            held.discard(doc)
            if not held:
                del self._held[story_id]
                self._lead.pop(story_id, None)

    async def _settle(self, index: NewsIndex, cluster: int, story_id: int) -> None:
        """Bring a cluster's stored articles into its story (clusters merge); update its lead."""
        members = self.clusterer.members(cluster)
        movers = [int(doc) for doc in members if self._in.get(doc) != story_id]
        lead = int(self.clusterer.best(cluster))
        if movers or self._lead.get(story_id) != lead:
            await index.set_story(movers, story_id, lead_article_id=lead)
            self._lead[story_id] = lead
            for doc in movers:
                self._assign(str(doc), story_id)

    async def _follow_moves(self, index: NewsIndex) -> None:
        """Keep stored stories in step when the clusterer split or merged stories."""
        moves = self.clusterer.take_moves()
        if not moves:
            return
        left = {self._in[doc] for doc in moves if doc in self._in}  # stories that lost members
        for cluster in {self.clusterer.story_of(doc) for doc in moves}:
            story_id = self._story.get(cluster)
            if story_id is None:  # a split opened a new story
                story_id = await index.new_story(int(self.clusterer.best(cluster)))
                self._story[cluster] = story_id
            await self._settle(index, cluster, story_id)
        for story_id in left:  # its lead may have moved out
            remaining = self._held.get(story_id)
            if remaining:
                doc = next(iter(remaining))
                await self._settle(index, self.clusterer.story_of(doc), story_id)

    def _mentions(self, article: Article) -> list[CompanyMention]:
        if self.gazetteer is None:
            return []
        try:
            return self.gazetteer.find(article.text, article.title)
        except Exception:  # a gazetteer bug must not keep the article out of its story
            log.exception("company mentions failed", extra={"article": article.id})
            return []

    def _prune(self) -> None:
        """Forget stories whose articles all left the clusterer's window."""
        gone = self.clusterer.prune_members()
        for cluster, docs in gone.items():
            self._story.pop(cluster, None)
            for doc in docs:
                story_id = self._in.pop(doc, None)
                if story_id is not None:
                    self._release(doc, story_id)
        if len(self._story) > 2 * len(self.clusterer) + 100:  # ids of merged-away clusters
            self._story = {c: s for c, s in self._story.items() if self.clusterer.has(c)}


def _published(article: Article) -> tuple[bool, datetime]:
    """Oldest first, undated last (the clusterer dates them at the newest time seen)."""
    when = article.published
    if when is None:
        return True, datetime.min.replace(tzinfo=UTC)
    return False, when if when.tzinfo else when.replace(tzinfo=UTC)
