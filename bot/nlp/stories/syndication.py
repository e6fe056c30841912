"""Syndication: find near-verbatim copies of an article already seen.

A wire story reaches many outlets as the same text under other headlines, with an intro line or
boilerplate added. Such a copy shares almost all the word 5-shingles of the original: the copy
*contains* the original (or the other way round), even when the extra lines make the Jaccard
similarity of the two texts low. So the test is containment, estimated on a fixed 1-in-`sample`
subset of the shingle hashes (Broder's mod-m sampling), which keeps the index small without
MinHash signatures or another dependency.

Boilerplate shingles ("did not respond to a request for comment") are in thousands of texts:
candidates are found through each shingle's `per_shingle` most recent texts only, and the few
sharing the most are then compared exactly, so a lookup costs the same in any window.
"""

from __future__ import annotations

import heapq
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable
from itertools import islice

_WORD = re.compile(r"[^\W_]+")


def shingles(text: str, size: int = 5, sample: int = 4) -> set[int]:
    """Hashes of the text's word `size`-shingles, keeping those divisible by `sample`.

    The hash is CRC-32, stable across processes (unlike `hash()`), so the same text always
    keeps the same sample.
    """
    words = _WORD.findall(text.lower())
    if len(words) < size:
        words_shingles = [" ".join(words)] if words else []
    else:
        words_shingles = [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
    hashes = (zlib.crc32(s.encode()) for s in words_shingles)
    return {h for h in hashes if h % sample == 0}


class SyndicationIndex:
    """An index of recent texts that tells whether a new text copies one of them."""

    def __init__(
        self,
        size: int = 5,
        sample: int = 4,
        containment: float = 0.8,
        min_shingles: int = 6,
        per_shingle: int = 20,  # a copy shares its original's rare shingles: 100 was 5x the work
        compared: int = 8,
    ) -> None:
        self.size = size
        self.sample = sample
        self.containment = containment
        self.min_shingles = min_shingles  # sampled shingles; fewer is too short to judge
        self.per_shingle = per_shingle
        self.compared = compared  # candidates compared exactly
        self._postings: dict[int, dict[str, None]] = defaultdict(dict)  # in order of arrival
        self._docs: dict[str, set[int]] = {}
        self._rank: dict[str, int] = {}  # order of indexing
        self._indexed = 0

    def __len__(self) -> int:
        return len(self._docs)

    def find(self, text: str) -> str | None:
        """The indexed document that `text` copies or is contained in, or None."""
        return self._find(shingles(text, self.size, self.sample))

    def add(self, doc_id: str, text: str, among: Iterable[str] | None = None) -> str | None:
        """Index a document; return the id of the earlier document it copies, if any (of the
        documents `among` only, when given)."""
        return self.add_sample(doc_id, self.sample_of(text), among)

    def sample_of(self, text: str) -> set[int]:
        """The sampled shingle hashes this index keeps of a text."""
        return shingles(text, self.size, self.sample)

    def add_sample(
        self, doc_id: str, sample: set[int], among: Iterable[str] | None = None
    ) -> str | None:
        """`add` for a text's sampled shingles (`sample_of`)."""
        original = self._find(sample, among)
        if doc_id in self._docs:
            self.remove(doc_id)
        self._docs[doc_id] = sample
        self._rank[doc_id] = self._indexed
        self._indexed += 1
        for h in sample:
            self._postings[h][doc_id] = None
        return original

    def remove(self, doc_id: str) -> None:
        """Forget a document (it left the time window)."""
        self._rank.pop(doc_id, None)
        for h in self._docs.pop(doc_id, ()):
            ids = self._postings[h]
            ids.pop(doc_id, None)
            if not ids:
                del self._postings[h]

    def _find(self, sample: set[int], among: Iterable[str] | None = None) -> str | None:
        if len(sample) < self.min_shingles:
            return None
        if among is not None:
            likely = [other for other in among if other in self._docs]
        else:
            shared: dict[str, int] = defaultdict(int)
            for h in sample:
                found = self._postings.get(h)
                if found:
                    for other in islice(reversed(found), self.per_shingle):
                        shared[other] += 1
            likely = heapq.nlargest(self.compared, shared, key=shared.__getitem__)
        best, best_score = None, 0.0
        for other in sorted(likely, key=self._rank.__getitem__):  # ties go to the oldest
            theirs = self._docs[other]
            smaller = min(len(sample), len(theirs))
            if smaller < self.min_shingles:
                continue
            score = len(sample & theirs) / smaller
            if score >= self.containment and score > best_score:
                best, best_score = other, score
        return best
