"""Word tokens with character offsets and sentence boundaries, as the quote finder needs them.

Deliberately small: the quote finder only needs to know where words and sentences start and
end outside quotation marks, and which periods belong to abbreviations ("Mr.", "Sen.", "J.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def word_set(spec: str) -> frozenset[str]:
    """The space-separated words of spec, as a set."""
    return frozenset(spec.split())


_TOKEN_RE = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]")
# Capitalised only at the start of a sentence: never part of a name.
FUNCTION_WORDS = word_set(
    "the a an in on at but and or if when while as after before since because this that these "
    "those it he she they we i you his her their our my its there here what who why how where "
    "which some many most all no not so yet still also then now for from with by of to asked "
    "said says meanwhile however though although despite during under over about according "
    "one two three last next every each both other another "
    "monday tuesday wednesday thursday friday saturday sunday today yesterday tonight "
    "january february march april may june july august september october november december"
)
# A period after one of these is part of the word, not the end of a sentence.
ABBREVIATIONS = word_set(
    "mr mrs ms dr prof sen rep gov gen lt col sgt capt cmdr adm maj st jr sr rev fr hon pres "
    "supt atty messrs mt ft inc corp co ltd no vs jan feb mar apr jun jul aug sep sept oct nov "
    "dec a.m p.m"
)
# The next sentence may open with a typewriter double quote ('') as well.
_SENTENCE_END_RE = re.compile(r"[.?!…]+[\"'”’»」)\]]*(?=\s+[\"'“‘«„(\[A-Z0-9])")


@dataclass(slots=True, frozen=True)
class Token:
    """A word or a punctuation character, with its character offsets in the text."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        """True for words (letters or digits), False for punctuation."""
        return self.text[0].isalnum() or self.text[0] == "_"

    @property
    def is_capitalized(self) -> bool:
        """True when the word starts with an upper-case letter."""
        return self.text[0].isupper()

    @property
    def bare(self) -> str:
        """The word without a possessive 's."""
        word = self.text
        for suffix in ("’s", "'s", "’", "'"):
            if word.endswith(suffix) and len(word) > len(suffix):
                return word[: -len(suffix)]
        return word


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Tokens of text[start:end]; an abbreviation or an initial keeps its period ("Mr.", "J.")."""
    end = len(text) if end is None else end
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text, start, end):
        word, s, e = match.group(), match.start(), match.end()
        if word == "." and tokens and tokens[-1].end == s and _takes_period(tokens[-1].text):
            prev = tokens.pop()
            tokens.append(Token(text[prev.start : e], prev.start, e))
            continue
        tokens.append(Token(word, s, e))
    return tokens


def _takes_period(word: str) -> bool:
    if re.fullmatch(r"(?:[A-Z]\.)*[A-Z]", word):
        return True  # initials: "J. Edgar Hoover", "G.K. Butterfield", "U.S."
    return word.lower() in ABBREVIATIONS


def sentence_ends(text: str) -> list[int]:
    """Offsets just after each sentence end (and each line break), in order."""
    ends: set[int] = set()
    for match in _SENTENCE_END_RE.finditer(text):
        stop = match.start()
        word = re.search(r"(\w+(?:\.\w+)*)$", text[max(0, stop - 12) : stop])
        if text[stop] == "." and word and _takes_period(word.group(1)):
            continue
        ends.add(match.end())
    ends.update(m.start() for m in re.finditer(r"\n", text))
    return sorted(ends)
