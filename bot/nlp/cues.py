"""Attribution cues around a quotation: the speech verb and the phrase that names its speaker.

English news attributes a quotation with a speech verb next to it, in a handful of orders:
“…,” Smith said / “…,” said Smith / “…,” Smith, a farmer, said / Smith said: “…” /
according to Smith, “…” / Smith, who said “…”. This module finds the verb and the speaker
phrase as written ("he", "the founder", "Mr. Ren", "Ren Zhengfei"); speakers.py resolves it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.nlp.wordtokens import FUNCTION_WORDS, Token, tokenize, word_set

# Inflected forms only: bare "claim", "state" or "note" are more often nouns than verbs. The
# forms learned from the cues of PolNeAR's train split (cue_lexicon.json, written by
# bot/eval/cue_lexicon.py) join the verbs newsbot started with.
_LEXICON = json.loads((Path(__file__).parent / "cue_lexicon.json").read_text(encoding="utf-8"))
_SEED_VERBS = word_set(
    "say says said saying tell tells told telling add adds added adding explain explains "
    "explained continue continues continued ask asks asked write writes wrote written "
    "notes noted states stated declare declares declared insist insists insisted "
    "argue argues argued claimed claims recall recalls recalled remark remarked replied "
    "replies respond responds responded tweeted tweets posted announced announces warn "
    "warns warned acknowledged acknowledges admit admits admitted suggested suggests "
    "concluded predicted quipped joked shouted yelled chanted urged vowed boasted "
    "complained conceded emphasized emphasised stressed observed recounted testified "
    "exclaimed mused pleaded promised proclaimed cautioned countered retorted whispered "
    "muttered sighed laughed wondered demanded charged contended maintained assured "
    "confirmed denied reiterated asserted affirmed elaborated commented reported reports "
    "recalled writes"
)
CUE_VERBS = _SEED_VERBS | {f for verb in _LEXICON["verbs"].values() for f in verb["forms"]}
NO_INVERSION = frozenset({"tell", "tells", "told", "written"})
_DASHES = frozenset("—―–-")
_TWO_WORD_CUES = {("according", "to"), ("put", "it"), ("went", "on"), ("goes", "on")} | {
    tuple(form.split()) for cue in _LEXICON["phrasal"].values() for form in cue.get("forms", ())
}
PRONOUNS = frozenset({"he", "she", "they", "it", "i", "we", "you", "who"})
DETERMINERS = word_set(
    "the a an this that these those his her their its our my your another one some"
)
_SKIP = word_set(
    "also later then again once recently previously further still now just simply has had have "
    "was is were are would will did does do been earlier often always never reportedly "
    "publicly privately frequently herself himself themselves itself not"
)
_PARTICLES = word_set("de da di del della van von der den bin al el la le du dos das ibn")
_STOP_FORWARD = word_set(
    "in on at during after before while when who which that to with from as and but about "
    "because since if than via by into over under near outside inside this last on"
)
_APPOSITION_STOP = frozenset(',;:!?“”"')
_COORDINATION = word_set("and but then")
_OWNED_BY = word_set("of at for from with")
_CLAUSE_BOUNDARY = frozenset('.;:!?“”"')
_WEEKDAYS = word_set(
    "monday tuesday wednesday thursday friday saturday sunday today yesterday tonight"
)


@dataclass(slots=True, frozen=True)
class Phrase:
    """The speaker as written next to the cue."""

    text: str
    start: int
    kind: str  # "name", "pronoun", "description", or "clause" (its first person speaks)
    head: str | None = None  # a description's head noun ("founder")
    definite: bool = False  # a description with "the", "this" or a possessive


@dataclass(slots=True, frozen=True)
class Attribution:
    """A speech cue and its speaker phrase (None when the cue's subject is not recognisable)."""

    cue: str
    cue_start: int
    speaker: Phrase | None
    adjacent: bool = False  # the cue stands right next to the quotation


def cue_length(tokens: list[Token], i: int) -> int:
    """1 or 2 when a cue starts at tokens[i] ("said", "according to"), else 0."""
    word = tokens[i].text.lower()
    if i + 1 < len(tokens) and (word, tokens[i + 1].text.lower()) in _TWO_WORD_CUES:
        return 2
    return 1 if word in CUE_VERBS else 0


def _is_name_token(tok: Token) -> bool:
    if not tok.is_word:
        return False
    return tok.is_capitalized and tok.text.lower() not in _WEEKDAYS


def _same_line(text: str, a: Token, b: Token) -> bool:
    return "\n" not in text[a.end : b.start]


def _name_run_back(text: str, tokens: list[Token], j: int) -> int:
    """Index of the first token of the name that ends at tokens[j] (on its line)."""
    i = j
    while (
        i - 1 >= 0
        and _same_line(text, tokens[i - 1], tokens[i])
        and (
            _is_name_token(tokens[i - 1])
            or (tokens[i - 1].text in _PARTICLES and i - 2 >= 0 and _is_name_token(tokens[i - 2]))
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
            _is_name_token(tokens[j])
            or (
                tokens[j].text in _PARTICLES
                and j + 1 < len(tokens)
                and _is_name_token(tokens[j + 1])
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


def subject_before(text: str, tokens: list[Token], k: int) -> Phrase | None:
    """The subject phrase that ends just before tokens[k] (the cue), skipping adverbs."""
    j = k - 1
    while j >= 0 and tokens[j].is_word and _skippable(tokens[j]):
        j -= 1
    j = _skip_parenthesis_back(tokens, j)
    for _ in range(2):  # "Smith, a farmer, said" / "Smith, 45, said" / "Smith, R-Ky., said"
        if j < 0 or tokens[j].text != ",":
            break
        if j > 0 and tokens[j - 1].text == ")":  # "Gov. John Kasich (R-OH), said"
            j = _skip_parenthesis_back(tokens, j - 1)
            break
        m = j - 1
        while m >= 0 and m > j - 20 and tokens[m].text not in _APPOSITION_STOP:
            m -= 1
        if m < 0 or tokens[m].text != ",":
            return None
        inner = tokens[m + 1 : j]
        if len(inner) >= 2 and all(_is_name_token(t) for t in inner):
            # "the company's president for Europe, Thomas Van Acker, said": the name is the
            # apposition and the description stands before it.
            return _phrase(text, tokens, m + 1, j, "name")
        j = _skip_parenthesis_back(tokens, m - 1)
    if j < 0 or not tokens[j].is_word:
        return None
    word = tokens[j].text.lower()
    if word in _COORDINATION and j > 0:
        # "Hayek confirmed she had been and said,": the clause's subject speaks, or the
        # subject of the speech verb it coordinates with ("Lazar said ... and added,").
        earlier = _earlier_cue_subject(text, tokens, j)
        if earlier is not None:
            return earlier
        m = j
        while m > 0 and j - m < 30 and tokens[m - 1].text not in _CLAUSE_BOUNDARY:
            m -= 1
        return Phrase(text[tokens[m].start : tokens[j - 1].end], tokens[m].start, "clause")
    if word in PRONOUNS:
        if word == "who":  # "Smith, who said ..." -> the phrase before "who"
            m = j - 1
            if m >= 0 and tokens[m].text == ",":
                return subject_before(text, tokens, m)
            return None
        return _phrase(text, tokens, j, j + 1, "pronoun")
    if _is_name_token(tokens[j]):
        start = _name_run_back(text, tokens, j)
        if start > 0 and tokens[start - 1].text.lower() in _OWNED_BY:
            # "Anthony Anton, president and CEO of Washington Restaurant Association stated":
            # the name that opens the clause, before its apposition, is the speaker.
            opener = _clause_opener(text, tokens, start)
            if opener is not None:
                return opener
        return _phrase(text, tokens, start, j + 1, "name")
    i = j
    while i - 1 >= 0 and j - i < 7 and tokens[i - 1].is_word:
        prev = tokens[i - 1].text.lower()
        if prev in _STOP_FORWARD - {"of", "for"} or prev in CUE_VERBS:
            break
        i -= 1
        if prev in DETERMINERS or prev.endswith(("’s", "'s")):
            break
    return _phrase(text, tokens, i, j + 1, "description")


def _clause_opener(text: str, tokens: list[Token], k: int) -> Phrase | None:
    """The name that opens the clause ending at tokens[k], when a comma follows it."""
    m = k
    while m > 0 and k - m < 25 and tokens[m - 1].text not in _CLAUSE_BOUNDARY:
        m -= 1
    if not _is_name_token(tokens[m]) or tokens[m].text.lower() in FUNCTION_WORDS:
        return None
    end = _name_run_forward(text, tokens, m)
    if end < k and tokens[end].text == ",":
        return _phrase(text, tokens, m, end, "name")
    return None


def _earlier_cue_subject(text: str, tokens: list[Token], k: int) -> Phrase | None:
    """The subject of a finite speech verb earlier in the clause that ends before tokens[k]:
    "Nefzi said, adding," / "Lazar said he welcomed it and added," -> Nefzi, Lazar."""
    m = k - 1
    while m >= 0 and k - m < 30 and tokens[m].text not in _CLAUSE_BOUNDARY:
        word = tokens[m].text.lower()
        if cue_length(tokens, m) and not word.endswith("ing") and word != "according":
            subject = subject_before(text, tokens, m)
            if subject is None and _inverts(word):
                subject, _ = phrase_after(text, tokens, m + 1)
            if subject is not None and subject.kind in ("name", "pronoun"):
                return subject
        m -= 1
    return None


def _skip_parenthesis_back(tokens: list[Token], j: int) -> int:
    if j >= 0 and tokens[j].text == ")":
        while j >= 0 and tokens[j].text != "(":
            j -= 1
        j -= 1
    return j


def _skippable(tok: Token) -> bool:
    word = tok.text.lower()
    if word in _WEEKDAYS:
        return True  # "Priebus later Thursday told Fox News:"
    return word in _SKIP or (word.endswith("ly") and not tok.is_capitalized and len(word) > 4)


def phrase_after(text: str, tokens: list[Token], i: int) -> tuple[Phrase | None, int]:
    """The noun phrase that starts at tokens[i] (after skipping adverbs), and where it ends."""
    while i < len(tokens) and tokens[i].is_word and _skippable(tokens[i]):
        if tokens[i].is_capitalized and i + 1 < len(tokens) and _is_name_token(tokens[i + 1]):
            break  # "Will Doyle", "Still Jones": a first name, not an adverb
        i += 1
    if i >= len(tokens) or not tokens[i].is_word:
        return None, i
    word = tokens[i].text.lower()
    if word in PRONOUNS - {"who"}:
        return _phrase(text, tokens, i, i + 1, "pronoun"), i + 1
    if word in _STOP_FORWARD:
        return None, i  # “…,” when asked ...: a clause, not the speaker
    j = i
    while j < len(tokens) and tokens[j].is_word and j - i < 8:
        low = tokens[j].text.lower()
        verb = low in CUE_VERBS and not tokens[j].is_capitalized  # not "Montclair State"
        if j > i and (low in _STOP_FORWARD or verb or _skippable(tokens[j])):
            break
        if low in _WEEKDAYS:
            break
        j += 1
    if j == i:
        return None, i
    # A phrase that ends in a name names that person: "Trump's spokeswoman Hope Hicks".
    if _is_name_token(tokens[j - 1]):
        start = max(_name_run_back(text, tokens, j - 1), i)
        if start == i or tokens[start - 1].text.lower() not in ("of", "for", "at", "with"):
            return _phrase(text, tokens, start, j, "name"), j
        # "former Gov. Bill Richardson of New Mexico", "Stephen Vladeck of the University of
        # Texas": the phrase's first name is the person, not the place or the school after.
        first = next((m for m in range(i, start) if _is_name_token(tokens[m])), None)
        if first is not None:
            end = _name_run_forward(text, tokens, first)
            if tokens[end - 1].bare == tokens[end - 1].text:  # not an owner: "Google Cloud's"
                return _phrase(text, tokens, first, end, "name"), j
    if _is_name_token(tokens[i]) and word not in DETERMINERS:
        end = _name_run_forward(text, tokens, i)
        return _phrase(text, tokens, i, end, "name"), end
    return _phrase(text, tokens, i, j, "description"), j


def attribution_after(
    text: str, start: int, end: int, strict: bool, *, led_on: bool = False
) -> Attribution | None:
    """A cue at the start of text[start:end] (the text right after a quotation).

    Matches ", said Smith", ", Smith said", ", Smith, a farmer, said", ", according to Smith"
    and a dash with a name ("— Jane Doe"); unless strict, also the first cue later in the span
    whose subject is recognisable. `led_on`: the quotation ended with a comma, question or
    exclamation mark, which leads into its attribution, so a past-tense verb that is not in
    the lexicon is its cue there too (“…,” Toomey fumed / “…,” remembered Roy Verley).
    """
    tokens = tokenize(text, start, end)
    i = 0
    while i < len(tokens) and (tokens[i].text in ",;()" or tokens[i].text in _DASHES):
        i += 1
    if i >= len(tokens):
        return None
    n = cue_length(tokens, i) or int(led_on and _past_verb(tokens[i]))
    if n and _inverts(tokens[i].text):
        phrase, _ = phrase_after(text, tokens, i + n)
        if phrase is not None and (phrase.kind == "name" or cue_length(tokens, i)):
            return Attribution(tokens[i].text, tokens[i].start, phrase, adjacent=True)
    phrase, j = phrase_after(text, tokens, i)
    if phrase is not None:
        k = _skip_apposition(tokens, j)
        if phrase.kind == "description" and k > j:
            # “…,” the spokesman, Carl Oduya, said: the name in apposition is the speaker.
            phrase = _apposed_name(text, tokens, j, k) or phrase
        while k < len(tokens) and tokens[k].is_word and _skippable(tokens[k]):
            k += 1
        if k < len(tokens) and (cue_length(tokens, k) or (led_on and _past_verb(tokens[k]))):
            return Attribution(tokens[k].text, tokens[k].start, phrase, adjacent=True)
        dashed = any(t.text in _DASHES for t in tokens[:i])
        if dashed and phrase.kind == "name" and (j >= len(tokens) or not tokens[j].is_word):
            return Attribution("—", tokens[i].start, phrase, adjacent=True)  # “…” — Jane Doe
    if strict:
        return None
    for k in range(len(tokens)):
        if cue_length(tokens, k):
            subject = subject_before(text, tokens, k)
            if subject is not None:
                return Attribution(tokens[k].text, tokens[k].start, subject)
    return None


def _past_verb(tok: Token) -> bool:
    """A lower-case word in -ed: a verb in the past tense, most likely."""
    return (
        tok.text.isalpha() and tok.text.islower() and len(tok.text) > 4 and tok.text.endswith("ed")
    )


def _inverts(cue: str) -> bool:
    """“…,” said Smith: most speech verbs may precede their subject; tell and -ing forms not."""
    cue = cue.lower()
    return cue not in NO_INVERSION and not cue.endswith("ing") and cue != "according"


def _apposed_name(text: str, tokens: list[Token], j: int, k: int) -> Phrase | None:
    """The name of ", Carl Oduya," when tokens[j:k] is that apposition alone."""
    inner = tokens[j + 1 : k - 1]
    if tokens[j].text != "," or tokens[k - 1].text != "," or not inner:
        return None
    if not all(_is_name_token(t) or t.text in _PARTICLES for t in inner):
        return None
    return _phrase(text, tokens, j + 1, k - 1, "name")


def _skip_apposition(tokens: list[Token], j: int) -> int:
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
            while k < len(tokens) and k - j < 20 and tokens[k].text not in _APPOSITION_STOP:
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


def attribution_before(text: str, start: int, end: int) -> Attribution | None:
    """The last cue in text[start:end] (the text before a quotation) and its speaker.

    Matches "Smith said:", "Smith told reporters that", "said Smith:", "According to Smith,"
    and "Smith attacked Clinton, saying," (an -ing cue takes the clause's first subject).
    """
    tokens = tokenize(text, start, end)
    for k in range(len(tokens) - 1, -1, -1):
        n = cue_length(tokens, k)
        if not n:
            continue
        word = tokens[k].text.lower()
        trailing = sum(1 for t in tokens[k + n :] if t.is_word)
        adjacent = trailing <= 3
        if word == "according":
            phrase, _ = phrase_after(text, tokens, k + 2)
            return Attribution("according to", tokens[k].start, phrase, adjacent)
        if word.endswith("ing"):  # a participle takes its clause's subject
            subject = _earlier_cue_subject(text, tokens, k) or _first_subject(text, tokens[:k])
        else:
            subject = subject_before(text, tokens, k)
        if subject is None and _inverts(word):
            subject, _ = phrase_after(text, tokens, k + n)
        return Attribution(tokens[k].text, tokens[k].start, subject, adjacent)
    return None


def introduced_by(text: str, start: int, end: int) -> Attribution | None:
    """Smith had a simple message: “…” -- a colon introduces the quote; the clause's subject."""
    subject = _first_subject(text, tokenize(text, start, end))
    return Attribution(":", end, subject) if subject is not None else None


def _first_subject(text: str, tokens: list[Token]) -> Phrase | None:
    """The clause before a participle or a colon: its first person is the speaker."""
    words = [t for t in tokens if t.is_word]
    if not words:
        return None
    return Phrase(text[words[0].start : words[-1].end], words[0].start, "clause")
