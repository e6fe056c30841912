"""Person nouns around names, and speakers the article names only by their role.

A name that the article calls by a person noun is a person: "analyst Jane Doe", "An Apple
spokeswoman, Laura K. Benning," or "Jürgen Weiß, an analyst at Rheinblick". The noun also gives
a gender ("spokeswoman").

Some speakers have no name at all: "Intel's chief financial officer said", "An Indian government
official ... said" and later "the official said". Their quotes are attributed to the role as the
article describes it ("Intel's chief financial officer", "an Indian government official"), which
is better than no speaker and far better than the nearest name, often a place or a company.
"""

from __future__ import annotations

import bisect

from bot.nlp.quotes.subjects import Phrase
from bot.nlp.text import Token, word_set

# Words that end the search for a person noun before or after a name.
LINKS = word_set("of for at in on with by from to and or")
_APPOSITION_START = word_set("a an the another one")
_APPOSITION_STOP = word_set("of for at in on with by from to who whose which that")
_INTRO_ARTICLES = word_set("a an")
_INTRO_WORDS = 6  # an introduction's article is at most this many words before its noun


def noun_before(tokens: list[Token], k: int, nouns: frozenset[str]) -> str | None:
    """The person noun right before the name at tokens[k]: "analyst Jane Doe" (within three
    words), or "A spokesman, Rob Castellano" (the word before a comma before the name)."""
    for tok in reversed(tokens[max(0, k - 3) : k]):
        if not tok.is_word or tok.text.lower() in LINKS:
            break
        if tok.bare.lower() in nouns:
            return tok.bare.lower()
    if k >= 2 and tokens[k - 1].text == "," and tokens[k - 2].is_word:
        word = tokens[k - 2].bare.lower()
        if word in nouns:
            return word
    return None


def noun_after(tokens: list[Token], j: int, nouns: frozenset[str]) -> str | None:
    """The person noun of an apposition that starts at tokens[j], the comma after a name:
    ", an analyst at ...", ", Huawei's vice president for ...". Stops at "of", "who" and the
    like, so "Apple, whose chief executive" does not make Apple a person."""
    if j + 1 >= len(tokens) or tokens[j].text != ",":
        return None
    first = tokens[j + 1]
    opener = first.text.lower()
    if opener not in _APPOSITION_START and not (first.is_capitalized and first.bare != first.text):
        return None
    for tok in tokens[j + 2 : j + 9]:
        if not tok.is_word or tok.text.lower() in _APPOSITION_STOP:
            return None
        if tok.bare.lower() in nouns:
            return tok.bare.lower()
    return None


def role_text(text: str, start: int, end: int) -> str:
    """The role as the article writes it, with a leading article in lower case."""
    role = " ".join(text[start:end].split())
    first, _, rest = role.partition(" ")
    if first.lower() in ("a", "an", "the") and rest:
        return f"{first.lower()} {rest}"
    return role


class Introductions:
    """The indefinite descriptions of one article by head noun, for a later "the <noun>":
    "An Indian government official ... said. ... the official said". Built once, in one pass."""

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self._by_head: dict[str, tuple[list[int], list[str]]] = {}
        for k, tok in enumerate(tokens):
            role = _introduced(text, tokens, k)
            if role is not None:
                starts, roles = self._by_head.setdefault(tok.bare.lower(), ([], []))
                starts.append(tok.start)
                roles.append(role)

    def before(self, head: str, at: int) -> str | None:
        """The role of the nearest introduction with this head noun that starts before `at`."""
        starts, roles = self._by_head.get(head, ([], []))
        k = bisect.bisect_left(starts, at) - 1
        return roles[k] if k >= 0 else None


def _introduced(text: str, tokens: list[Token], k: int) -> str | None:
    """The role when tokens[k] is the head noun of an indefinite description ("an official")."""
    tok = tokens[k]
    for m in range(k - 1, max(-1, k - 1 - _INTRO_WORDS), -1):
        word = tokens[m]
        low = word.text.lower()
        if not word.is_word or low in LINKS:
            break
        if low in _INTRO_ARTICLES:
            return role_text(text, word.start, tok.end)
        if low in ("the", "this", "that") or word.bare != word.text:
            break  # a definite mention: look further back for the introduction
    return None


def owned(phrase: Phrase) -> bool:
    """A role with a named owner: "Intel's chief financial officer"."""
    first = phrase.text.split()[0]
    return first[0].isupper() and first.endswith(("’s", "'s"))


def role_of(
    text: str, phrase: Phrase, nouns: frozenset[str], introductions: Introductions
) -> str | None:
    """The role of an unnamed person speaker whose description has a head in `nouns`: an
    owner's ("Intel's chief financial officer"), a qualified indefinite one ("an Apple
    spokeswoman"), or for "the official" the introduction earlier in the article."""
    if phrase.kind != "description" or phrase.head not in nouns:
        return None
    words = phrase.text.split()
    if owned(phrase) or (words[0].lower() in _INTRO_ARTICLES and len(words) >= 3):
        return role_text(text, phrase.start, phrase.start + len(phrase.text))
    if words[0].lower() != "the" or any(w.endswith(("’s", "'s")) for w in words):
        return None  # "his spokesman", "the party's spokesman": not an introduced role
    return introductions.before(phrase.head, phrase.start)
