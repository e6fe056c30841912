"""A question's words for search (bot/store/search.py): which of them count, the other forms
articles write them in, how much each weighs, the word sets of each level, and how SQLite's
FTS5 and PostgreSQL's tsquery write each word."""

from __future__ import annotations

import math
import re
import unicodedata
from itertools import combinations

MAX_TERMS = 16
MAX_TERM_CHARS = 64
RANKED_TERMS = 8  # the rarest words of a question that the levels are built from
MAX_SETS = 40  # word sets per level (each an AND of words); the heaviest are kept
NAME_WEIGHT = 2.0  # a word of a name (capitalised in the question) weighs double

# Question words and glue: on SQLite they would match nearly every article (PostgreSQL's english
# configuration drops its own list); dropping them on both keeps the two backends alike.
_STOP_WORDS = """
    a about after all also an and any are as at be been but by can could did do does for from had
    has have he her his how i if in into is it its me my no not of on or our she so than that the
    their them then there these they this those to was we were what when where which who whom why
    will with would you your"""
_STOP = frozenset(_STOP_WORDS.split())
# A word, or words joined by . & ' or - ("jd.com", "at&t", "weight-loss"): a phrase on SQLite,
# one lexeme (a host name) or several on PostgreSQL, as the articles' own text was indexed.
_TERM = re.compile(r"[^\W_]+(?:[.&'’-][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
# Words a question uses for what articles write otherwise: an article that holds the other
# form matches the word ("Who is the new CEO?" of "names ... chief executive").
ALSO = {
    "ceo": "chief executive",
    "cfo": "chief financial officer",
    "cto": "chief technology officer",
    "ipo": "initial public offering",
    "laying": "layoffs",
    "laid": "layoffs",
}


# A question about what someone said ("What did unions say about ...?").
_SPEECH_WORDS = """say says said tell told think thinks thought comment commented quote quoted
    claim claimed warn warned respond responded react reacted reply replied promise promised"""
SPEECH = frozenset(_SPEECH_WORDS.split())
# Words that frame a question about the news rather than say what it is about ("What did
# Huawei announce?"), or name the kind of amount it asks for ("How much did Tesla pay for Rossi
# Energy?" of "agreed to buy Rossi Energy for $87 billion"): an answer rarely repeats them, so
# they weigh a quarter, in search and in /ask's cover alike. (Weighed fully, "say" made
# "Goldman Sachs says ... caused outage" the heaviest match of "What did unions say about
# Goldman Sachs layoffs?", and outage stories filled the candidates.)
_FRAME_WORDS = """announce announced announcement unveil unveiled reveal revealed report reported
    plan planned happen happened latest recent recently update detail news think mean going
    many much pay paid cost costs worth price"""
FRAME = SPEECH | frozenset(_FRAME_WORDS.split())
FRAME_WEIGHT = 0.25


def search_terms(query: str) -> list[str]:
    """The words of a user's query, lower-cased, without operators, quotes or stop words."""
    text_ = unicodedata.normalize("NFKC", query).casefold()
    words = [_POSSESSIVE.sub("", word) for word in _TERM.findall(text_)]
    kept = [w for w in words if w not in _STOP and len(w) <= MAX_TERM_CHARS]
    return list(dict.fromkeys(kept))[:MAX_TERMS]


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every term a quoted string, any term may match."""
    return " OR ".join(fts5_term(term) for term in terms)


def fts5_term(term: str) -> str:
    """A term as an FTS5 string, or its other form too (see ALSO)."""
    quoted = '"' + term.replace('"', '""') + '"'
    return f'({quoted} OR "{ALSO[term]}")' if term in ALSO else quoted


def pg_word(term: str, key: str) -> str:
    """The tsquery of a term (with its other form, see ALSO), its parameters named `key`."""
    word = f"plainto_tsquery('english', :{key})"
    return f"({word} || phraseto_tsquery('english', :{key}_also))" if term in ALSO else word


def pg_params(term: str, key: str) -> dict[str, str]:
    """The parameters of pg_word(term, key)."""
    return {key: term, f"{key}_also": ALSO[term]} if term in ALSO else {key: term}


def named_words(query: str) -> set[str]:
    """The words of the names a query gives: capitalised words after its first ("How much is
    the Red Hat Arm deal worth?" → red, hat, arm), as search_terms writes them."""
    words = _TERM.findall(unicodedata.normalize("NFKC", query))[1:]
    return {_POSSESSIVE.sub("", w.casefold()) for w in words if w[:1].isupper()}


def term_weights(
    frequencies: dict[str, int], total: int, names: set[str] | frozenset[str] = frozenset()
) -> dict[str, float]:
    """Each word's weight, log(1 + N / df), doubled for a word of a name (the question is
    about who or what it names), a quarter for a word that frames the question (FRAME), for
    the words found at all; the rarest words first, at most RANKED_TERMS of them."""
    found = sorted((df, term) for term, df in frequencies.items() if df > 0)
    return {
        term: _kind(term, names) * math.log(1.0 + max(total, df) / df)
        for df, term in found[:RANKED_TERMS]
    }


def _kind(term: str, names: set[str] | frozenset[str]) -> float:
    if term in names:
        return NAME_WEIGHT
    # Search keeps a word's own form ("announces"); /ask's terms drop the plural -s.
    framing = term in FRAME or (term.endswith("s") and term[:-1] in FRAME)
    return FRAME_WEIGHT if framing else 1.0


def word_sets(weights: dict[str, float], share: float) -> list[tuple[str, ...]]:
    """The smallest sets of words that hold `share` of the total weight (no word of a set can
    go without it falling short), the heaviest first; at most MAX_SETS."""
    total = sum(weights.values())
    if share >= 1.0:
        return [tuple(weights)] if weights else []
    if share <= 0.0:
        return [(word,) for word in weights]
    need = share * total - 1e-9
    words = list(weights)
    found: list[tuple[str, ...]] = []
    for size in range(1, len(words) + 1):
        for group in combinations(words, size):
            weight = sum(weights[w] for w in group)
            if weight >= need and all(weight - weights[w] < need for w in group):
                found.append(group)
    found.sort(key=lambda group: -sum(weights[w] for w in group))
    return found[:MAX_SETS]
