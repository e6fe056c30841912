"""Vectors for story clustering: content words, a streaming TF-IDF and two sparse indexes.

- `terms`: lower-cased content words (no stop words, no possessive 's, plural -s stripped);
- `StreamingTfIdf`: unit TF-IDF vectors (sublinear term frequency) whose document frequencies
  follow the stream: a document counts from its arrival until it leaves the time window;
- `Centroids`: each story's sum of member vectors, with an inverted index from term to stories,
  so that a new vector is scored only against the stories it shares a term with;
- `Members`: the member vectors themselves, indexed the same way, for the nearest member.

Both indexes answer two ways: exhaustively (every story or member sharing any term, a cost that
grows with the window: a common word is in most stories) or by candidates (`top_terms`: only
the article's highest-weighted terms, and of each term's postings only the most recent
`per_term`; a bounded amount of work per article, whatever the window holds). Candidates are
then scored exactly.

Pure Python: sparse vectors are dicts from term to weight.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import islice
from operator import itemgetter

Vector = dict[str, float]

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


def term_counts(words: Iterable[str]) -> dict[str, int]:
    """How often each term occurs, terms in order of first use."""
    counts: dict[str, int] = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    return counts


def dot(a: Vector, b: Vector) -> float:
    """The dot product of two sparse vectors."""
    return sum([a[t] * b[t] for t in a.keys() & b.keys()])  # the intersection is built in C


def top_terms(vector: Vector, count: int) -> list[tuple[str, float]]:
    """The `count` highest-weighted terms of a vector, with their weights."""
    if len(vector) <= count:
        return list(vector.items())
    return heapq.nlargest(count, vector.items(), key=itemgetter(1))


def add_into(total: Vector, vector: Vector, sign: float = 1.0) -> None:
    """`total += sign * vector`, in place."""
    for t, w in vector.items():
        total[t] = total.get(t, 0.0) + sign * w


class StreamingTfIdf:
    """TF-IDF weights with document frequencies over the documents now in the window."""

    def __init__(self) -> None:
        self.df: dict[str, int] = defaultdict(int)
        self.n = 0

    def add(self, words: Iterable[str]) -> Vector:
        """Count a document in; return its unit vector weighted with the IDF of now."""
        return self.add_counts(term_counts(words))

    def add_counts(self, counts: dict[str, int]) -> Vector:
        """`add` for a document's term counts (`term_counts`)."""
        self.n += 1
        for word in counts:
            self.df[word] += 1
        weights = {
            t: (1 + math.log(c)) * (math.log((self.n + 1) / (self.df[t] + 1)) + 1)
            for t, c in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def remove(self, vector: Vector) -> None:
        """Count a document out (it left the window)."""
        self.n -= 1
        for t in vector:
            self.df[t] -= 1
            if self.df[t] <= 0:
                del self.df[t]


class Centroids:
    """Per story: the sum of its members' vectors, its squared norm and its member count."""

    def __init__(self) -> None:
        self.sums: dict[int, Vector] = {}
        self.norm2: dict[int, float] = {}
        self.count: dict[int, int] = {}
        # term -> {story: the story's sum}, stories in order of arrival
        self._postings: dict[str, dict[int, Vector]] = defaultdict(dict)

    def open(self, story: int) -> None:
        self.sums[story], self.norm2[story], self.count[story] = {}, 0.0, 0

    def close(self, story: int) -> None:
        for t in self.sums.pop(story):
            self._drop_posting(t, story)
        del self.norm2[story], self.count[story]

    def put(self, story: int, vector: Vector, count: int) -> None:
        """Add (count > 0) or remove (count < 0) a sum of `abs(count)` vectors."""
        total = self.sums[story]
        sign = 1.0 if count > 0 else -1.0
        norm2 = self.norm2[story] + 2 * sign * dot(vector, total) + dot(vector, vector)
        self.count[story] += count
        self.norm2[story] = max(0.0, norm2)
        if count > 0:  # weights are positive: a sum only grows (the common case, kept quick)
            postings = self._postings
            for t, w in vector.items():
                if t in total:
                    total[t] += w
                else:
                    total[t] = w
                    postings[t][story] = total
            return
        for t, w in vector.items():
            value = total.get(t, 0.0) + sign * w
            if self.count[story] > 0 and abs(value) >= 1e-9:
                if t not in total:
                    self._postings[t][story] = total
                total[t] = value
            elif t in total:
                del total[t]
                self._drop_posting(t, story)
        if self.count[story] <= 0:
            for t in total:
                self._drop_posting(t, story)
            total.clear()
            norm2 = 0.0
        self.norm2[story] = max(0.0, norm2)

    def scores(self, vector: Vector) -> dict[int, float]:
        """Cosine of a unit vector to every story centroid it shares a term with."""
        dots: dict[int, float] = defaultdict(float)
        for t, w in vector.items():
            for story, total in self._postings.get(t, {}).items():
                dots[story] += w * total[t]
        return {s: d / math.sqrt(self.norm2[s]) for s, d in dots.items() if d > 0}

    def candidates(self, query: list[tuple[str, float]], per_term: int) -> dict[int, float]:
        """Partial cosines (over the query terms only) of the stories found through each query
        term's `per_term` most recent postings."""
        dots: dict[int, float] = defaultdict(float)
        for t, w in query:
            found = self._postings.get(t)
            if found:
                for story, total in islice(reversed(found.items()), per_term):
                    dots[story] += w * total[t]
        norm2 = self.norm2
        return {s: d / math.sqrt(norm2[s]) for s, d in dots.items() if d > 0}

    def cosines(self, vector: Vector, stories: Iterable[int]) -> dict[int, float]:
        """Exact cosine of a unit vector to the centroids of some stories (positive ones)."""
        found = {}
        for story in stories:
            d = dot(vector, self.sums[story])
            if d > 0:
                found[story] = d / math.sqrt(self.norm2[story])
        return found

    def cosine(self, one: int, two: int) -> float:
        """Cosine between two stories' centroids."""
        denominator = math.sqrt(self.norm2[one] * self.norm2[two])
        return dot(self.sums[one], self.sums[two]) / denominator if denominator else 0.0

    def _drop_posting(self, term: str, story: int) -> None:
        stories = self._postings.get(term)
        if stories is not None:
            stories.pop(story, None)
            if not stories:
                del self._postings[term]


class Members:
    """Member vectors indexed by term: the nearest member of each story to a new vector."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[str, float]] = defaultdict(dict)  # in order of arrival
        self._vectors: dict[str, Vector] = {}

    def add(self, doc_id: str, vector: Vector) -> None:
        self._vectors[doc_id] = vector
        for t, w in vector.items():
            self._postings[t][doc_id] = w

    def remove(self, doc_id: str, vector: Vector) -> None:
        self._vectors.pop(doc_id, None)
        for t in vector:
            docs = self._postings.get(t)
            if docs is not None:
                docs.pop(doc_id, None)
                if not docs:
                    del self._postings[t]

    def nearest(self, vector: Vector, story_of: Callable[[str], int]) -> dict[int, float]:
        """Per story, the highest cosine of a unit vector to one of its members."""
        dots: dict[str, float] = defaultdict(float)
        for t, w in vector.items():
            for doc_id, x in self._postings.get(t, {}).items():
                dots[doc_id] += w * x
        best: dict[int, float] = {}
        for doc_id, value in dots.items():
            story = story_of(doc_id)
            if value > best.get(story, 0.0):
                best[story] = value
        return best

    def nearest_candidates(
        self,
        vector: Vector,
        query: list[tuple[str, float]],
        per_term: int,
        story_of: Callable[[str], int],
        stories: int,
        per_story: int,
    ) -> dict[int, float]:
        """For the `stories` stories whose members weigh most on the query terms, the highest
        exact cosine of a unit vector to one of their members.

        Members are found through the query terms' `per_term` most recent postings; of each
        story, the `per_story` members closest on the query terms are scored exactly.
        """
        partial: dict[str, float] = defaultdict(float)
        for t, w in query:
            found = self._postings.get(t)
            if found:
                for doc_id, x in islice(reversed(found.items()), per_term):
                    partial[doc_id] += w * x
        by_story: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for doc_id, value in partial.items():
            by_story[story_of(doc_id)].append((value, doc_id))
        ranked = heapq.nlargest(stories, by_story.items(), key=lambda item: max(item[1]))
        best: dict[int, float] = {}
        for story, docs in ranked:
            closest = heapq.nlargest(per_story, docs) if len(docs) > per_story else docs
            value = max(dot(vector, self._vectors[doc_id]) for _, doc_id in closest)
            if value > 0:
                best[story] = value
        return best
