"""Checks of an LLM's answer against the articles: quotes verbatim, speakers and companies named.

A model paraphrases, merges and invents quotations; the article text is the only authority.
Matching normalises white space and quotation marks (curly, straight, guillemets) and nothing
else: case, spelling and punctuation must be the article's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.models import Article, Quote
from bot.summarize.prompts import QuoteOut

_MARKS = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "«": '"',
        "»": '"',
        "″": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "‹": "'",
        "›": "'",
        "′": "'",
        "`": "'",
    }
)


def normalise(text: str) -> str:
    """White space runs as one space, quotation marks straight, ends stripped."""
    return " ".join(text.translate(_MARKS).split())


class Haystack:
    """An article's text, normalised, with a map back to offsets in the original."""

    def __init__(self, text: str) -> None:
        chars: list[str] = []
        offsets: list[int] = []
        for i, char in enumerate(text):
            if char.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    offsets.append(i)
                continue
            chars.append(char.translate(_MARKS))
            offsets.append(i)
        self.original = text
        self.text = "".join(chars)
        self._offsets = offsets

    def find(self, needle: str) -> tuple[int, str] | None:
        """Where the normalised needle starts in the original text, and the original words."""
        at = self.text.find(needle)
        if at < 0:
            return None
        start = self._offsets[at]
        end = self._offsets[at + len(needle) - 1] + 1
        return start, self.original[start:end]

    def names(self, name: str) -> str | None:
        """The name as the text spells it, when it occurs as whole words (ignoring case)."""
        if not (name := normalise(name)):
            return None
        pattern = r"(?<!\w)" + re.escape(name) + r"(?!\w)"
        match = re.search(pattern, self.text, re.IGNORECASE)
        if match is None:
            return None
        start, end = self._offsets[match.start()], self._offsets[match.end() - 1] + 1
        return " ".join(self.original[start:end].split())


@dataclass(slots=True)
class Checked:
    """What survived the checks, and what was dropped (for the log)."""

    quotes: list[Quote]  # in the model's order of importance
    all_quotes: list[Quote]  # in order of appearance
    companies: list[str]
    dropped_quotes: list[str] = field(default_factory=list)
    dropped_speakers: list[str] = field(default_factory=list)
    dropped_companies: list[str] = field(default_factory=list)


def check(
    quotes: list[QuoteOut], companies: list[str], articles: list[Article], *, key_quotes: int = 2
) -> Checked:
    """Keep quotes found verbatim in an article, speakers and companies the articles name.

    A quote whose speaker no article containing it names keeps its words and loses the speaker.
    Speakers and companies are spelled as the article spells them.
    Quote.start is an offset in the lead article, or -1 when the quote is only in another one.
    """
    stacks = [Haystack(a.text) for a in articles]
    kept: list[tuple[int, int, Quote]] = []  # (article index, offset, quote)
    seen: set[str] = set()
    result = Checked([], [], [])
    for rank, proposed in enumerate(quotes):
        needle = normalise(proposed.text).strip("\"' ")
        if not needle or needle in seen:
            continue
        found = [(i, hit) for i, s in enumerate(stacks) if (hit := s.find(needle))]
        if not found:
            result.dropped_quotes.append(proposed.text)
            continue
        seen.add(needle)
        speaker = None
        index, (offset, words) = found[0]
        if proposed.speaker:
            # Prefer an article that names the speaker, and take its spelling of the name.
            named = [(i, hit, n) for i, hit in found if (n := stacks[i].names(proposed.speaker))]
            if named:
                index, (offset, words), speaker = named[0]
            else:
                result.dropped_speakers.append(proposed.speaker)
        quote = Quote(
            text=words,
            speaker=speaker,
            start=offset if index == 0 else -1,
            score=round(1.0 / (rank + 1), 3),
        )
        kept.append((index, offset, quote))
    result.quotes = [q for _, _, q in kept][:key_quotes]
    result.all_quotes = [q for _, _, q in sorted(kept, key=lambda k: (k[0], k[1]))]
    result.companies = _named_companies(companies, articles, result.dropped_companies)
    return result


def _named_companies(
    companies: list[str], articles: list[Article], dropped: list[str]
) -> list[str]:
    titled = [Haystack(f"{a.title}\n{a.text}") for a in articles]
    names: dict[str, str] = {}
    for company in companies:
        spelled = next((n for s in titled if (n := s.names(company))), None)
        if spelled is None:
            dropped.append(company)
        else:
            names.setdefault(spelled.lower(), spelled)
    return list(names.values())
