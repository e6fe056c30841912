"""Name mentions in one article: runs of capitalised words, with the evidence around them.

A name is a run of capitalised words on one line, outside sentence-initial function words
("The", "But") and speech verbs ("Said Smith"). Titles and honorifics ("Mr.", "Sen.",
"President") are dropped from the name but kept as evidence (names.py: a person, and "Mr." /
"Ms." a gender); "the state of Tamil Nadu", "near Chennai" mark a place. Lines in title case
(headlines) name no one reliably and are skipped.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from bot.nlp.text import FUNCTION_WORDS, Token, tokenize, word_set
from bot.nlp.verbs import CUE_VERBS

TITLES = word_set(
    "mr mrs ms miss dr prof sen senator rep representative gov governor president vice "
    "secretary mayor judge justice gen general lt col sgt capt adm rev reverend father sir dame "
    "lord lady pope king queen prince princess sheikh chairman chairwoman ceo chancellor "
    "minister prime speaker attorney commissioner detective chief coach professor ambassador "
    "candidate nominee democrat republican democratic gop independent libertarian former "
    "u.s congressman congresswoman sens reps officer pastor bishop cardinal executive director "
    "editor spokesman spokeswoman founder head leader manager analyst correspondent anchor host "
    "majority minority whip"
)
_SMALL_WORDS = word_set("a an and as at but by for in of on or the to vs with from is are")
# "the state of Tamil Nadu", "the city of Chennai": the name after "<noun> of" is a place.
_PLACE_NOUNS = word_set(
    "state city province region town village county district capital country island republic "
    "kingdom prefecture municipality borough suburb"
)
_NEAR = word_set("near outside across throughout")
# Adverbs that open sentences ("Already Democrats worry."): never the first word of a name.
_SENTENCE_ADVERBS = word_set(
    "already also again soon instead indeed perhaps maybe often sometimes together finally "
    "eventually recently earlier later previously ultimately initially currently clearly "
    "obviously certainly still now then yet just even only once meanwhile nevertheless"
)


@dataclass(slots=True)
class Mention:
    """One occurrence of a name."""

    words: tuple[str, ...]  # the name's words, titles and possessive 's dropped
    start: int
    end: int
    in_quote: bool
    title: str | None = None  # the last title before the name ("sen", "mr")
    after_the: bool = False  # "the Clinton Foundation": organisations take an article
    after_in: bool = False  # "in Ohio": places follow "in"
    text: str = ""  # as written, without titles and possessive ("G.K. Butterfield")
    place: bool = False  # "near Chennai", "the state of Tamil Nadu": surely a place


def _name_token(tok: Token) -> bool:
    return tok.is_word and tok.is_capitalized


def find_mentions(
    text: str, quoted: list[tuple[int, int]], sentence_starts: set[int]
) -> list[Mention]:
    """Every name mention of the text, in order."""
    # A line is judged once, not per token: the headline lines' (start, end) offsets.
    lines = [m.span() for m in re.finditer(r"[^\n]+", text)]
    headline_lines = [(s, e) for s, e in lines if in_headline(text, s)]
    tokens = [t for t in tokenize(text) if not _inside(headline_lines, t.start)]
    lower_words = {t.text for t in tokens if t.is_word and t.text.islower()}
    # The sentence starts given are offsets just after a sentence end or at a line break:
    # the sentence's first word is the first word token at or after each of them.
    words = [t.start for t in tokens if t.is_word]
    sentence_starts = {
        words[k]
        for k in {bisect.bisect_left(words, at) for at in sentence_starts}
        if k < len(words)
    }
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        if not _name_token(tokens[i]):
            i += 1
            continue
        j = i
        while (
            j < len(tokens)
            and (j == i or _same_line(text, tokens[j - 1], tokens[j]))
            and (
                _name_token(tokens[j])
                or (
                    tokens[j].text in ("de", "van", "von", "bin", "al", "da", "der")
                    and j + 1 < len(tokens)
                    and _name_token(tokens[j + 1])
                )
            )
        ):
            j += 1
        mention = _mention(text, tokens, i, j, quoted, sentence_starts, lower_words)
        if mention is not None:
            mentions.append(mention)
        i = j
    return mentions


def _same_line(text: str, a: Token, b: Token) -> bool:
    """No line break between two tokens: a caption's name is not part of the next line's."""
    return "\n" not in text[a.end : b.start]


def in_headline(text: str, at: int) -> bool:
    """A line in title case ("Lawmakers Rip Donald Trump") names no one reliably."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    words = [w for w in text[start : end if end >= 0 else len(text)].split() if w[0].isalpha()]
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    return len(words) >= 3 and all(w[0].isupper() for w in content)


def _common_word(word: str, lower_words: set[str]) -> bool:
    """The article also writes the word, or its singular, in lower case."""
    return word in lower_words or (word.endswith("s") and word[:-1] in lower_words)


def _mention(
    text: str,
    tokens: list[Token],
    i: int,
    j: int,
    quoted: list[tuple[int, int]],
    sentence_starts: set[int],
    lower_words: set[str],
) -> Mention | None:
    run = tokens[i:j]
    # A sentence's first word is capitalised anyway: "Democrats" is a name, "Voters" is not,
    # nor a speech verb before its speaker ("Continued Stone:").
    while run and (
        run[0].text.lower() in FUNCTION_WORDS
        or run[0].text.lower() in CUE_VERBS
        or (run[0].start in sentence_starts and _common_word(run[0].text.lower(), lower_words))
        or (run[0].start in sentence_starts and run[0].text.lower() in _SENTENCE_ADVERBS)
    ):
        run = run[1:]
    title = None
    # "Senate Majority Leader Mitch McConnell": the name follows the last title.
    last = max(
        (k for k, t in enumerate(run[:-1]) if t.bare.lower().rstrip(".") in TITLES), default=-1
    )
    if last >= 0:
        title = run[last].bare.lower().rstrip(".")
        run = run[last + 1 :]
    elif len(run) > 1 and run[0].text == "State" and _secretary_of(tokens, i):
        title, run = "secretary", run[1:]  # "Secretary of State John F. Kerry"
    run = [t for t in run if t.text.lower() not in FUNCTION_WORDS]
    if not run or (len(run) == 1 and run[0].bare.lower().rstrip(".") in TITLES):
        return None
    words = tuple(t.bare for t in run)
    start, end = run[0].start, run[-1].end
    first = next(p for p in range(i, j) if tokens[p] is run[0]) if title is None else i
    prev = tokens[first - 1].text if first > 0 else ""
    in_quote = _inside(quoted, start)
    shown = " ".join(text[start : run[-1].start + len(run[-1].bare)].split())
    mention = Mention(words, start, end, in_quote, title, prev == "the", prev == "in", shown)
    if title is None and run[-1].bare == run[-1].text:  # "in Smith's view" names no place
        before = tokens[first - 2].text.lower() if first > 1 else ""
        mention.place = prev.lower() in _NEAR or (prev == "of" and before in _PLACE_NOUNS)
    return mention


def _inside(spans: list[tuple[int, int]], at: int) -> bool:
    """Whether `at` lies in one of the sorted, non-overlapping spans (start, end)."""
    k = bisect.bisect_right(spans, (at, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= at < spans[k][1]


def _secretary_of(tokens: list[Token], i: int) -> bool:
    """The name run at tokens[i] follows "Secretary of"."""
    return i >= 2 and tokens[i - 1].text == "of" and tokens[i - 2].bare.lower() == "secretary"
