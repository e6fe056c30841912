"""THE tokenizer of English news text: sentences and words, with character offsets into the
original text. Summaries, /ask and the quote finder all split here, with one list of
abbreviations, so a quote and a summary never disagree on where a sentence ends.

Sentences (:func:`sentence_spans`, :func:`sentence_ends`).

A line break always ends a sentence (headlines and captions often have no final stop). Inside a
line a sentence ends at ``.``, ``!``, ``?`` or an ellipsis, with any closing quotes and brackets,
before white space, unless the next word or the word before says otherwise: abbreviations
(Mr., Inc., U.S., No. 1, Jan. 5, a.m.), initials (George W. Bush), a lower-case next word, or a
quote's attribution ("Why?" Smith asked.). Decimals and money (3.5%, $2.1) never end a sentence
because no white space follows their point.

A sentence never ends inside a quotation (quotes/marks.py) that the sentence goes on after:
“Sales rose. We are pleased,” he said. is one sentence, since its second half alone would be a
fragment that starts mid-quote and ends with the speaker. A quotation that ends with its own
full stop (“Sales rose. We are pleased.”) may still be split at its inner sentence ends.

Words (:func:`tokenize`): words and punctuation marks with their offsets; a word of the
abbreviation list or an initial keeps its period ("Mr.", "Jan.", "W.").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from bot.nlp.marks import QuoteSpan, scan_quotes
from bot.nlp.verbs import CUE_VERBS


def word_set(spec: str) -> frozenset[str]:
    """The space-separated words of spec, as a set."""
    return frozenset(spec.split())


# The characters str.splitlines() breaks on.
_LINE = re.compile(r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
# A terminator run, then closing quotes or brackets, then white space.
_CANDIDATE = re.compile(r"([.!?…]+)([\"'”’»)\]}]*)(?=\s)")
# What may open a quotation or aside; sloppy sources open with a closing mark too (”…”, ’…’).
_OPENERS = "\"'“‘«»„‚”’([{"
_CLOSING_QUOTES = frozenset("\"'”’»")
_WORD_PUNCT = "\"'“”‘’«»()[]{},;:"

# Always followed by a name: never the end of a sentence.
_TITLES = word_set(
    "mr mrs ms messrs dr prof gen sen rep gov lt col capt cmdr sgt cpl pvt maj adm brig "
    "rev hon pres supt insp det atty fr mt ft mme mlle"
)
# End a sentence only when the next word usually starts one ("Apple Inc. The company...").
_AMBIGUOUS = word_set("inc corp co ltd llc plc bros jr sr st esq dept univ ave blvd rd")
# Followed by a number: "No. 1", "Jan. 5", "p. 12".
_NUMBERED = word_set("no nos vol vols p pp fig figs art ch sec")
_MONTHS = word_set("jan feb mar apr jun jul aug sep sept oct nov dec")
_NEVER_FINAL = word_set("e.g i.e cf viz vs v")
_DOTTED = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")  # U.S, a.m, Ph.D, D.C
_NUMBER = re.compile(r"[$£€]?\d[\d.,]*%?")
_CLOCK = frozenset({"a.m", "p.m"})
_ACCORDING = frozenset({"according"})
# THE abbreviation list: a period after one of these belongs to the word.
ABBREVIATIONS = _TITLES | _AMBIGUOUS | _NUMBERED | _MONTHS | _NEVER_FINAL | _CLOCK
_WHEN = word_set(
    "monday tuesday wednesday thursday friday saturday sunday today tonight tomorrow yesterday "
    "january february march april may june july august september october november december "
    "et pt ct mt gmt bst cet utc est edt pst pdt cst cdt"
)

# Words that usually begin a sentence; after an ambiguous abbreviation they mean a new one.
_STARTERS = word_set(
    """the a an he she it they we i you this that these those there here his her its their our
    my your but and or so yet nor for in on at as by to from with without after before when
    while where why how what who which if although though because since until unless during
    despite however meanwhile also still then now some many most all both each every no not
    one two three several other such last next earlier later"""
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``, in order.

    Spans never hold leading or trailing white space and never cross a line break; together they
    cover every non-space character of ``text`` exactly once.
    """
    spans: list[tuple[int, int]] = []
    quoted = _Quoted(text)
    for line in _LINE.finditer(text):
        start, end = line.span()
        for match in _CANDIDATE.finditer(text, start, end):
            if (
                match.end() > start
                and not quoted.inside(match.end())
                and _is_boundary(text, match, end)
            ):
                _add(text, start, match.end(), spans)
                start = match.end()
        _add(text, start, end, spans)
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, each stripped of surrounding white space."""
    return [text[a:b] for a, b in sentence_spans(text)]


def sentence_ends(text: str) -> list[int]:
    """Offsets just after each sentence of ``text`` (the ends of :func:`sentence_spans`)."""
    return [end for _, end in sentence_spans(text)]


class _Quoted:
    """The quotations that a sentence goes on after (“A. B,” he said.), to ask whether an offset
    lies inside one."""

    def __init__(self, text: str) -> None:
        # Only a text with a quotation mark can hold a quotation: most sentences have none.
        marks = any(c in text for c in "\"“”„«»「『'‘’")
        spans = [s for s in scan_quotes(text) if _goes_on(text, s)] if marks else []
        self.opens = [s.open_at for s in spans]
        self.closes = [s.after for s in spans]

    def inside(self, at: int) -> bool:
        """Whether `at` lies strictly between a quotation's opening and closing marks."""
        k = bisect.bisect_right(self.opens, at - 1) - 1
        return k >= 0 and self.opens[k] < at < self.closes[k]


