"""How well a text matches a question, for /ask: the question's words and their weights, the
forms a word takes ("rose" of "rise", "CEO" of "chief executive"), a text's vocabulary, the share
of the question a text covers, and the sentences that answer it best. Pure functions, no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from bot.models import Article
from bot.nlp.stories.cluster import terms
from bot.nlp.text import split_sentences
from bot.store.search_words import ALSO, FRAME, FRAME_WEIGHT, SPEECH
from bot.summarize.related import Related, partial_cover

_QUOTE_MARKS = frozenset('"“”„«»「」『』‘’‚‹›')
# A question about what someone said prefers a sentence that quotes them. Words that only frame
# a question weigh little (the search's own list, bot/store/search_words.py).
_FRAME = frozenset(terms(" ".join(FRAME))) | FRAME
_WORD = re.compile(r"[^\W_]+")
_NAME_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
NAME_WEIGHT = 2.0


# The irregular forms news writes and questions ask in another form ("Why did shares rise?" of
# "shares rose"), and the forms of "lay off" and "layoffs": each meets its base.
_IRREGULAR_FORMS = """rose:rise risen:rise fell:fall fallen:fall bought:buy paid:pay sold:sell
    took:take taken:take led:lead grew:grow grown:grow won:win lost:lose spent:spend built:build
    began:begin begun:begin gave:give given:give went:go gone:go held:hold brought:bring
    sought:seek struck:strike chose:choose chosen:choose wrote:write written:write became:become
    came:come fought:fight left:leave met:meet thought:think saw:see seen:see hid:hide
    laid:lay laying:lay layoff:lay layoffs:lay"""
_IRREGULAR = dict(pair.split(":") for pair in _IRREGULAR_FORMS.split())
# The other forms a question's word has in articles ("CEO" of "chief executive"): the
# search's own list.
_SPELLED_OUT = {word: tuple(other.split()) for word, other in ALSO.items()}


def stem(word: str) -> str:
    """A word without the English endings that change its form, not its sense: "cutting" and
    "cut", "announced" and "announce", "buying" and "buy", "rose" and "rise" meet. (Plural -s
    is gone already.)"""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    elif len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "cutt" → "cut", "stopp" → "stop"; "sell", "pass" stay
    return word


class Vocabulary:
    """The words of a text, for matching a question's word loosely: the same stem, or one that
    begins the same as far as a prefix tells ("founder" ~ "founded", "europe" ~ "european")."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = {stem(w) for w in words}
        self.prefixes = {w[:k] for w in self.words for k in (4, 5) if len(w) >= k}

    def has(self, term: str) -> bool:
        spelled = _SPELLED_OUT.get(term)
        if spelled is not None and all(self.has(word) for word in spelled):
            return True
        term = stem(term)
        if term in self.words:
            return True
        if len(term) >= 5 and term[:5] in self.prefixes:
            return True
        if len(term) == 4 and term in self.prefixes:
            return True
        return any(term[:k] in self.words for k in range(4, len(term)))


def is_frame(term: str) -> bool:
    """Whether a question word only frames the question ("announce", "say": see _FRAME)."""
    return term in _FRAME


def question_terms(question: str) -> list[str]:
    """The content words of a question, in any script (stop words of English left out)."""
    return list(dict.fromkeys(terms(question)))


def named_terms(question: str) -> set[str]:
    """The words of the names a question gives: capitalised words after its first ("What did
    Huawei's founder say about Joe Biden?" → huawei, joe, biden)."""
    words = _NAME_WORD.findall(question)[1:]
    return {t for word in words if word[:1].isupper() for t in terms(word)}


def _kind_weight(term: str, names: set[str]) -> float:
    if term in names:
        return NAME_WEIGHT
    # A bare number is a detail an answer may write otherwise ("10", "ten", "10.0").
    return FRAME_WEIGHT if term in _FRAME or term.isdigit() else 1.0


def term_weights(
    wanted: list[str], vocabularies: list[Vocabulary], names: set[str] = frozenset()
) -> dict[str, float]:
    """Each question word's weight: how rare it is among the candidates (inverse document
    frequency; a word no candidate has weighs most), doubled for a word of a name (an answer
    is about who or what the question names), a quarter for a word that only frames the
    question ("announce", "say") and for a bare number."""
    count = len(vocabularies)
    return {
        term: _kind_weight(term, names)
        * math.log(1.0 + (count + 1) / (sum(v.has(term) for v in vocabularies) + 0.5))
        for term in wanted
    }


def cover(
    weights: dict[str, float],
    vocabulary: Vocabulary,
    related: dict[str, Related] | None = None,
) -> float:
    """The share of the question's weight the text covers (0..1): a word it holds counts
    whole, a word it does not hold counts in part through its related words."""
    total = sum(weights.values())
    if not total:
        return 0.0
    covered = 0.0
    for term, weight in weights.items():
        if vocabulary.has(term):
            covered += weight
        elif related and related.get(term):
            covered += weight * partial_cover(related[term], vocabulary.has)
    return covered / total


def _sentence_score(
    weights: dict[str, float],
    sentence: str,
    before: str,
    speech: bool,
    related: dict[str, Related] | None = None,
) -> float:
    own = cover(weights, Vocabulary(terms(sentence)), related)
    if own == 0:
        return 0.0
    # The sentence before often names who speaks or what about; it counts for a little.
    context = 0.3 * cover(weights, Vocabulary(terms(before)), related) if before else 0.0
    quoted = 0.15 if speech and any(ch in _QUOTE_MARKS for ch in sentence) else 0.0
    # Among equals, shorter sentences say it more directly.
    return (own + context + quoted) / (1.0 + 0.05 * math.log1p(len(sentence.split())))


def best_sentences(
    question: str,
    articles: list[Article],
    limit: int,
    weights: dict[str, float] | None = None,
    related: dict[str, Related] | None = None,
) -> tuple[list[str], float]:
    """The sentences of the articles that answer the question best, best first: those that
    cover most of its (weighted) words, with their preceding sentence as context, a quoting
    sentence first when the question asks what someone said.

    With no sentence sharing a word, the lead article's first sentence stands in.
    """
    wanted = question_terms(question)
    if weights is None:
        weights = dict.fromkeys(wanted, 1.0)
    speech = any(word in SPEECH for word in _WORD.findall(question.casefold()))
    scored: dict[str, float] = {}
    for article in articles:
        previous = ""
        for sentence in split_sentences(article.text):
            if len(sentence) >= 20 and sentence not in scored:
                scored[sentence] = _sentence_score(weights, sentence, previous, speech, related)
            previous = sentence
    ranked = sorted(scored, key=lambda s: -scored[s])
    chosen = [s for s in ranked if scored[s] > 0][:limit]
    if not chosen and articles:
        first = split_sentences(articles[0].text)
        chosen = first[:1] or [articles[0].title]
    return chosen, scored.get(chosen[0], 0.0) if chosen else 0.0
