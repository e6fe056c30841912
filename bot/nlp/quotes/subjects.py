"""The speaker phrase next to a speech cue, as written: "he", "the founder", "Mr. Ren".

`subject_before` reads back from a cue ("Smith, a farmer, said"; "Perry, who hugged Clinton,
shouted"), `phrase_after` reads forward from it ("said Gov. Mike Pence of Indiana").
A name never runs over a line break; a place or an organisation after of/at/for is not the
person the phrase names. speakers.py resolves the phrase to a name.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.nlp.quotes.cuewords import (
    APPOSITION_STOP,
    CLAUSE_BOUNDARY,
    COORDINATION,
    DETERMINERS,
    OWNED_BY,
    PARTICLES,
    PRONOUNS,
    STOP_FORWARD,
    WEEKDAYS,
    cue_length,
    inverts,
    is_name_token,
    skippable,
)
from bot.nlp.text import FUNCTION_WORDS, Token
from bot.nlp.verbs import CUE_VERBS

_MAX_HOPS = 3  # "Smith, who …, who …, said": bounded, so no input recurses deeply


@dataclass(slots=True, frozen=True)
class Phrase:
    """The speaker as written next to the cue."""

    text: str
    start: int
    kind: str  # "name", "pronoun", "description", or "clause" (its first person speaks)
    head: str | None = None  # a description's head noun ("founder")
    definite: bool = False  # a description with "the", "this" or a possessive


def _same_line(text: str, a: Token, b: Token) -> bool:
    return "\n" not in text[a.end : b.start]


def _name_run_back(text: str, tokens: list[Token], j: int) -> int:
    """Index of the first token of the name that ends at tokens[j] (on its line)."""
    i = j
    while (
        i - 1 >= 0
        and _same_line(text, tokens[i - 1], tokens[i])
        and (
            is_name_token(tokens[i - 1])
            or (tokens[i - 1].text in PARTICLES and i - 2 >= 0 and is_name_token(tokens[i - 2]))
        )
    ):
        i -= 1
    return i


def _name_run_forward(text: str, tokens: list[Token], i: int) -> int:
    """Index one past the name that starts at tokens[i] (on its line)."""
    j = i
    while (
        j < len(tokens)
        and (j == i or _same_line(text, tokens[j - 1], tokens[j]))
        and (
            is_name_token(tokens[j])
            or (
                tokens[j].text in PARTICLES and j + 1 < len(tokens) and is_name_token(tokens[j + 1])
            )
        )
    ):
        j += 1
    return j


def _phrase(text: str, tokens: list[Token], i: int, j: int, kind: str) -> Phrase:
    """A phrase of tokens[i:j]; for descriptions, the head noun and definiteness."""
    words = tokens[i:j]
    span = text[words[0].start : words[-1].end]
    if kind != "description":
        return Phrase(span, words[0].start, kind)
    head_words = []
    for tok in words:
        if tok.text.lower() in ("of", "for", "at", "with"):
            break
        head_words.append(tok)
    head = head_words[-1].bare.lower() if head_words else None
    first = words[0].text.lower()
    definite = first in DETERMINERS - {"a", "an", "another", "one", "some"} or first.endswith(
        ("’s", "'s")
    )
    return Phrase(span, words[0].start, kind, head, definite)


def subject_before(
    text: str, tokens: list[Token], k: int, *, coordinated: bool = True, hops: int = 0
) -> Phrase | None:
    """The subject phrase that ends just before tokens[k] (the cue), skipping adverbs.
    `coordinated`: a cue after "and" may take the subject of the speech verb before it;
    `hops`: relative clauses passed already ("Smith, who ..., said"), at most _MAX_HOPS."""
    j = k - 1
    while j >= 0 and tokens[j].is_word and skippable(tokens[j]):
        j -= 1
    j = _skip_parenthesis_back(tokens, j)
    for _ in range(2):  # "Smith, a farmer, said" / "Smith, 45, said" / "Smith, R-Ky., said"
        if j < 0 or tokens[j].text != ",":
            break
        if j > 0 and tokens[j - 1].text == ")":  # "Gov. John Kasich (R-OH), said"
            j = _skip_parenthesis_back(tokens, j - 1)
            break
        m = j - 1
        while m >= 0 and m > j - 20 and tokens[m].text not in APPOSITION_STOP:
            m -= 1
        if m < 0 or tokens[m].text != ",":
            return None
        inner = tokens[m + 1 : j]
        if len(inner) >= 2 and all(is_name_token(t) for t in inner):
            # "the company's president for Europe, Thomas Van Acker, said": the name is the
            # apposition and the description stands before it.
            return _phrase(text, tokens, m + 1, j, "name")
        j = _skip_parenthesis_back(tokens, m - 1)
    if j < 0 or not tokens[j].is_word:
        return None
    word = tokens[j].text.lower()
    if word in COORDINATION and j > 0 and coordinated:
        # "Hayek confirmed she had been and said,": the clause's subject speaks, or the
        # subject of the speech verb it coordinates with ("Lazar said ... and added,").
        earlier = earlier_cue_subject(text, tokens, j)
        if earlier is not None:
            return earlier
        m = j
        while m > 0 and j - m < 30 and tokens[m - 1].text not in CLAUSE_BOUNDARY:
            m -= 1
        return Phrase(text[tokens[m].start : tokens[j - 1].end], tokens[m].start, "clause")
    if word in PRONOUNS:
        if word == "who":  # "Smith, who said ..." -> the phrase before "who"
            m = j - 1
            if m >= 0 and tokens[m].text == "," and hops < _MAX_HOPS:
                return subject_before(text, tokens, m, coordinated=coordinated, hops=hops + 1)
            return None
        return _phrase(text, tokens, j, j + 1, "pronoun")
    if is_name_token(tokens[j]):
        start = _name_run_back(text, tokens, j)
        if start > 0 and tokens[start - 1].text.lower() in OWNED_BY:
            # "Anthony Anton, president and CEO of Washington Restaurant Association stated":
            # the name that opens the clause, before its apposition, is the speaker.
            opener = _clause_opener(text, tokens, start)
            if opener is not None:
                return opener
        return _phrase(text, tokens, start, j + 1, "name")
    i = j
    while i - 1 >= 0 and j - i < 7 and tokens[i - 1].is_word:
        prev = tokens[i - 1].text.lower()
        if prev in STOP_FORWARD - {"of", "for"} or prev in CUE_VERBS:
            break
        i -= 1
        if prev in DETERMINERS or prev.endswith(("’s", "'s")):
            break
    return _phrase(text, tokens, i, j + 1, "description")


def _clause_opener(text: str, tokens: list[Token], k: int) -> Phrase | None:
    """The name that opens the clause ending at tokens[k], when a comma follows it."""
    m = k
    while m > 0 and k - m < 25 and tokens[m - 1].text not in CLAUSE_BOUNDARY:
        m -= 1
    if not is_name_token(tokens[m]) or tokens[m].text.lower() in FUNCTION_WORDS:
        return None
    end = _name_run_forward(text, tokens, m)
    if end < k and tokens[end].text == ",":
        return _phrase(text, tokens, m, end, "name")
    return None


def earlier_cue_subject(text: str, tokens: list[Token], k: int) -> Phrase | None:
    """The subject of the nearest finite speech verb earlier in the clause that ends before
    tokens[k]: "Nefzi said, adding," / "Lazar said he welcomed it and added," -> Nefzi,
    Lazar. Only a name or a pronoun counts; that verb's own coordination is not followed."""
    m = k - 1
    while m >= 0 and k - m < 30 and tokens[m].text not in CLAUSE_BOUNDARY:
        word = tokens[m].text.lower()
        if cue_length(tokens, m) and not word.endswith("ing") and word != "according":
            subject = subject_before(text, tokens, m, coordinated=False)
            if subject is None and inverts(word):
                subject, _ = phrase_after(text, tokens, m + 1)
            ok = subject is not None and subject.kind in ("name", "pronoun")
            return subject if ok else None
        m -= 1
    return None


