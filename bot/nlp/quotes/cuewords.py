"""Speech-verb cues and the small word classes around them, as attribution needs them.

The cue verbs (verbs.py) are the ones newsbot started with and the forms learned from the cues
of PolNeAR's train split (cue_lexicon.json, written by bot/eval/cue_lexicon.py).
"""

from __future__ import annotations

from bot.nlp.text import Token, word_set
from bot.nlp.verbs import CUE_VERBS, LEXICON

NO_INVERSION = frozenset({"tell", "tells", "told", "written"})
DASHES = frozenset("—―–-")
_TWO_WORD_CUES = {("according", "to"), ("put", "it"), ("went", "on"), ("goes", "on")} | {
    tuple(form.split()) for cue in LEXICON["phrasal"].values() for form in cue.get("forms", ())
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
PARTICLES = word_set("de da di del della van von der den bin al el la le du dos das ibn")
STOP_FORWARD = word_set(
    "in on at during after before while when who which that to with from as and but about "
    "because since if than via by into over under near outside inside this last on"
)
APPOSITION_STOP = frozenset(',;:!?“”"')
COORDINATION = word_set("and but then")
OWNED_BY = word_set("of at for from with")
CLAUSE_BOUNDARY = frozenset('.;:!?“”"')
WEEKDAYS = word_set(
    "monday tuesday wednesday thursday friday saturday sunday today yesterday tonight"
)


def cue_length(tokens: list[Token], i: int) -> int:
    """1 or 2 when a cue starts at tokens[i] ("said", "according to"), else 0."""
    word = tokens[i].text.lower()
    if i + 1 < len(tokens) and (word, tokens[i + 1].text.lower()) in _TWO_WORD_CUES:
        return 2
    return 1 if word in CUE_VERBS else 0


def is_name_token(tok: Token) -> bool:
    if not tok.is_word:
        return False
    return tok.is_capitalized and tok.text.lower() not in WEEKDAYS


def skippable(tok: Token) -> bool:
    word = tok.text.lower()
    if word in WEEKDAYS:
        return True  # "Priebus later Thursday told Fox News:"
    return word in _SKIP or (word.endswith("ly") and not tok.is_capitalized and len(word) > 4)


def past_verb(tok: Token) -> bool:
    """A lower-case word in -ed: a verb in the past tense, most likely."""
    return (
        tok.text.isalpha() and tok.text.islower() and len(tok.text) > 4 and tok.text.endswith("ed")
    )


def inverts(cue: str) -> bool:
    """“…,” said Smith: most speech verbs may precede their subject; tell and -ing forms not."""
    cue = cue.lower()
    return cue not in NO_INVERSION and not cue.endswith("ing") and cue != "according"
