"""Related words for /ask, learned from the stored news: the words that keep company with a
question's word in the articles that use it ("laying off" goes with "job cuts", "plant" with
"factory"), so that a story told in other words than the question's still answers it.

A word's related words are those that the newest articles holding it hold far more often than
the store at large (at least `MIN_LIFT` times as often, and in at least `MIN_SHARE` of them),
each weighed by how much more often: the share of the word's articles that hold it less the
share of all articles that do. Nothing is learned from fewer than `MIN_TEXTS` articles. A text
holding related words covers the word partly (noisy-or of their weights), never more than
`MAX_COVER`: the word itself says it best. What is learned is kept `KEPT_SECONDS` per store (a
word's company changes slowly; a question's words are looked up once, not at every question).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Protocol

from bot.nlp.stories.cluster import terms

TEXTS = 100  # the newest articles holding the word that are read
MIN_TEXTS = 10
MIN_COUNT = 5
MIN_SHARE = 0.25
MIN_LIFT = 4.0
CANDIDATES = 24  # the words most often beside it whose frequency in the store is looked up
KEEP = 8
MAX_COVER = 0.6
KEPT_SECONDS = 900.0
KEPT_WORDS = 1024  # per store

Related = dict[str, float]


class WordSource(Protocol):
    """The part of NewsIndex related words are learned from."""

    async def texts_with(self, word: str, *, limit: int = 100) -> list[str]: ...
    async def word_frequencies(self, words: list[str]) -> tuple[int, dict[str, int]]: ...


def companions(texts: Iterable[str], same: Callable[[str], bool]) -> Counter[str]:
    """How many of the texts hold each word, the word's own forms (`same`) left out."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in set(terms(text)) if not same(w))
    return counts


def associate(
    counts: Counter[str], texts: int, total: int, frequencies: dict[str, int], keep: int = KEEP
) -> Related:
    """Each companion's weight (see the module): the share of the word's `texts` that hold it,
    less the share of the `total` stored articles that do; only those `MIN_LIFT` times as
    common beside the word as anywhere, the `keep` heaviest."""
    if texts < MIN_TEXTS or total <= 0:
        return {}
    weights: Related = {}
    for word, count in counts.items():
        stored = frequencies.get(word, 0)
        if stored <= 0 or count < max(MIN_COUNT, MIN_SHARE * texts):
            continue
        beside, anywhere = count / texts, min(1.0, stored / total)
        if beside >= MIN_LIFT * anywhere:
            weights[word] = beside - anywhere
    heaviest = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:keep]
    return dict(heaviest)


_kept: weakref.WeakKeyDictionary[WordSource, dict[str, tuple[float, Related]]] = (
    weakref.WeakKeyDictionary()
)


async def related_words(source: WordSource, word: str, same: Callable[[str], bool]) -> Related:
    """The related words of a word, learned from the store (see the module), less those that
    are forms of the question's own words (`same`)."""
    kept = _kept.setdefault(source, {})
    now = time.monotonic()
    if word in kept and now - kept[word][0] < KEPT_SECONDS:
        learned = kept[word][1]
    else:
        learned = await _learn(source, word)
        if len(kept) >= KEPT_WORDS:
            kept.pop(next(iter(kept)))  # the oldest
        kept.pop(word, None)
        kept[word] = (now, learned)
    return dict([(w, weight) for w, weight in learned.items() if not same(w)][:KEEP])


async def _learn(source: WordSource, word: str) -> Related:
    texts = await source.texts_with(word, limit=TEXTS)
    if len(texts) < MIN_TEXTS:
        return {}
    # Up to 100 openings of 600 characters: read in a thread, as /ask reads its candidates.
    counts = await asyncio.to_thread(companions, texts, lambda w: w == word)
    floor = max(MIN_COUNT, MIN_SHARE * len(texts))
    common = [w for w, n in counts.most_common(CANDIDATES) if n >= floor]
    if not common:
        return {}
    total, frequencies = await source.word_frequencies(common)
    counted = Counter({w: counts[w] for w in common})
    # Twice as many as kept: a question's own words are left out of them (related_words).
    return associate(counted, len(texts), total, frequencies, 2 * KEEP)


def partial_cover(related: Related, has: Callable[[str], bool]) -> float:
    """How much of a word a text covers through its related words (0..MAX_COVER)."""
    missing = 1.0
    for word, weight in related.items():
        if has(word):
            missing *= 1.0 - weight
    return min(MAX_COVER, 1.0 - missing)