def _skip_parenthesis_back(tokens: list[Token], j: int) -> int:
    if j >= 0 and tokens[j].text == ")":
        while j >= 0 and tokens[j].text != "(":
            j -= 1
        j -= 1
    return j


def phrase_after(text: str, tokens: list[Token], i: int) -> tuple[Phrase | None, int]:
    """The noun phrase that starts at tokens[i] (after skipping adverbs), and where it ends."""
    while i < len(tokens) and tokens[i].is_word and skippable(tokens[i]):
        if tokens[i].is_capitalized and i + 1 < len(tokens) and is_name_token(tokens[i + 1]):
            break  # "Will Doyle", "Still Jones": a first name, not an adverb
        i += 1
    if i >= len(tokens) or not tokens[i].is_word:
        return None, i
    word = tokens[i].text.lower()
    if word in PRONOUNS - {"who"}:
        return _phrase(text, tokens, i, i + 1, "pronoun"), i + 1
    if word in STOP_FORWARD:
        return None, i  # “…,” when asked ...: a clause, not the speaker
    j = i
    while j < len(tokens) and tokens[j].is_word and j - i < 8:
        low = tokens[j].text.lower()
        verb = low in CUE_VERBS and not tokens[j].is_capitalized  # not "Montclair State"
        if j > i and (low in STOP_FORWARD or verb or skippable(tokens[j])):
            break
        if low in WEEKDAYS:
            break
        j += 1
    if j == i:
        return None, i
    # A phrase that ends in a name names that person: "Trump's spokeswoman Hope Hicks".
    if is_name_token(tokens[j - 1]):
        start = max(_name_run_back(text, tokens, j - 1), i)
        if start == i or tokens[start - 1].text.lower() not in ("of", "for", "at", "with"):
            return _phrase(text, tokens, start, j, "name"), j
        # "former Gov. Bill Richardson of New Mexico", "Stephen Vladeck of the University of
        # Texas": the phrase's first name is the person, not the place or the school after.
        first = next((m for m in range(i, start) if is_name_token(tokens[m])), None)
        if first is not None:
            end = _name_run_forward(text, tokens, first)
            if tokens[end - 1].bare == tokens[end - 1].text:  # not an owner: "Google Cloud's"
                return _phrase(text, tokens, first, end, "name"), j
    if is_name_token(tokens[i]) and word not in DETERMINERS:
        end = _name_run_forward(text, tokens, i)
        return _phrase(text, tokens, i, end, "name"), end
    return _phrase(text, tokens, i, j, "description"), j


