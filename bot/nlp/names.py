"""Names of people and organisations in one article, and the fullest form of each.

A name is a run of capitalised words outside sentence-initial function words ("The", "But").
Titles and honorifics ("Mr.", "Sen.", "President") are dropped from the name but kept as
evidence: they mark a person, and "Mr." / "Ms." a gender. A short mention resolves to the
earliest longer name in the article that contains all its words: "Zhengfei" and "Mr. Ren" ->
"Ren Zhengfei", "Trump" -> "Donald Trump" (never to "Trump Tower" or "Donald Trump Jr.").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from bot.nlp.wordtokens import FUNCTION_WORDS, Token, tokenize, word_set

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
_SMALL_WORDS = word_set("a an and as at but by for in of on or the to vs with from is are")
_PLACE_FIRST = word_set("north south east west new united saint st. san santa los las fort")
_GROUP_ENDINGS = ("ans", "crats", "inos", "inas", "ists", "ites")
_SUFFIXES = word_set("jr jr. sr sr. ii iii iv")
# "the state of Tamil Nadu", "the city of Chennai": the name after "<noun> of" is a place.
_PLACE_NOUNS = word_set(
    "state city province region town village county district capital country island republic "
    "kingdom prefecture municipality borough suburb"
)
_NEAR = word_set("near outside across throughout")
_INITIALS = re.compile(r"(?:[A-Z]\.)+")  # "K." in "Laura K. Benning", "G.K." in "G.K. Butterfield"
_NOT_EXTRA = ORG_WORDS | _SUFFIXES  # "Trump" is not "Trump Tower" nor "Donald Trump Jr."
_DOTTED_ACRONYMS = word_set("u.s. u.n. u.k. e.u. u.s.a. d.c. l.a. n.y. n.j. s.c. n.c.")


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
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        if not _name_token(tokens[i]):
            i += 1
            continue
        j = i
        while j < len(tokens) and (
            _name_token(tokens[j])
            or (
                tokens[j].text in ("de", "van", "von", "bin", "al", "da", "der")
                and j + 1 < len(tokens)
                and _name_token(tokens[j + 1])
            )
        ):
            j += 1
        mention = _mention(text, tokens, i, j, quoted, sentence_starts, lower_words)
        if mention is not None:
            mentions.append(mention)
        i = j
    return mentions


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
    # A sentence's first word is capitalised anyway: "Democrats" is a name, "Voters" is not.
    while run and (
        run[0].text.lower() in FUNCTION_WORDS
        or (run[0].start in sentence_starts and _common_word(run[0].text.lower(), lower_words))
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


def _inside(spans: list[tuple[int, int]], at: int) -> bool:
    """Whether `at` lies in one of the sorted, non-overlapping spans (start, end)."""
    k = bisect.bisect_right(spans, (at, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= at < spans[k][1]


def _secretary_of(tokens: list[Token], i: int) -> bool:
    """The name run at tokens[i] follows "Secretary of"."""
    return i >= 2 and tokens[i - 1].text == "of" and tokens[i - 2].bare.lower() == "secretary"


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