def _goes_on(text: str, span: QuoteSpan) -> bool:
    """Whether the sentence goes on after the quotation's closing mark: its words end with a
    comma or a dash (“…, we are pleased,” he said), or a lower-case word follows the mark."""
    if span.close_at is None:
        return False
    if text[span.end - 1] in ",;:—–-":
        return True
    rest = text[span.after : span.after + 40].lstrip(" \t")
    return bool(rest) and rest[0].islower()


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    segment = text[start:end]
    stripped = segment.strip()
    if stripped:
        a = start + len(segment) - len(segment.lstrip())
        spans.append((a, a + len(stripped)))


def _is_boundary(text: str, match: re.Match[str], line_end: int) -> bool:
    terminator, closers = match.group(1), match.group(2)
    following = _next_words(text, match.end(), line_end, 6)
    if not following:
        return True  # only white space follows: the line's end closes the sentence anyway
    first = following[0].lstrip(_OPENERS)
    if not first or not (first[0].isupper() or first[0].isdigit() or first[0] in "$£€"):
        return False  # "... he said", ". . .", "3 p.m. on"
    if any(c in _CLOSING_QUOTES for c in closers) and _attribution(following, terminator):
        return False
    if terminator != "." or closers:
        return True
    previous = _previous_word(text, match.start())
    return _ends_after(previous, first, following[0])


def _ends_after(previous: str, first: str, next_token: str) -> bool:
    """Whether ``previous.`` ends a sentence before the next word ``first``."""
    word = previous.lower()
    if not word or _NUMBER.fullmatch(previous):
        return True
    if word in _TITLES or word in _NEVER_FINAL:
        return False
    if word in _NUMBERED and first[0].isdigit():
        return False
    if word in _MONTHS:
        return not first[0].isdigit() and _starts_sentence(first, next_token)
    if word in _CLOCK:
        return first.lower().rstrip(_WORD_PUNCT + ".") not in _WHEN
    if len(previous) == 1 and previous.isupper():  # an initial: "George W. Bush"
        return _starts_sentence(first, next_token)
    if word in _AMBIGUOUS or _DOTTED.fullmatch(previous):
        return _starts_sentence(first, next_token)
    return True


def _starts_sentence(first: str, next_token: str) -> bool:
    # "A." or "R." after an initial is another initial, not the word "A".
    if next_token.endswith(".") and len(next_token.strip(_OPENERS + ".")) == 1:
        return False
    return first.rstrip(_WORD_PUNCT).lower() in _STARTERS


def _attribution(following: list[str], terminator: str) -> bool:
    """'"Why?" Smith asked.': a speech verb right after a closing quote continues the sentence.

    After a full stop only a short attribution that ends the sentence counts ('"No." he said.').
    """
    for i, token in enumerate(following[:5]):
        if token.strip(_WORD_PUNCT + ".!?").lower() in CUE_VERBS | _ACCORDING:
            if terminator != ".":
                return True
            return any(_ends_with_stop(t) for t in following[i:5])
        if _ends_with_stop(token):
            return False
    return False


def _ends_with_stop(token: str) -> bool:
    word = token.rstrip(_WORD_PUNCT)
    return bool(word) and word[-1] in ".!?…"


def _previous_word(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end].lstrip(_OPENERS)


def _next_words(text: str, start: int, end: int, count: int) -> list[str]:
    # A window is enough for a few words; the last one may be cut, which no rule minds.
    return text[start : min(end, start + 40 * count)].split(None, count)[:count]


# -- words ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]")
_INITIALS = re.compile(r"(?:[A-Z]\.)*[A-Z]")  # an initial: "J. Edgar Hoover", "George W. Bush"
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
    for match in _TOKEN.finditer(text, start, end):
        word, s, e = match.group(), match.start(), match.end()
        if word == "." and tokens and tokens[-1].end == s and _takes_period(tokens[-1].text):
            prev = tokens.pop()
            tokens.append(Token(text[prev.start : e], prev.start, e))
            continue
        tokens.append(Token(word, s, e))
    return tokens


def _takes_period(word: str) -> bool:
    return bool(_INITIALS.fullmatch(word)) or word.lower() in ABBREVIATIONS
