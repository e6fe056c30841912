"""Resolve a speaker phrase ("he", "the founder", "Mr. Ren") to the fullest name in the article.

- A name resolves to its fullest form (names.py).
- "he" / "she" resolve to the first fitting person of the nearest sentence before the cue that
  names one (outside quotations), searching each sentence from its start, since its subject
  comes first (a light form of Hobbs' algorithm), except that a person the sentence makes the
  subject of a speech verb comes before the others ("… the top,'' Mr. Kamin said."). A person
  is fitting when no title or earlier resolution gives them the other gender.
- A definite description ("the founder", "the businessman") resolves to the nearest earlier
  name the article links to that noun ("Huawei founder Ren Zhengfei", "Ren Zhengfei, the
  founder of Huawei"); failing that, a person noun resolves like a pronoun and an organisation
  noun ("the company") to the organisation the article names most often, else to nothing.
- A speaker the article names only by a role keeps the role (roles.py): "Intel's chief financial
  officer", "An Indian government official" (also for a later "the official"). An owner's role
  ("Obama's former campaign strategist") right after a sentence that names a person is that
  person.
- Persons are names with a title, a speech verb, an initial ("Laura K. Benning") or a person
  noun ("An Apple spokeswoman, Laura K. Benning"); places ("near Chennai") never are. Only
  speech verbs in the past or present tense count: "Tamil Nadu is adding two lines" says nothing.
"""

from __future__ import annotations

import bisect

from bot.nlp.quotes.cuewords import cue_length
from bot.nlp.quotes.mentions import Mention, find_mentions
from bot.nlp.quotes.names import Entity, NameIndex
from bot.nlp.quotes.roles import LINKS, Introductions, noun_after, noun_before, owned, role_of
from bot.nlp.quotes.subjects import Phrase, subject_before
from bot.nlp.text import Token, tokenize, word_set

BUSINESS_NOUNS = word_set(
    "company firm group corporation business giant maker carmaker automaker retailer bank lender "
    "insurer airline startup conglomerate manufacturer operator supplier chain brand"
)
_CORPORATE = word_set(
    "inc inc. corp corp. co co. ltd ltd. llc plc ag sa group technologies holdings motors airlines"
)
PERSON_NOUNS = word_set(
    "founder cofounder co-founder businessman businesswoman candidate nominee president senator "
    "governor congressman congresswoman lawmaker mayor chairman chairwoman chair chief executive "
    "ceo leader minister official spokesman spokeswoman spokesperson secretary director manager "
    "owner billionaire mogul tycoon entrepreneur investor analyst economist professor expert "
    "lawyer attorney judge officer general commander actor actress singer star host author "
    "writer reporter journalist doctor pastor reverend bishop pope king queen prince princess "
    "woman man mother father son daughter wife husband veteran activist rapper player coach "
    "speaker adviser advisor aide strategist pollster organizer president-elect frontrunner "
    "front-runner democrat republican politician diplomat ambassador scientist researcher "
    "student teacher resident witness victim suspect sheriff chancellor premier boss"
)
_MALE = word_set("he him his businessman congressman chairman spokesman man father son husband")
_FEMALE = word_set(
    "she her businesswoman congresswoman chairwoman spokeswoman woman mother daughter wife "
    "actress queen princess"
)
_SEARCH_SENTENCES = 15
_MAX_CHAIN = 40  # sentences in a row about "she" that a pronoun's search follows back


