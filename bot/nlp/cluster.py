"""Stories: articles about the same event, across sources, grouped one article at a time.

Each article becomes a TF-IDF vector (sublinear term frequency; document frequencies updated as
articles arrive and leave the time window, so the IDF is the honest streaming one) and either
joins the story whose centroid is most similar or opens a new story:

- a syndicated copy (the same wire text under another headline, see `bot.nlp.dedupe`) joins
  its original's story outright and adds no weight to the centroid or the IDF;
- the bar to join falls with the story's size, `threshold - size_prior * ln(n)` but never below
  `floor`: the prior of an online Dirichlet-process mixture (DP-means), since an event already
  reported n times is that much likelier to be reported again;
- a small story (at most `fragment_size` articles) that the new article also matches is merged
  into its story when the two centroids are similar: this repairs a story split by an early,
  vague report, without reclustering anything else;
- articles older than `window` relative to the newest seen leave the centroids and the IDF; their
  stories stay listed but take no new articles once all their articles are out of the window.

The constants were chosen on stories 0-49 of the summaries proxy set (`newsbot eval clusters`)
and checked on stories 50-99, never on single items.

No I/O: to rebuild after a restart, re-add the window's stored articles in published order
(`StoryClusterer.from_articles`).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.models import Article
from bot.nlp.dedupe import SyndicationIndex

WINDOW = timedelta(hours=72)
THRESHOLD = 0.30  # centroid cosine to join a story of one article
SIZE_PRIOR = 0.08  # ... lowered by this times ln(articles in the story)
FLOOR = 0.12  # ... never below this
MERGE = 0.25  # centroid cosine to merge a small story into the one an article joined
FRAGMENT = 3  # "small": at most this many articles

_STOP_WORDS = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    said says say one two new year years time last first may might must shall told like get got
    make made us mr mrs ms"""
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


def terms(text: str) -> list[str]:
    """Lower-cased content words: no stop words, no possessive 's, plural -s stripped."""
    out = []
    for word in _WORD.findall(text.lower().replace("\u2019", "'")):
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) < 2 or word in _STOP:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


@dataclass(slots=True)
class _Doc:
    cluster: int
    source: str
    words: int
    vector: dict[str, float]  # unit TF-IDF vector, weighted with the IDF of its arrival
    copy_of: str | None = None
    active: bool = True


@dataclass(slots=True)
class _Story:
    members: list[str] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)  # sum of active members' vectors
    norm2: float = 0.0
    active: int = 0  # active members that count in the centroid (copies do not)


