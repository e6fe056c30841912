"""Names of people and organisations in one article, and the fullest form of each.

The mentions (mentions.py) are runs of capitalised words; their titles ("Mr.", "Sen.",
"President") mark a person, and "Mr." / "Ms." a gender. A short mention resolves to the
earliest longer name in the article that contains all its words: "Zhengfei" and "Mr. Ren" ->
"Ren Zhengfei", "Trump" -> "Donald Trump" (never to "Trump Tower" or "Donald Trump Jr.").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from bot.nlp.quotes.mentions import Mention
from bot.nlp.text import word_set

_MALE_TITLES = word_set("mr sir lord king prince father congressman chairman")
_FEMALE_TITLES = word_set("mrs ms miss dame lady queen princess congresswoman chairwoman")
ORG_WORDS = word_set(
    "inc inc. corp corp. co co. ltd ltd. llc plc ag sa group company party committee department "
    "ministry university college institute foundation association council agency administration "
    "commission bureau bank times post news journal network campaign house senate congress court "
    "church club union federation organization organisation center centre service office fund "
    "trust board authority airlines motors technologies systems holdings capital partners media "
    "press tribune herald review magazine channel tv radio tower hall street avenue square park "
    "building airport hotel county city state river island valley beach mountain school "
    "hospital police army navy force forces guard caucus coalition alliance project fox cnn"
)
_PLACE_FIRST = word_set("north south east west new united saint st. san santa los las fort")
_GROUP_ENDINGS = ("ans", "crats", "inos", "inas", "ists", "ites")
_SUFFIXES = word_set("jr jr. sr sr. ii iii iv")
_INITIALS = re.compile(r"(?:[A-Z]\.)+")  # "K." in "Laura K. Benning", "G.K." in "G.K. Butterfield"
_NOT_EXTRA = ORG_WORDS | _SUFFIXES  # "Trump" is not "Trump Tower" nor "Donald Trump Jr."
_DOTTED_ACRONYMS = word_set("u.s. u.n. u.k. e.u. u.s.a. d.c. l.a. n.y. n.j. s.c. n.c.")


@dataclass(slots=True)
class Entity:
    """A person or organisation of the article, under its fullest name."""

    name: str
    words: tuple[str, ...]
    mentions: list[Mention] = field(default_factory=list)
    gender: str | None = None  # "m" or "f" when a title or a resolved pronoun says so
    speaks: int = 0  # times the article makes it the subject of a speech verb
    described: bool = False  # the article calls it by a person noun ("a spokeswoman, ...")

    @property
    def place(self) -> bool:
        """The article mostly writes the name as a place ("near Chennai", "the state of Tamil
        Nadu"); "outside Bernie Sanders' office" once does not make Sanders one."""
        return sum(m.place for m in self.mentions) * 2 >= len(self.mentions)

    @property
    def org_like(self) -> bool:
        """True when the name looks like an organisation, a place or a building."""
        if self.words[-1].lower() in ORG_WORDS or self._acronym:
            return True
        if any(m.place for m in self.mentions):
            return True
        votes = sum(m.after_the or m.after_in for m in self.mentions)
        return votes * 2 > len(self.mentions)

    @property
    def _acronym(self) -> bool:
        """ "NATO", "IBM Watson", "U.S." alone, "U.N. Charter": an organisation or a place.
        Initials before other words ("G.K. Butterfield", "Laura K. Benning") are a person's."""
        shown = self.name.split()
        return any(
            w.isupper() and len(w.rstrip(".")) > 1 and (len(shown) == 1 or not _initials(w))
            for w in shown
        )

    @property
    def initialled(self) -> bool:
        """A name with initials before its last word: "Laura K. Benning", "G.K. Butterfield"."""
        shown = self.name.split()
        return len(shown) >= 2 and any(_initials(w) for w in shown[:-1])

    @property
    def maybe_person(self) -> bool:
        """True for a sure person, and for a name of two or more words with no other sign."""
        if self.person_like:
            return True
        if self.org_like or self.words[0].lower() in _PLACE_FIRST:
            return False
        return len(self.words) >= 2

    @property
    def person_like(self) -> bool:
        """True when a title, a speech verb or a reused surname points to a person."""
        if self.org_like or self.words[0].lower() in _PLACE_FIRST:
            return False
        if len(self.words) == 1 and self.words[0].lower().endswith(_GROUP_ENDINGS):
            return False  # "Democrats", "African-Americans", "Latinos": groups, not people
        if self.speaks or self.described or self.initialled or any(m.title for m in self.mentions):
            return True
        # "Hope Hicks ... Hicks said": a full name whose last word is used on its own.
        words = {m.words for m in self.mentions}
        return len(self.words) >= 2 and (self.words[-1],) in words


class NameIndex:
    """The entities of one article, built from its mentions (in order, as find_mentions gives
    them). Lookups are indexed by word and offset, so building is near-linear in the text."""

    def __init__(self, mentions: list[Mention]) -> None:
        self.mentions = mentions
        self._starts = [m.start for m in mentions]
        self._ends = [m.end for m in mentions]  # mentions never overlap: ends are sorted too
        self._entities: dict[tuple[str, ...], Entity] = {}
        self._shown: dict[tuple[str, ...], str] = {}
        for mention in mentions:
            if mention.text:
                self._shown.setdefault(mention.words, mention.text)
        # Quotations hold nicknames ("Crooked Hillary Clinton"): full forms come from outside.
        full = [m for m in mentions if not m.in_quote] or mentions
        # The distinct forms of the full names, in order of first appearance, indexed by word:
        # `fullest` looks only at the forms that hold its rarest word.
        self._forms: list[tuple[tuple[str, ...], frozenset[str], Mention]] = []
        seen_forms: set[tuple[tuple[str, ...], str]] = set()
        self._by_word: dict[str, list[int]] = {}
        for m in full:
            key = (m.words, m.text)
            if key in seen_forms:
                continue
            seen_forms.add(key)
            have = frozenset(w.lower() for w in m.words)
            for word in have:
                self._by_word.setdefault(word, []).append(len(self._forms))
            self._forms.append((m.words, have, m))
        self._fullest: dict[tuple[str, ...], tuple[str, ...]] = {}
        for mention in mentions:
            entity = self.entity_for(mention.words)
            entity.mentions.append(mention)
            if mention.title in _MALE_TITLES:
                entity.gender = "m"
            elif mention.title in _FEMALE_TITLES:
                entity.gender = "f"

    def fullest(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The fullest name in the article that contains all the given words."""
        if words in self._fullest:
            return self._fullest[words]
        seen = {words}
        current = words
        while True:
            wanted = {w.lower() for w in current}
            postings = min((self._by_word.get(w, []) for w in wanted), key=len, default=[])
            best = None
            for index in postings:
                form, have, m = self._forms[index]
                if len(form) <= len(current) or form in seen:
                    continue
                extra = have - wanted
                if not wanted <= have or extra & _NOT_EXTRA or _owner(m, wanted):
                    continue
                best = form
                break
            if best is None:
                break
            seen.add(best)
            current = best
        self._fullest[words] = current
        return current

    def entity_for(self, words: tuple[str, ...]) -> Entity:
        """The entity that a mention with these words refers to (created when new)."""
        full = self.fullest(words)
        key = tuple(w.lower() for w in full)
        if key not in self._entities:
            self._entities[key] = Entity(self._shown.get(full) or " ".join(full), full)
        return self._entities[key]

    def within(self, start: int, end: int) -> Entity | None:
        """The entity of the last mention inside text[start:end]."""
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_right(self._ends, end)
        return self.entity_for(self.mentions[hi - 1].words) if hi > lo else None

    def between(self, start: int, end: int) -> list[Mention]:
        """The mentions that start in text[start:end], in order."""
        lo = bisect.bisect_left(self._starts, start)
        return self.mentions[lo : bisect.bisect_left(self._starts, end, lo)]


def _initials(word: str) -> bool:
    """ "K.", "G.K.": a person's initials, not a dotted acronym such as "U.S." or "U.N."."""
    return bool(_INITIALS.fullmatch(word)) and word.lower() not in _DOTTED_ACRONYMS


def _owner(mention: Mention, wanted: set[str]) -> bool:
    """ "Samsung's HBM": the wanted words name only the owner, written with a possessive."""
    owners = {
        w.lower().rstrip("’'").removesuffix("’s").removesuffix("'s")
        for w in mention.text.split()[:-1]
        if w.endswith(("’s", "'s", "’", "'"))
    }
    return bool(owners) and wanted <= owners
