"""The embedded extractive summarizer: whole sentences chosen by position and centrality.

News is written as an inverted pyramid, so a sentence's position is the strongest single signal:
a sentence scores 1/(rank+1) among the article's content sentences, plus ``CENTRALITY_WEIGHT``
times its centrality (mean TF-IDF cosine to the other sentences, averaged with its cosine to the
title, scaled to [0, 1]). Sentences that carry no news (bylines, datelines alone, "Scroll down
for video", credits, questions to readers, the headline repeated) are skipped, and so is a
sentence too similar to one already chosen. Pure Python, deterministic, no network.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from bot.nlp.text import sentence_spans


def _word_set(spec: str) -> frozenset[str]:
    return frozenset(spec.split())


# Chosen on the even half of SummEval's 100 CNN/DM articles (sorted by doc_id), never on the
# odd half: weights 0, 0.1, 0.25, 0.5, 1 gave ROUGE-1 42.09, 41.95, 41.54, 39.34, 38.61 there,
# and ROUGE-2 and -Lsum fell alike. On news, position alone ranks best (`newsbot eval summaries`).
CENTRALITY_WEIGHT = 0.0
# A sentence whose TF-IDF cosine to one already chosen exceeds this mostly repeats it (set from
# principle, not fitted).
REDUNDANCY = 0.5
MIN_WORDS = 4  # shorter sentences are fragments or labels, not statements

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_STOP = _word_set(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself said says say told mr mrs ms
    one two new year years also like get got just many much may might must"""
)
_BOILERPLATE = re.compile(
    r"""^(?:scroll\s+down|click\s+here|read\s+more|related\s*:|watch\s*:|video\s*:|advertisement
    |tell\s+us|let\s+us\s+know|comment\s+below|join\s+the\s+(?:conversation|debate)
    |sign\s+up|subscribe|follow\s+(?:us|@)|share\s+(?:this|your)|published\s*:|updated\s*:
    |last\s+updated|copyright|all\s+rights\s+reserved|\(?(?:photo|image|picture|credit)s?\b.{0,40}$
    |by\s+\S+(?:\s+\S+){0,4}$)""",
    re.IGNORECASE | re.VERBOSE,
)
# "LONDON (Reuters) -", "(CNN)", "WASHINGTON —": a dateline on its own.
_DATELINE = re.compile(
    r"^[A-Z][A-Z .,'-]*(?:\([^)]{1,30}\))?\s*[-—–:]?$|^\([^)]{1,30}\)\s*[-—–:]?$"
)
_CONTACT = re.compile(r"[\w.+-]@[\w-]+\.\w|https?://|\bwww\.", re.IGNORECASE)
_PHOTO_CREDIT = re.compile(r"\b(?:getty images|ap photo|reuters/|afp/|photograph:)", re.IGNORECASE)


def summarize_text(
    text: str, *, title: str | None = None, sentences: int = 3, max_chars: int = 600
) -> list[str]:
    """Up to ``sentences`` whole sentences of ``text``, in article order, within ``max_chars``.

    The joined sentences (one space apart) never exceed ``max_chars``, except when the single best
    sentence is longer: then it alone is returned, whole. A sentence is never cut. A line that
    repeats ``title`` is skipped; the title also counts toward centrality.
    """
    spans = sentence_spans(text)
    if not spans or sentences < 1:
        return []
    all_sentences = [text[a:b] for a, b in spans]
    headline = _words(title) if title else None
    content = [
        i
        for i, s in enumerate(all_sentences)
        if is_content(s) and (headline is None or _words(s) != headline)
    ]
    if not content:
        content = list(range(len(all_sentences)))
    vectors = [_vector(all_sentences[i]) for i in content]
    _weight(vectors)
    scores = _scores(vectors, _vector(title) if title else None)

    ranked = sorted(range(len(content)), key=lambda k: (-scores[k], k))
    best = ranked[0]
    if len(all_sentences[content[best]]) > max_chars:
        return [all_sentences[content[best]]]
    chosen: list[int] = []
    used = -1  # the joining space of the first sentence is not counted
    for k in ranked:
        length = len(all_sentences[content[k]]) + 1
        if used + length > max_chars:
            continue
        if any(_cosine(vectors[k], vectors[j]) > REDUNDANCY for j in chosen):
            continue
        chosen.append(k)
        used += length
        if len(chosen) == sentences:
            break
    return [all_sentences[content[k]] for k in sorted(chosen)]


def is_content(sentence: str) -> bool:
    """Whether a sentence can carry news: not a byline, dateline, credit, prompt or question."""
    stripped = sentence.strip().rstrip("\"'”’)]")
    if stripped.endswith("?"):
        return False  # questions to readers, and quoted questions, state no fact
    if len(_WORD.findall(sentence)) < MIN_WORDS:
        return False
    if _BOILERPLATE.match(stripped) or _DATELINE.match(stripped):
        return False
    if sentence.count("“") != sentence.count("”"):
        return False  # one sentence of a longer quotation: out of it, it loses its speaker
    return not (_CONTACT.search(stripped) or _PHOTO_CREDIT.search(stripped))


def _scores(vectors: list[dict[str, float]], title: dict[str, float] | None) -> list[float]:
    """Position prior 1/(rank+1) plus the weighted centrality."""
    prior = [1.0 / (i + 1) for i in range(len(vectors))]
    if not CENTRALITY_WEIGHT:
        return prior
    centrality = _centrality(vectors, title)
    return [p + CENTRALITY_WEIGHT * c for p, c in zip(prior, centrality, strict=True)]


def _centrality(vectors: list[dict[str, float]], title: dict[str, float] | None) -> list[float]:
    """Mean cosine to the other sentences (averaged with the title's cosine), max scaled to 1."""
    n = len(vectors)
    centroid: Counter[str] = Counter()
    for vector in vectors:
        centroid.update(vector)
    # The vectors have unit length, so each one's dot product with itself is 1.
    centrality = [
        (sum(w * centroid[t] for t, w in v.items()) - 1.0) / (n - 1) if n > 1 and v else 0.0
        for v in vectors
    ]
    if title:
        _normalize(title)
        centrality = [(c + _cosine(v, title)) / 2 for c, v in zip(centrality, vectors, strict=True)]
    top = max(centrality)
    return [c / top for c in centrality] if top > 0 else centrality


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _vector(text: str) -> dict[str, float]:
    terms = (_stem(w) for w in _words(text))
    return dict(Counter(t for t in terms if t not in _STOP and len(t) > 1))


def _weight(vectors: list[dict[str, float]]) -> None:
    """TF-IDF with document frequencies counted over the article's sentences, then unit length."""
    n = len(vectors)
    df: Counter[str] = Counter()
    for vector in vectors:
        df.update(vector.keys())
    for vector in vectors:
        for term, tf in vector.items():
            vector[term] = tf * (1.0 + math.log((1 + n) / (1 + df[term])))
        _normalize(vector)


def _normalize(vector: dict[str, float]) -> None:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    if norm:
        for term in vector:
            vector[term] /= norm


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """A light suffix stripper: enough to match plurals and tenses within one article."""
    for apostrophe in ("'s", "’s"):
        if word.endswith(apostrophe):
            word = word[:-2]
    if len(word) <= 4:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word
