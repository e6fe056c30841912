"""The story indexer's CPU side: the clusterer, the companies, and what the store must do.

`StoryPlan` holds the clusterer and the map between its clusters and the stored stories, and
turns new articles into store operations (`Op`s) instead of doing I/O: the indexer
(`bot.nlp.indexer`) runs it in a process of its own and applies the operations to the store
on the event loop. A story it opens has a provisional id (negative) until the store has given
it a real one (`confirm`, or with the next `index`).

Operations, applied in order:

- ``("new", ref, lead)``: open a story led by article `lead` (moved into it);
- ``("save", article, mentions, ref, features)``: record an article's story and companies,
  and what the clusterer derived from it (a rebuild reads that instead of its text); mentions
  and features are None when the article was stored with them (`Article.analysis`);
- ``("move", articles, ref, lead)``: move articles into a story and set its lead.

A cluster maps to one stored story; when clusters merge, the stored stories follow, and when
one splits, the part without a story opens one. After a restart `restore` puts the window's
stored articles back into their stored stories (no scoring: time linear in the window).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from bot import cpu
from bot.models import Article
from bot.nlp.companies import CompanyMention, Gazetteer
from bot.nlp.stories.cluster import StoryClusterer
from bot.nlp.stories.store import Features

Op = tuple[Any, ...]
# An indexed article of the window, as the rebuild sends it: id, title, text (both empty when
# its features are known), published, source, story id, features as the store keeps them.
StoredFeatures = tuple[str, str, int]
Indexed = tuple[int, str, str, datetime | None, str, int, StoredFeatures | None]

log = logging.getLogger("newsbot.indexer")


class StoryPlan:
    """Clusters and stored stories, in step; new articles in, store operations out."""

    def __init__(self, gazetteer: Gazetteer | None, clusterer: StoryClusterer) -> None:
        self.gazetteer = gazetteer
        self.clusterer = clusterer
        self._story: dict[int, int] = {}  # cluster id -> stored story id (or provisional ref)
        self._in: dict[str, int] = {}  # article id (the clusterer's doc id) -> stored story id
        self._held: dict[int, set[str]] = defaultdict(set)  # stored story id -> its article ids
        self._lead: dict[int, int] = {}  # stored story id -> its lead article id, as last set
        self._restored: dict[int, int] = {}  # while rebuilding: stored story id -> cluster id
        self._ops: list[Op] = []
        self._refs = 0  # provisional ids handed out so far

    def __len__(self) -> int:
        """How many stories the clusterer holds."""
        return len(self.clusterer)

    def restore(self, stored: list[Indexed]) -> int:
        """Put indexed articles back into their stories, oldest first; returns how many.

        What is alive after each part (the window's state so far) lives long and holds no
        cycles to free: kept out of the cyclic collector's full passes, which would walk it
        again and again as the window is read."""
        for doc, title, text, published, source, story_id, kept in sorted(stored, key=_at):
            cluster = self.clusterer.restore(
                str(doc),
                title,
                text,
                published,
                source,
                self._restored.get(story_id),
                decode(kept) if kept is not None else None,
            )
            self._restored[story_id] = cluster
            self._assign(str(doc), story_id)
            self._story.setdefault(cluster, story_id)
        gc.freeze()  # this process holds nothing but the index
        return len(stored)

    def started(self, starts: dict[int, datetime]) -> None:
        """When each restored stored story began (its first article, maybe before the window):
        a story takes articles for its span from there, not from its first one in the window."""
        for story_id, when in starts.items():
            cluster = self._restored.get(story_id)
            if cluster is not None:
                self.clusterer.started_at(cluster, when)

    def restored(self) -> None:
        """The rebuild is over: forget its map of stored stories to clusters."""
        self._restored = {}

    def index(self, articles: list[Article], opened: dict[int, int] | None = None) -> list[Op]:
        """Index newly stored articles (with ids), in order of publication; the store
        operations that record it. `opened`: the store's ids of the stories the last call
        opened (`confirm`)."""
        if opened:
            self.confirm(opened)
        for article in sorted(articles, key=published_order):
            if article.id is None or str(article.id) in self._in:
                continue  # not stored, or indexed already
            done = article.analysis  # stored with the article: only its place is left to record
            if done is not None:
                mentions, features = None, decode((done.terms, done.shingles, done.words))
            else:
                mentions = self._mentions(article)
                features = self.clusterer.features(article.title, article.text)
            cluster = self.clusterer.add(
                str(article.id),
                article.title,
                article.text,
                article.published,
                article.source,
                features,
            )
            story_id = self._story.get(cluster)
            if story_id is None:
                story_id = self._new(article.id)
                self._story[cluster] = story_id
            kept = encode(features) if done is None else None
            self._ops.append(("save", article.id, mentions, story_id, kept))
            self._assign(str(article.id), story_id)
            self._settle(cluster, story_id)
            self._follow_moves()
        self._prune()
        ops, self._ops = self._ops, []
        return ops

    def confirm(self, ids: dict[int, int]) -> None:
        """The store's ids for the provisional ones of the last `index`."""
        for ref, story_id in ids.items():
            docs = self._held.pop(ref, set())
            for doc in docs:
                self._in[doc] = story_id
            if docs:
                self._held[story_id] = docs
            if ref in self._lead:
                self._lead[story_id] = self._lead.pop(ref)
            for doc in docs:  # its cluster is the one of any of its articles
                cluster = self.clusterer.story_of(doc)
                if self._story.get(cluster) == ref:
                    self._story[cluster] = story_id
        stale = [c for c, s in self._story.items() if s < 0]  # refs of clusters gone since
        for cluster in stale:
            del self._story[cluster]

    def _new(self, lead: int) -> int:
        self._refs += 1
        ref = -self._refs
        self._ops.append(("new", ref, lead))
        self._lead[ref] = lead
        return ref

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

    def _settle(self, cluster: int, story_id: int) -> None:
        """Bring a cluster's stored articles into its story (clusters merge); update its lead."""
        members = self.clusterer.members(cluster)
        movers = [int(doc) for doc in members if self._in.get(doc) != story_id]
        lead = int(self.clusterer.best(cluster))
        if movers or self._lead.get(story_id) != lead:
            self._ops.append(("move", movers, story_id, lead))
            self._lead[story_id] = lead
            for doc in movers:
                self._assign(str(doc), story_id)

    def _follow_moves(self) -> None:
        """Keep stored stories in step when the clusterer split or merged stories."""
        moves = self.clusterer.take_moves()
        if not moves:
            return
        left = {self._in[doc] for doc in moves if doc in self._in}  # stories that lost members
        for cluster in {self.clusterer.story_of(doc) for doc in moves}:
            story_id = self._story.get(cluster)
            if story_id is None:  # a split opened a new story
                story_id = self._new(int(self.clusterer.best(cluster)))
                self._story[cluster] = story_id
            self._settle(cluster, story_id)
        for story_id in left:  # its lead may have moved out
            remaining = self._held.get(story_id)
            if remaining:
                doc = next(iter(remaining))
                self._settle(self.clusterer.story_of(doc), story_id)

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


def encode(features: Features) -> StoredFeatures:
    """Features as the store keeps them (`bot.store.story_state`)."""
    terms = json.dumps(features.counts, ensure_ascii=False, separators=(",", ":"))
    return terms, " ".join(map(str, sorted(features.shingles))), features.words


def decode(stored: StoredFeatures) -> Features:
    """Features as the store kept them."""
    terms, shingles, words = stored
    return Features(json.loads(terms), set(map(int, shingles.split())), words)


def published_order(article: Article) -> tuple[bool, datetime]:
    """Oldest first, undated last (the clusterer dates them at the newest time seen)."""
    return _order(article.published)


def _at(row: Indexed) -> tuple[bool, datetime]:
    return _order(row[3])


def _order(when: datetime | None) -> tuple[bool, datetime]:
    if when is None:
        return True, datetime.min.replace(tzinfo=UTC)
    return False, when if when.tzinfo else when.replace(tzinfo=UTC)


def resident_bytes() -> int:
    """This process's resident memory (Linux; 0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


# -- the indexer's process ----------------------------------------------------------------------

_plan: StoryPlan | None = None


def start(
    gazetteer: Gazetteer | None,
    clusterer: StoryClusterer,
    log_to: tuple[str, str] | None = None,
) -> None:
    """Run in the indexer's process as it starts: the plan it keeps; it logs as ``log_to``
    (the parent's [log] level and format) says, and exits when the parent dies."""
    global _plan
    cpu.start_child(log_to)
    _plan = StoryPlan(gazetteer, clusterer)


def call(method: str, *args: Any) -> Any:
    """Run in the indexer's process: a method of its plan."""
    if _plan is None:
        raise RuntimeError("the story indexer's process has not started")
    if method == "size":
        return len(_plan)
    if method == "cpu":  # what this process has used, for benchmarks
        return time.process_time()
    if method == "rss":  # this process's resident memory in bytes, for benchmarks
        return resident_bytes()
    return getattr(_plan, method)(*args)