def apposed_name(text: str, tokens: list[Token], j: int, k: int) -> Phrase | None:
    """The name of ", Carl Oduya," when tokens[j:k] is that apposition alone."""
    inner = tokens[j + 1 : k - 1]
    if tokens[j].text != "," or tokens[k - 1].text != "," or not inner:
        return None
    if not all(is_name_token(t) or t.text in PARTICLES for t in inner):
        return None
    return _phrase(text, tokens, j + 1, k - 1, "name")


def skip_apposition(tokens: list[Token], j: int) -> int:
    """Past ", a farmer," or "(D-N.C.)" after a phrase, else j unchanged: up to four of them
    ("Harry Bond, 30, of Raleigh, N.C., said"; commas between them are shared), each under
    20 tokens."""
    for _ in range(4):
        if j < len(tokens) and tokens[j].text == "(":
            k = j
            while k < len(tokens) and tokens[k].text != ")":
                k += 1
            j = k + 1
            continue
        if j < len(tokens) and tokens[j].text == ",":
            k = j + 1
            while k < len(tokens) and k - j < 20 and tokens[k].text not in APPOSITION_STOP:
                k += 1
            if k < len(tokens) and tokens[k].text == ",":
                j = k + 1
                if k + 1 < len(tokens) and not cue_length(tokens, k + 1):
                    j = k  # the comma that closes this group opens the next one
                continue
        break
    if j < len(tokens) and tokens[j].text == "," and j + 1 < len(tokens):
        j += 1
    return j


def first_subject(text: str, tokens: list[Token]) -> Phrase | None:
    """The clause before a participle or a colon: its first person is the speaker."""
    words = [t for t in tokens if t.is_word]
    if not words:
        return None
    return Phrase(text[words[0].start : words[-1].end], words[0].start, "clause")