class StoryClusterer:
    """Incremental story clustering within a sliding time window."""

    def __init__(
        self,
        window: timedelta = WINDOW,
        threshold: float = THRESHOLD,
        size_prior: float = SIZE_PRIOR,
        floor: float = FLOOR,
        merge_threshold: float | None = MERGE,
        fragment_size: int = FRAGMENT,
        syndication: bool = True,
    ) -> None:
        self.window = window
        self.threshold = threshold
        self.size_prior = size_prior
        self.floor = floor
        self.merge_threshold = merge_threshold
        self.fragment_size = fragment_size
        self._copies = SyndicationIndex() if syndication else None
        self._docs: dict[str, _Doc] = {}
        self._stories: dict[int, _Story] = {}
        self._merged: dict[int, int] = {}  # absorbed story id -> the story it went into
        self._postings: dict[str, set[int]] = defaultdict(set)  # term -> stories (centroids)
        self._df: dict[str, int] = defaultdict(int)
        self._n = 0  # documents counted in the IDF
        self._timeline: list[tuple[datetime, int, str]] = []
        self._newest: datetime | None = None
        self._next_id = 0

    @classmethod
    def from_articles(cls, articles: Iterable[Article], **options: object) -> StoryClusterer:
        """A clusterer rebuilt from stored articles, re-added oldest first.

        Story ids are those of this instance: map them to stored stories by their articles.
        """
        clusterer = cls(**options)  # type: ignore[arg-type]
        oldest = datetime.min.replace(tzinfo=UTC)
        for article in sorted(articles, key=lambda a: _aware(a.published) or oldest):
            doc_id = str(article.id if article.id is not None else article.url)
            clusterer.add(doc_id, article.title, article.text, article.published, article.source)
        return clusterer

    def add(
        self, doc_id: str, title: str, text: str, published: datetime | None, source: str
    ) -> int:
        """Add one article; return the id of the story it joined or opened.

        An article without a date counts as published at the newest time seen. Adding an id
        twice returns its story again.
        """
        if doc_id in self._docs:
            return self.story_of(doc_id)
        when = _aware(published) or self._newest
        if when is not None and (self._newest is None or when > self._newest):
            self._newest = when
        self._expire()
        body = f"{title}\n{title}\n{text}" if title else text  # the headline weighs double
        original = (
            self._copies.add(doc_id, f"{title}\n{text}") if self._copies is not None else None
        )
        if original is not None and self._docs[original].active:
            story = self.story_of(original)
            self._docs[doc_id] = _Doc(story, source, len(text.split()), {}, copy_of=original)
            self._stories[story].members.append(doc_id)
            self._track(doc_id, when)
            return story
        vector = self._vector(terms(body))
        scores = self._scores(vector)
        story = self._choose(scores)
        if story is None:
            story = self._next_id
            self._next_id += 1
            self._stories[story] = _Story()
        self._docs[doc_id] = _Doc(story, source, len(text.split()), vector)
        self._stories[story].members.append(doc_id)
        self._put(story, vector, +1)
        self._track(doc_id, when)
        return self._merge_fragments(story, scores)

    def clusters(self) -> list[list[str]]:
        """Every story's article ids, in order of arrival, stories in order of opening."""
        return [list(s.members) for _, s in sorted(self._stories.items())]

    def story_of(self, doc_id: str) -> int:
        """The id of the story an article is in now (stories merge)."""
        return self._docs[doc_id].cluster

    def resolve(self, story: int) -> int:
        """The id a story has now: itself, or the story it was merged into."""
        while story in self._merged:
            story = self._merged[story]
        return story

    def members(self, story: int) -> list[str]:
        """The article ids of a story."""
        return list(self._stories[self.resolve(story)].members)

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
        entry = self._stories[self.resolve(story)]

        def merit(doc_id: str) -> tuple[float, bool]:
            doc = text = self._docs[doc_id]
            while text.copy_of is not None and text.copy_of in self._docs:
                text = self._docs[text.copy_of]  # a copy has no vector of its own
            centrality = sum(w * entry.centroid.get(t, 0.0) for t, w in text.vector.items())
            words = doc.words if doc.words > 1.5 * text.words else text.words
            return centrality * min(1.0, words / 300), doc.copy_of is None

        return max(entry.members, key=merit)

    def prune(self) -> list[int]:
        """Forget the stories whose articles have all left the window; return their ids."""
        gone = [
            sid
            for sid, s in self._stories.items()
            if not any(self._docs[d].active for d in s.members)
        ]
        for sid in gone:
            for doc_id in self._stories.pop(sid).members:
                del self._docs[doc_id]
        self._merged = {a: b for a, b in self._merged.items() if b in self._stories}
        return gone

    def _vector(self, words: list[str]) -> dict[str, float]:
        counts: dict[str, int] = defaultdict(int)
        for word in words:
            counts[word] += 1
        self._n += 1
        for word in counts:
            self._df[word] += 1
        weights = {
            t: (1 + math.log(c)) * (math.log((self._n + 1) / (self._df[t] + 1)) + 1)
            for t, c in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def _scores(self, vector: dict[str, float]) -> dict[int, float]:
        dots: dict[int, float] = defaultdict(float)
        for t, w in vector.items():
            for story in self._postings.get(t, ()):
                dots[story] += w * self._stories[story].centroid[t]
        return {s: d / math.sqrt(self._stories[s].norm2) for s, d in dots.items() if d > 0}

    def _bar(self, story: int) -> float:
        size = self._stories[story].active
        return max(self.floor, self.threshold - self.size_prior * math.log(size))

    def _choose(self, scores: dict[int, float]) -> int | None:
        best, best_margin = None, 0.0
        for story, score in scores.items():
            margin = score - self._bar(story)
            if margin >= 0 and (best is None or margin > best_margin):
                best, best_margin = story, margin
        return best

    def _merge_fragments(self, story: int, scores: dict[int, float]) -> int:
        if self.merge_threshold is None:
            return story
        for other in sorted(scores, key=scores.__getitem__, reverse=True):
            if other == story or other not in self._stories or scores[other] < self._bar(other):
                continue
            a, b = self._stories[story], self._stories[other]
            if min(a.active, b.active) > self.fragment_size or not a.active or not b.active:
                continue
            small, large = (a.centroid, b.centroid)
            if len(small) > len(large):
                small, large = large, small
            dot = sum(w * large.get(t, 0.0) for t, w in small.items())
            if dot / math.sqrt(a.norm2 * b.norm2) >= self.merge_threshold:
                story = self._merge(story, other)
        return story

    def _merge(self, one: int, two: int) -> int:
        keep, gone = (one, two) if one < two else (two, one)  # the older id survives
        absorbed = self._stories.pop(gone)
        self._put(keep, absorbed.centroid, absorbed.active)
        for t in absorbed.centroid:
            self._postings[t].discard(gone)
        for doc_id in absorbed.members:
            self._docs[doc_id].cluster = keep
        self._stories[keep].members.extend(absorbed.members)
        self._merged[gone] = keep
        return keep

    def _put(self, story: int, vector: dict[str, float], count: int) -> None:
        """Add (count > 0) or remove (count < 0) a vector to or from a story's centroid."""
        entry = self._stories[story]
        sign = 1.0 if count > 0 else -1.0
        dot = sum(w * entry.centroid.get(t, 0.0) for t, w in vector.items())
        entry.norm2 = max(0.0, entry.norm2 + 2 * sign * dot + sum(w * w for w in vector.values()))
        entry.active += count
        for t, w in vector.items():
            value = entry.centroid.get(t, 0.0) + sign * w
            if entry.active <= 0 or abs(value) < 1e-9:
                entry.centroid.pop(t, None)
                self._postings[t].discard(story)
                if not self._postings[t]:
                    del self._postings[t]
            else:
                entry.centroid[t] = value
                self._postings[t].add(story)
        if entry.active <= 0:
            for t in entry.centroid:
                self._postings[t].discard(story)
            entry.centroid.clear()
            entry.norm2 = 0.0

    def _track(self, doc_id: str, when: datetime | None) -> None:
        if when is not None:
            heapq.heappush(self._timeline, (when, len(self._docs), doc_id))

    def _expire(self) -> None:
        if self._newest is None:
            return
        cutoff = self._newest - self.window
        while self._timeline and self._timeline[0][0] < cutoff:
            _, _, doc_id = heapq.heappop(self._timeline)
            doc = self._docs[doc_id]
            doc.active = False
            if self._copies is not None:
                self._copies.remove(doc_id)
            if doc.copy_of is None:
                self._put(doc.cluster, doc.vector, -1)
                self._n -= 1
                for t in doc.vector:
                    self._df[t] -= 1
                    if self._df[t] <= 0:
                        del self._df[t]
            doc.vector = {}


def _aware(when: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC, so that every comparison works."""
    if when is not None and when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when


def cluster_texts(texts: list[str], **options: object) -> list[list[int]]:
    """Group plain texts into stories; each story is a list of indexes into `texts`."""
    clusterer = StoryClusterer(**options)  # type: ignore[arg-type]
    for i, text in enumerate(texts):
        clusterer.add(str(i), "", text, None, "")
    return [[int(d) for d in members] for members in clusterer.clusters()]