class SpeakerResolver:
    """Names the speaker of a phrase at an offset of one article."""

    def __init__(self, text: str, quoted: list[tuple[int, int]], sentence_starts: list[int]):
        self.text = text
        self.starts = sentence_starts
        self.quoted = quoted
        mentions = find_mentions(text, quoted, set(sentence_starts))
        self.names = NameIndex(mentions)
        self.outside = [m for m in mentions if not m.in_quote]
        self._outside_starts = [m.start for m in self.outside]
        self._outside_at = {m.start: m for m in self.outside}
        self._quote_starts = [a for a, _ in quoted]
        self.tokens = tokenize(text)
        self._token_at = {t.start: k for k, t in enumerate(self.tokens)}
        self._token_starts = [t.start for t in self.tokens]
        self._introductions: Introductions | None = None  # built on first use
        self._nearest: dict[tuple[int, str | None, str | None, bool], Entity | None] = {}
        self._speaking: set[int] = set()  # starts of mentions that are a speech verb's subject
        self._count_speakers()
        self._mark_described()
        self._described_by = self._index_descriptions()
        self._companies = self._company_ranking()

    def _count_speakers(self) -> None:
        """Mark names the article makes the subject of a speech verb (Smith said, said Smith)."""
        for k in range(len(self.tokens)):
            # A participle's subject is not the name before it: "Tamil Nadu is adding lines".
            if not cue_length(self.tokens, k) or self.tokens[k].text.lower().endswith("ing"):
                continue
            phrase = subject_before(self.text, self.tokens, k)
            if phrase is not None and phrase.kind == "name":
                end = phrase.start + len(phrase.text)
                entity = self.names.within(phrase.start, end)
                if entity is not None:
                    entity.speaks += 1
                    self._speaking.update(m.start for m in self._outside_between(phrase.start, end))

    def _mark_described(self) -> None:
        """Mark names the article calls by a person noun, and take the noun's gender."""
        for mention in self.outside:
            k = self._token_at.get(mention.start)
            if k is None:
                continue
            j = k
            while j < len(self.tokens) and self.tokens[j].end <= mention.end:
                j += 1
            noun = noun_before(self.tokens, k, PERSON_NOUNS) or noun_after(
                self.tokens, j, PERSON_NOUNS
            )
            if noun is None:
                continue
            entity = self.names.entity_for(mention.words)
            entity.described = True
            if entity.gender is None and (noun in _MALE or noun in _FEMALE):
                entity.gender = "m" if noun in _MALE else "f"

    def resolve(self, phrase: Phrase | None, at: int) -> str | None:
        """The fullest name of the speaker that `phrase` (at offset `at`) refers to, the role
        of a speaker the article does not name, or None."""
        entity = self.entity(phrase, at)
        if entity is not None:
            return entity.name
        return self.role(phrase)

    def role(self, phrase: Phrase | None) -> str | None:
        """The role of an unnamed person speaker (roles.py), or None."""
        if phrase is None:
            return None
        if self._introductions is None:
            self._introductions = Introductions(self.text, self.tokens)
        return role_of(self.text, phrase, PERSON_NOUNS, self._introductions)

    def entity(self, phrase: Phrase | None, at: int) -> Entity | None:
        """The entity that `phrase` refers to, or None."""
        if phrase is None:
            return None
        if phrase.kind == "name":
            # Capitalised words that are no mention (a sentence's first word, a headline) are
            # not names: "Teachers said" names no one. A place ("near Chennai", "the state
            # of Tamil Nadu") speaks for no one either.
            entity = self.names.within(phrase.start, phrase.start + len(phrase.text))
            return None if entity is not None and entity.place else entity
        if phrase.kind == "clause":
            return self._clause_subject(phrase.start, phrase.start + len(phrase.text))
        if phrase.kind == "pronoun":
            word = phrase.text.lower()
            if word not in ("he", "she"):
                return None
            gender = "m" if word == "he" else "f"
            entity = self._nearest_person(at, gender, pronoun=word)
            if entity is not None and entity.gender is None:
                entity.gender = gender
            return entity
        if not phrase.definite or phrase.head is None:
            return None
        nouns = BUSINESS_NOUNS if phrase.head in BUSINESS_NOUNS else frozenset({phrase.head})
        linked = self._linked(nouns, at)
        if linked is not None:
            return linked
        if phrase.head in PERSON_NOUNS:
            gender = "m" if phrase.head in _MALE else "f" if phrase.head in _FEMALE else None
            if owned(phrase):  # "Obama's former campaign strategist": the person just named
                return self._nearest_person(at, gender, nearby=True)
            if self.role(phrase) is not None:
                return None  # a person the article introduced without a name
            return self._nearest_person(at, gender)
        if phrase.head in BUSINESS_NOUNS:
            return self._main_company(at)
        return None

    def _clause_subject(self, start: int, end: int) -> Entity | None:
        """The first person named (or he / she) in text[start:end]."""
        k = bisect.bisect_left(self._token_starts, start)
        while k < len(self.tokens) and self.tokens[k].end <= end:
            tok = self.tokens[k]
            if tok.text.lower() in ("he", "she"):
                return self.entity(Phrase(tok.text, tok.start, "pronoun"), tok.start)
            entity = self.names.within(tok.start, tok.end)
            if entity is None and tok.start in self._outside_at:
                entity = self.names.entity_for(self._outside_at[tok.start].words)
            if entity is not None and entity.maybe_person:
                return entity
            k += 1
        return None

    def _nearest_person(
        self,
        at: int,
        gender: str | None,
        pronoun: str | None = None,
        *,
        nearby: bool = False,
        hops: int = 0,
    ) -> Entity | None:
        """The first fitting person of the nearest sentence that names one (of the
        `_SEARCH_SENTENCES` before the one of `at`, or only the one before when `nearby`), the
        subject of a speech verb first; a name with no sign of being a person ("Maria Gomez"
        said nothing yet) only when no sure one fits. A sentence whose subject is the same
        `pronoun` ("She has faced ...", "..., he told me, ...") is about that person already:
        its names are passed over and the search goes on from there (at most `_MAX_CHAIN`
        sentences in a row; within one search each sentence's answer is kept, so a long chain
        costs one pass)."""
        if hops == 0:
            self._nearest = {}  # kept within one search: genders learned later may change it
        key = (at, gender, pronoun, nearby)
        if key not in self._nearest:
            self._nearest[key] = self._search_person(at, gender, pronoun, nearby, hops)
        return self._nearest[key]

    def _search_person(
        self, at: int, gender: str | None, pronoun: str | None, nearby: bool, hops: int
    ) -> Entity | None:
        here = bisect.bisect_right(self.starts, at) - 1
        lowest = self._previous(here) if nearby else max(0, here - _SEARCH_SENTENCES)
        for sure in (True, False):
            for index in range(here, lowest - 1, -1):
                begin = self.starts[index] if index >= 0 else 0
                stop = at if index == here else self.starts[index + 1]
                fitting = []
                for mention in self._outside_between(begin, stop):
                    entity = self.names.entity_for(mention.words)
                    fits = entity.person_like if sure else entity.maybe_person
                    if fits and (gender is None or entity.gender in (None, gender)):
                        fitting.append((mention.start, entity))
                if sure and pronoun and index < here and hops < _MAX_CHAIN:
                    # "She has faced ... Hillary Clinton": the sentence is about her already.
                    subject = self._subject_pronoun(begin, stop, pronoun)
                    if subject is not None and (not fitting or subject.start < fitting[0][0]):
                        chained = self._nearest_person(
                            subject.start, gender, pronoun, hops=hops + 1
                        )
                        if chained is not None:
                            return chained
                if fitting:
                    speaker = next((e for m, e in fitting if m in self._speaking), None)
                    return speaker or fitting[0][1]
        return None

    def _previous(self, here: int) -> int:
        """The index of the last non-blank sentence before sentence `here` (or 0)."""
        index = here - 1
        while index > 0 and not self.text[self.starts[index] : self.starts[index + 1]].strip():
            index -= 1
        return max(0, index)

    def _in_quote(self, at: int) -> bool:
        k = bisect.bisect_right(self._quote_starts, at) - 1
        return k >= 0 and self.quoted[k][0] <= at < self.quoted[k][1]

    def _outside_between(self, start: int, end: int) -> list[Mention]:
        """The mentions outside quotations that start in text[start:end], in order."""
        lo = bisect.bisect_left(self._outside_starts, start)
        return self.outside[lo : bisect.bisect_left(self._outside_starts, end, lo)]

    def _subject_pronoun(self, begin: int, stop: int, pronoun: str) -> Token | None:
        """The pronoun as a subject in text[begin:stop], outside quotations: the sentence's
        first word ("She has faced ...") or before a speech verb ("..., he told me, ...")."""
        k = bisect.bisect_left(self._token_starts, begin)
        first = k
        while k < len(self.tokens) and self.tokens[k].start < stop:
            tok = self.tokens[k]
            subject = k == first or (k + 1 < len(self.tokens) and cue_length(self.tokens, k + 1))
            if subject and tok.text.lower() == pronoun and not self._in_quote(tok.start):
                return tok
            k += 1
        return None

    def _linked(self, nouns: frozenset[str], at: int) -> Entity | None:
        """The nearest earlier name that the article describes with one of these nouns."""
        limit = bisect.bisect_left(self._outside_starts, at)
        best = -1
        for noun in nouns:
            indices = self._described_by.get(noun)
            if indices:
                k = bisect.bisect_left(indices, limit) - 1
                if k >= 0:
                    best = max(best, indices[k])
        return self.names.entity_for(self.outside[best].words) if best >= 0 else None

    def _index_descriptions(self) -> dict[str, list[int]]:
        """For each noun, the indices (in `outside`) of the mentions it describes."""
        index: dict[str, list[int]] = {}
        for n, mention in enumerate(self.outside):
            for noun in self._describing(mention.start, mention.end):
                index.setdefault(noun, []).append(n)
        return index

    def _describing(self, start: int, end: int) -> set[str]:
        """The nouns that could describe the name at text[start:end]."""
        k = self._token_at.get(start)
        if k is None:
            return set()
        # "Huawei founder Ren Zhengfei", "the businessman Donald Trump", "A spokesman, Rob Cole"
        nouns = set()
        for tok in reversed(self.tokens[max(0, k - 3) : k]):
            if not tok.is_word or tok.text.lower() in LINKS:
                break
            nouns.add(tok.bare.lower())
        if k >= 2 and self.tokens[k - 1].text == "," and self.tokens[k - 2].is_word:
            nouns.add(self.tokens[k - 2].bare.lower())
        # "Ren Zhengfei, the founder of Huawei," / "Trump is a businessman"
        j = k
        while j < len(self.tokens) and self.tokens[j].end <= end:
            j += 1
        if j < len(self.tokens) and self.tokens[j].text.lower() in (",", "is", "was", "("):
            for tok in self.tokens[j + 1 : j + 9]:
                if not tok.is_word:
                    break
                nouns.add(tok.bare.lower())
        return nouns

    def _main_company(self, at: int) -> Entity | None:
        """The company named most often before `at` (by a corporate word: Inc., Group, ...)."""
        k = bisect.bisect_left(self._companies, (at,)) - 1
        return self._companies[k][1] if k >= 0 else None

    def _company_ranking(self) -> list[tuple[int, Entity]]:
        """After each mention of a company (in order): the company named most often so far,
        the first named among equals."""
        counts: dict[str, int] = {}
        firsts: dict[str, Entity] = {}  # by name, the first entity of that name
        order: dict[str, int] = {}
        ranking: list[tuple[int, Entity]] = []
        best: str | None = None
        for mention in self.outside:
            entity = self.names.entity_for(mention.words)
            if entity.words[-1].lower() not in _CORPORATE:
                continue
            name = entity.name
            firsts.setdefault(name, entity)
            order.setdefault(name, len(order))
            counts[name] = counts.get(name, 0) + 1
            if best is None or (counts[name], -order[name]) > (counts[best], -order[best]):
                best = name
            ranking.append((mention.start, firsts[best]))
        return ranking
