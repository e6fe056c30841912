"""The bookkeeping under `StoryClusterer`: articles, stories, the window, merges and splits.

`StoryStore` keeps every article of the window with its vector, each story's members and
centroid (`bot.nlp.stories.vectors`), and the moves of articles between stories; it answers the
questions about stories (members, sources, the best article). It decides nothing: which story
an article joins, and when stories merge or split, is `bot.nlp.stories.cluster`'s business.

Nothing here walks the whole window per article: each story counts its articles still in the
window (pruning finds the emptied ones without a scan), and the best article of a large story
is looked for among a shortlist kept from its last full ranking and the articles added since.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain

from bot.nlp.stories.syndication import SyndicationIndex
from bot.nlp.stories.vectors import Centroids, Members, StreamingTfIdf, Vector, dot

SHORTLIST = 8  # articles kept from a story's last full ranking for its best article
RERANK = 1.5  # ... ranked in full again when the story has grown by this factor


@dataclass(slots=True)
class Features:
    """What the clusterer derives from an article's words, before the window weighs them:
    kept beside the article, a restart need not read its text again."""

    counts: dict[str, int]  # terms of the title (twice) and the text, in order of first use
    shingles: set[int]  # sampled shingle hashes of the title and text (syndication)
    words: int  # words in the text


@dataclass(slots=True)
class Doc:
    cluster: int
    source: str
    words: int
    vector: Vector  # unit TF-IDF vector, weighted with the IDF of its arrival
    copy_of: str | None = None
    active: bool = True
    at: datetime | None = None  # when it arrived (published; undated: the newest time seen)


class StoryStore:
    """Articles and stories within a sliding time window."""

    def __init__(self, window: timedelta, syndication: bool) -> None:
        self.window = window
        self._copies = SyndicationIndex() if syndication else None
        self._tfidf = StreamingTfIdf()
        self._centroids = Centroids()
        self._index = Members()
        self._docs: dict[str, Doc] = {}
        self._members: dict[int, list[str]] = {}
        self._merged: dict[int, int] = {}  # absorbed story id -> the story it went into
        self._moves: dict[str, int] = {}
        self._timeline: list[tuple[datetime, int, str]] = []
        self._newest: datetime | None = None
        self._next_id = 0
        self._alive: dict[int, int] = {}  # story -> its articles in the window
        self._emptied: set[int] = set()  # stories whose articles all left the window
        self._shortlist: dict[int, tuple[int, list[str]]] = {}  # story -> (size, best few)
        self._started: dict[int, datetime] = {}  # story -> when its first article arrived

    def clusters(self) -> list[list[str]]:
        """Every story's article ids, in order of arrival, stories in order of opening."""
        return [list(members) for _, members in sorted(self._members.items())]

    def __len__(self) -> int:
        """How many stories are kept (pruned and merged-away ones are not)."""
        return len(self._members)

    def has(self, story: int) -> bool:
        """Whether a story id is one of the stories kept (not merged away nor pruned)."""
        return story in self._members

    def story_of(self, doc_id: str) -> int:
        """The id of the story an article is in now (stories merge and split)."""
        return self._docs[doc_id].cluster

    def resolve(self, story: int) -> int:
        """The id a story has now: itself, or the story it was merged into."""
        while story in self._merged:
            story = self._merged[story]
        return story

    def members(self, story: int) -> list[str]:
        """The article ids of a story."""
        return list(self._members[self.resolve(story)])

    def take_moves(self) -> dict[str, int]:
        """The articles whose story changed (by a merge or a split) since the last call, each
        with its story now; for keeping stored story ids in step."""
        moves, self._moves = self._moves, {}
        return {doc_id: story for doc_id, story in moves.items() if doc_id in self._docs}

    def copy_of(self, doc_id: str) -> str | None:
        """The article that `doc_id` is a syndicated copy of, if it is one."""
        return self._docs[doc_id].copy_of

    def sources(self, story: int) -> list[str]:
        """Distinct sources of a story, in order of first appearance."""
        return list(dict.fromkeys(self._docs[d].source for d in self.members(story)))

    def describe(self, story: int) -> str:
        """E.g. "3 sources: Reuters, The Verge, AFP"."""
        names = self.sources(story)
        return f"{len(names)} source{'s' if len(names) != 1 else ''}: {', '.join(names)}"

    def best(self, story: int) -> str:
        """The article that represents the story: close to the centroid, with a full text (under
        300 words counts in proportion). A copy that adds little ranks as its original, after it;
        one that holds much more (an article quoting a short text whole) ranks on its own length."""
        story = self.resolve(story)
        centroid = self._centroids.sums[story]
        members = self._members[story]

        def merit(doc_id: str) -> tuple[float, bool]:
            doc = text = self._docs[doc_id]
            while text.copy_of is not None and text.copy_of in self._docs:
                text = self._docs[text.copy_of]  # a copy has no vector of its own
            words = doc.words if doc.words > 1.5 * text.words else text.words
            return dot(text.vector, centroid) * min(1.0, words / 300), doc.copy_of is None

        ranked = self._shortlist.get(story)
        if ranked is not None and len(members) < RERANK * ranked[0]:
            return max(chain(ranked[1], members[ranked[0] :]), key=merit)
        if len(members) > 2 * SHORTLIST:
            self._shortlist[story] = (len(members), heapq.nlargest(SHORTLIST, members, key=merit))
        return max(members, key=merit)

    def prune(self) -> list[int]:
        """Forget the stories whose articles have all left the window; return their ids."""
        return list(self.prune_members())

    def prune_members(self) -> dict[int, list[str]]:
        """Forget the stories whose articles have all left the window; return their articles."""
        gone = {}
        for sid in sorted(self._emptied):
            if sid not in self._members or self._alive.get(sid, 0) > 0:
                continue
            gone[sid] = members = self._members.pop(sid)
            for doc_id in members:
                del self._docs[doc_id]
            self._centroids.close(sid)
            self._alive.pop(sid, None)
            self._drop(sid)
        self._emptied.clear()
        if gone:
            self._merged = {a: b for a, b in self._merged.items() if b in self._members}
        return gone

    def started(self, story: int) -> datetime | None:
        """When the story's first article (by time) arrived; None when none is dated."""
        return self._started.get(story)

    def started_at(self, story: int, when: datetime) -> None:
        """The story started at ``when`` at the latest: its first article, which may have left
        the window (a rebuild after a restart reads the window only)."""
        if story in self._members:
            self._start(story, aware(when))

    def _drop(self, story: int) -> None:
        """A story is gone (merged or pruned)."""
        self._shortlist.pop(story, None)
        self._started.pop(story, None)
        self._forget(story)

    def _forget(self, story: int) -> None:
        """A story is gone (merged or pruned): drop what a subclass keeps about it."""

    def _arrive(self, published: datetime | None) -> datetime | None:
        """Move the clock to an arrival (undated: the newest time seen); expire the old."""
        when = aware(published) or self._newest
        if when is not None and (self._newest is None or when > self._newest):
            self._newest = when
        self._expire()
        return when

    def _open(self) -> int:
        story = self._next_id
        self._next_id += 1
        self._members[story] = []
        self._alive[story] = 0
        self._centroids.open(story)
        return story

    def _place(self, doc_id: str, doc: Doc, when: datetime | None) -> None:
        """Put a new article in its story (a copy adds nothing to the centroid or the index)."""
        doc.at = when
        self._docs[doc_id] = doc
        self._members[doc.cluster].append(doc_id)
        self._alive[doc.cluster] += 1
        self._start(doc.cluster, when)
        if doc.copy_of is None:
            self._centroids.put(doc.cluster, doc.vector, +1)
            self._index.add(doc_id, doc.vector)
        if when is not None:
            heapq.heappush(self._timeline, (when, len(self._docs), doc_id))

    def _merge(self, one: int, two: int) -> int:
        """Merge two stories; the older id survives and is returned."""
        keep, gone = (one, two) if one < two else (two, one)
        self._centroids.put(keep, self._centroids.sums[gone], self._centroids.count[gone])
        self._centroids.close(gone)
        for doc_id in self._members[gone]:
            self._docs[doc_id].cluster = keep
            self._moves[doc_id] = keep
        self._members[keep].extend(self._members.pop(gone))
        self._alive[keep] += self._alive.pop(gone)
        self._merged[gone] = keep
        self._shortlist.pop(keep, None)
        self._start(keep, self._started.get(gone))
        self._drop(gone)
        return keep

    def _move(self, moved: set[str], story: int) -> int:
        """Move articles (and their copies) out of `story` into a new story; return its id."""
        new = self._open()
        stay = []
        for doc_id in self._members[story]:
            doc = self._docs[doc_id]
            if doc_id in moved or doc.copy_of in moved:
                if doc.copy_of is None:
                    self._centroids.put(story, doc.vector, -1)
                    self._centroids.put(new, doc.vector, +1)
                doc.cluster = new
                self._moves[doc_id] = new
                self._members[new].append(doc_id)
                if doc.active:
                    self._alive[story] -= 1
                    self._alive[new] += 1
            else:
                stay.append(doc_id)
        self._members[story] = stay
        self._shortlist.pop(story, None)
        self._started.pop(story, None)
        for doc_id in stay:
            self._start(story, self._docs[doc_id].at)
        for doc_id in self._members[new]:
            self._start(new, self._docs[doc_id].at)
        return new

    def _start(self, story: int, when: datetime | None) -> None:
        """The story holds an article that arrived at ``when``: it started then at the latest."""
        if when is not None and (story not in self._started or when < self._started[story]):
            self._started[story] = when

    def _expire(self) -> None:
        if self._newest is None:
            return
        cutoff = self._newest - self.window
        while self._timeline and self._timeline[0][0] < cutoff:
            _, _, doc_id = heapq.heappop(self._timeline)
            doc = self._docs[doc_id]
            doc.active = False
            self._alive[doc.cluster] -= 1
            if not self._alive[doc.cluster]:
                self._emptied.add(doc.cluster)
            if self._copies is not None:
                self._copies.remove(doc_id)
            if doc.copy_of is None:
                self._centroids.put(doc.cluster, doc.vector, -1)
                self._index.remove(doc_id, doc.vector)
                self._tfidf.remove(doc.vector)
            doc.vector = {}


def aware(when: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC, so that every comparison works."""
    if when is not None and when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when
