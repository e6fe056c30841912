"""Attribution cues around a quotation: the speech verb and the phrase that names its speaker.

English news attributes a quotation with a speech verb next to it, in a handful of orders:
“…,” Smith said / “…,” said Smith / “…,” Smith, a farmer, said / Smith said: “…” /
according to Smith, “…” / Smith, who said “…”. This module finds the verb and the speaker
phrase as written ("he", "the founder", "Mr. Ren", "Ren Zhengfei"); speakers.py resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.nlp.quotes.cuewords import DASHES, cue_length, inverts, past_verb, skippable
from bot.nlp.quotes.subjects import (
    Phrase,
    apposed_name,
    earlier_cue_subject,
    first_subject,
    phrase_after,
    skip_apposition,
    subject_before,
)
from bot.nlp.text import tokenize


@dataclass(slots=True, frozen=True)
class Attribution:
    """A speech cue and its speaker phrase (None when the cue's subject is not recognisable)."""

    cue: str
    cue_start: int
    speaker: Phrase | None
    adjacent: bool = False  # the cue stands right next to the quotation


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
    while i < len(tokens) and (tokens[i].text in ",;()" or tokens[i].text in DASHES):
        i += 1
    if i >= len(tokens):
        return None
    n = cue_length(tokens, i) or int(led_on and past_verb(tokens[i]))
    if n and inverts(tokens[i].text):
        phrase, _ = phrase_after(text, tokens, i + n)
        if phrase is not None and (phrase.kind == "name" or cue_length(tokens, i)):
            return Attribution(tokens[i].text, tokens[i].start, phrase, adjacent=True)
    phrase, j = phrase_after(text, tokens, i)
    if phrase is not None:
        k = skip_apposition(tokens, j)
        if phrase.kind == "description" and k > j:
            # “…,” the spokesman, Carl Oduya, said: the name in apposition is the speaker.
            phrase = apposed_name(text, tokens, j, k) or phrase
        while k < len(tokens) and tokens[k].is_word and skippable(tokens[k]):
            k += 1
        if k < len(tokens) and (cue_length(tokens, k) or (led_on and past_verb(tokens[k]))):
            return Attribution(tokens[k].text, tokens[k].start, phrase, adjacent=True)
        dashed = any(t.text in DASHES for t in tokens[:i])
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
            subject = earlier_cue_subject(text, tokens, k) or first_subject(text, tokens[:k])
        else:
            subject = subject_before(text, tokens, k)
        if subject is None and inverts(word):
            subject, _ = phrase_after(text, tokens, k + n)
        return Attribution(tokens[k].text, tokens[k].start, subject, adjacent)
    return None


def introduced_by(text: str, start: int, end: int) -> Attribution | None:
    """Smith had a simple message: “…” -- a colon introduces the quote; the clause's subject."""
    subject = first_subject(text, tokenize(text, start, end))
    return Attribution(":", end, subject) if subject is not None else None
