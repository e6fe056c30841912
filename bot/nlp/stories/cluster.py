"""Stories: articles about the same event, across sources, grouped one article at a time.

Each article becomes a TF-IDF vector (`bot.nlp.stories.vectors`: document frequencies follow the
articles in the time window) and either joins a story or opens one:

- a syndicated copy (the same wire text under another headline, `stories.syndication`) joins its
  original's story outright and adds no weight to the centroid or the IDF;
- otherwise its score for a story is the mean of its cosine to the story's centroid and its
  cosine to the story's nearest member: the centroid alone lets a blend of two stories on one
  subject draw reports of both, the nearest member alone follows every near-duplicate;
- the bar to join falls with the story's size, `threshold - size_prior * ln(n)` but never below
  `floor` (the prior of an online Dirichlet-process mixture: an event reported n times is that
  much likelier to be reported again); the story with the widest margin over its bar wins;
- when the two best stories clear their bars by margins closer than `ambiguity`, the article
  waits in a story of its own instead of picking one (delayed commitment);
- a small story (at most `fragment_size` articles) that the new article also matches is merged
  into its story when the two centroids are similar: this repairs a story split by an early,
  vague report, without reclustering anything else;
- a story that reaches a checkpoint size is bisected, its own members only, and split when the
  two parts are far apart (`bot.nlp.stories.split`): this undoes two events grown as one;
- articles older than `window` relative to the newest seen leave the centroids and the IDF; their
  stories stay listed but take no new articles once all their articles are out of the window;
- a story takes articles for `span` (72 hours) after its first one, copies included: over a
  stream, a story that took every close report would otherwise grow for as long as its subject
  stays in the news (a company's recurring news chained into one story spanning the 90 days
  kept, `bench/index_stored.py --real-fill`); a later report opens a story of its own;
- the stories scored are candidates, not every story of the window (`stories.vectors`): those
  whose centroids, or whose members, weigh most on the article's `query_terms` best terms,
  through each term's `per_term` most recent postings; the best `candidates` of each kind are
  scored exactly. So the work per article is bounded, whatever the window holds.
  `candidates=None` scores every story sharing a term (the exhaustive search, for comparison).

The constants were chosen on stories 0-49 of the summaries proxy set (`newsbot eval clusters`),
never on single items: a grid over the join bar, the nearest-member weight, the ambiguity margin
and the split bar, scored by the mean B-cubed F1 of 5 orders; of the settings within one
standard error of the best, the one with the highest join bar. Stories 50-99 and all 100 were
only checked. The floor is the exception: that set is one window of 28-report stories, and
its best floor (0.12) lets a stream snowball: over 90 days of generated events
(`bench/index_stored.py --real-fill`), a story of ten reports took every article that scored
0.12, grew, and ended holding most of the window (B-cubed 0.25 at 10,000 stored; 0.66 with
a floor of 0.16, 0.89 with 0.18, 0.97 with 0.20). 0.20 costs the proxy set 0.007 (0.957 ->
0.950). No I/O: after a restart, re-add the window's stored articles in published order
(`StoryClusterer.from_articles`). Story ids change by merges (`resolve`) and splits:
`take_moves` lists the articles whose story changed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from bot.models import Article
from bot.nlp.stories.split import FIRST_CHECK, bisect, next_check
from bot.nlp.stories.store import Doc, Features, StoryStore, aware
from bot.nlp.stories.vectors import Vector, dot, term_counts, terms, top_terms

__all__ = [
    "StoryClusterer",
    "cluster_documents",
    "cluster_texts",
    "terms",
]

WINDOW = timedelta(hours=72)
SPAN = timedelta(hours=72)  # a story takes articles for this long after its first one
THRESHOLD = 0.30  # score to join a story of one article
SIZE_PRIOR = 0.08  # ... lowered by this times ln(articles in the story)
FLOOR = 0.20  # ... never below this (lower, big stories snowball over a stream)
MERGE = 0.25  # centroid cosine to merge a small story into the one an article joined
FRAGMENT = 3  # "small": at most this many articles
NEAREST = 0.5  # weight of the nearest member in the score (the centroid has the rest)
AMBIGUITY = 0.03  # margins of the two best stories closer than this: wait in a story of its own
SPLIT = 0.35  # split a story whose two halves' separation is below this
MIN_PART = 3  # ... each half holding at least this many articles
CANDIDATES = 20  # stories scored exactly, found by their centroids (and as many by members)
QUERY_TERMS = 30  # the article's best terms that find them
# ... through this many of each term's most recent postings. Low enough to bind already in a
# window of 1,000 articles (where 30 terms offer about 120 postings, 50,000 about 260 at 10 per
# term), so the search costs the same in any window; 50 scanned 5x more at 50,000 for no gain
# (batch B-cubed 0.946 vs 0.943 at 50k, `eval clusters` 0.957 vs 0.955).
PER_TERM = 10
PER_STORY = 2  # members of a story scored exactly for its nearest member
RESTORE_COPIES = 20  # a restored article is checked for a copy of this many of its story's last


class StoryClusterer(StoryStore):
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
        nearest: float = NEAREST,
        ambiguity: float = AMBIGUITY,
        split: float | None = SPLIT,
        min_part: int = MIN_PART,
        candidates: int | None = CANDIDATES,
        query_terms: int = QUERY_TERMS,
        per_term: int = PER_TERM,
        per_story: int = PER_STORY,
        span: timedelta | None = SPAN,
    ) -> None:
        super().__init__(window, syndication)
        self.threshold = threshold
        self.size_prior = size_prior
        self.floor = floor
        self.merge_threshold = merge_threshold
        self.fragment_size = fragment_size
        self.nearest = nearest
        self.ambiguity = ambiguity
        self.split = split
        self.min_part = min_part
        self.candidates = candidates
        self.query_terms = query_terms
        self.per_term = per_term
        self.per_story = per_story
        self.span = span
        self._checks: dict[int, int] = {}  # story -> size at which to test it for a split

    @classmethod
    def from_articles(cls, articles: Iterable[Article], **options: object) -> StoryClusterer:
        """A clusterer rebuilt from stored articles, re-added oldest first.

        Story ids are those of this instance: map them to stored stories by their articles.
        """
        clusterer = cls(**options)  # type: ignore[arg-type]
        oldest = datetime.min.replace(tzinfo=UTC)
        for article in sorted(articles, key=lambda a: aware(a.published) or oldest):
            doc_id = str(article.id if article.id is not None else article.url)
            clusterer.add(doc_id, article.title, article.text, article.published, article.source)
        return clusterer

    def features(self, title: str, text: str) -> Features:
        """What `add` derives from an article's words (the headline weighs double)."""
        body = f"{title}\n{title}\n{text}" if title else text
        sample = self._copies.sample_of(f"{title}\n{text}") if self._copies is not None else set()
        return Features(term_counts(terms(body)), sample, len(text.split()))

    def add(
        self,
        doc_id: str,
        title: str,
        text: str,
        published: datetime | None,
        source: str,
        features: Features | None = None,
    ) -> int:
        """Add one article; return the id of the story it joined or opened. `features`: the
        article's, if known (`features`), else derived from its title and text.

        An article without a date counts as published at the newest time seen. Adding an id
        twice returns its story again.
        """
        if doc_id in self._docs:
            return self.story_of(doc_id)
        when = self._arrive(published)
        found = features if features is not None else self.features(title, text)
        original = (
            self._copies.add_sample(doc_id, found.shingles) if self._copies is not None else None
        )
        if original is not None and self._docs[original].active:
            story = self.story_of(original)
            if self._takes(story, when):  # else a copy of old news: a story of its own
                self._place(doc_id, Doc(story, source, found.words, {}, copy_of=original), when)
                return story
        vector = self._tfidf.add_counts(found.counts)
        scores = {s: v for s, v in self._scores(doc_id, "", vector).items() if self._takes(s, when)}
        story, waits = self._choose(scores)
        if story is None:
            story = self._open()
        self._place(doc_id, Doc(story, source, found.words, vector), when)
        if not waits:
            story = self._merge_fragments(story, scores)
        return self._split_check(story, doc_id)

    def restore(
        self,
        doc_id: str,
        title: str,
        text: str,
        published: datetime | None,
        source: str,
        story: int | None,
        features: Features | None = None,
    ) -> int:
        """Put a stored article back into a known story (None: a new one), without scoring it:
        how the window is rebuilt after a restart, in time linear in its articles. Returns the
        story's id. Articles go in oldest first, as they were added. `features` as for `add`."""
        if doc_id in self._docs:
            return self.story_of(doc_id)
        when = self._arrive(published)
        if story is None or story not in self._members:
            story = self._open()
        found = features if features is not None else self.features(title, text)
        original = None
        if self._copies is not None:  # a copy of one of the story's latest originals
            latest = self._members[story][-RESTORE_COPIES:]
            originals = [d for d in latest if self._docs[d].copy_of is None]
            original = self._copies.add_sample(doc_id, found.shingles, among=originals)
        if original is not None and self._docs[original].active:
            self._place(doc_id, Doc(story, source, found.words, {}, copy_of=original), when)
            return story
        vector = self._tfidf.add_counts(found.counts)
        self._place(doc_id, Doc(story, source, found.words, vector), when)
        self._checks[story] = next_check(self._centroids.count[story])
        return story

    def _scores(self, doc_id: str, text: str, vector: Vector) -> dict[int, float]:
        if self.candidates is None:
            return self._all_scores(vector)
        query = top_terms(vector, self.query_terms)
        partial = self._centroids.candidates(query, self.per_term)
        stories = set(heapq.nlargest(self.candidates, partial, key=partial.__getitem__))
        near: dict[int, float] = {}
        if self.nearest:
            near = self._index.nearest_candidates(
                vector, query, self.per_term, self.story_of, self.candidates, self.per_story
            )
            stories |= near.keys()
        scores = self._centroids.cosines(vector, stories)
        if not self.nearest:
            return scores
        weight = self.nearest
        for story in scores.keys() - near.keys():  # found by its centroid: its latest members
            recent = self._members[story][-self.per_story :]
            near[story] = max(dot(vector, self._docs[d].vector) for d in recent)
        return {s: (1 - weight) * c + weight * near[s] for s, c in scores.items()}

    def _all_scores(self, vector: Vector) -> dict[int, float]:
        """Every story sharing a term with the article, scored (the exhaustive search)."""
        scores = self._centroids.scores(vector)
        if self.nearest and scores:
            near = self._index.nearest(vector, self.story_of)
            weight = self.nearest
            scores = {s: (1 - weight) * c + weight * near.get(s, 0.0) for s, c in scores.items()}
        return scores

    def _takes(self, story: int, when: datetime | None) -> bool:
        """Whether the story still takes an article arriving at ``when``: it started less than
        ``span`` before it (over a stream, a story that took every close report would grow
        for as long as its subject stays in the news)."""
        started = self.started(story)
        return self.span is None or when is None or started is None or when - started <= self.span

    def _bar(self, story: int) -> float:
        size = self._centroids.count[story]
        return max(self.floor, self.threshold - self.size_prior * math.log(max(size, 1)))

    def _choose(self, scores: dict[int, float]) -> tuple[int | None, bool]:
        """The story to join (None: open one), and whether the article waits (see above)."""
        margins = ((score - self._bar(s), -s) for s, score in scores.items())
        ranked = sorted((m for m in margins if m[0] >= 0), reverse=True)
        if not ranked:
            return None, False
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < self.ambiguity:
            return None, True
        return -ranked[0][1], False

    def _merge_fragments(self, story: int, scores: dict[int, float]) -> int:
        if self.merge_threshold is None:
            return story
        count = self._centroids.count
        for other in sorted(scores, key=scores.__getitem__, reverse=True):
            if other == story or other not in self._members or scores[other] < self._bar(other):
                continue
            small = min(count[story], count[other])
            if not small or small > self.fragment_size:
                continue
            if self._centroids.cosine(story, other) >= self.merge_threshold:
                story = self._merge(story, other)
        return story

    def _split_check(self, story: int, doc_id: str) -> int:
        """Bisect the story at its checkpoint; split it when its halves are far apart. The half
        holding its first article keeps the id; copies follow their originals."""
        size = self._centroids.count[story]
        if self.split is None or size < self._checks.get(story, FIRST_CHECK):
            return story
        self._checks[story] = next_check(size)
        docs = self._docs
        ids = [d for d in self._members[story] if docs[d].active and docs[d].copy_of is None]
        found = bisect([docs[d].vector for d in ids], self.min_part, seed=story)
        if found is None or found[1] >= self.split:
            return story
        labels = found[0]
        moved = {d for d, side in zip(ids, labels, strict=True) if side != labels[0]}
        new = self._move(moved, story)
        self._checks[story] = next_check(self._centroids.count[story])
        self._checks[new] = next_check(self._centroids.count[new])
        return self.story_of(doc_id)

    def _forget(self, story: int) -> None:
        self._checks.pop(story, None)


def cluster_texts(texts: list[str], **options: object) -> list[list[int]]:
    """Group plain texts into stories; each story is a list of indexes into `texts`."""
    clusterer = StoryClusterer(**options)  # type: ignore[arg-type]
    for i, text in enumerate(texts):
        clusterer.add(str(i), "", text, None, "")
    return [[int(d) for d in members] for members in clusterer.clusters()]


def cluster_documents(documents: Sequence[tuple[str, str]], **options: object) -> list[list[int]]:
    """Group (title, text) pairs into stories: sorted lists of indexes, in order of their first."""
    clusterer = StoryClusterer(**options)  # type: ignore[arg-type]
    for i, (title, text) in enumerate(documents):
        clusterer.add(str(i), title, text, None, "")
    return sorted(sorted(int(d) for d in members) for members in clusterer.clusters())
