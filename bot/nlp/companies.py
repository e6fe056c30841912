"""Company mentions: the gazetteer in config/companies.toml, plus organisations nobody configured.

Matching rules (tests/test_companies.py pins each one):

* Names, aliases and native names match on word boundaries, longest first ("Apple Inc." over
  "Apple"); CJK, kana and hangul forms match as substrings, as those scripts do not space words.
* Case: a Latin form matches as written or in capitals ("NVIDIA"); an unambiguous form of five
  letters or more also matches capitalised with other inner case ("Tiktok"). Lower case never
  matches ("apple", "shell"). Capitals of an ambiguous or short form ("APPLE", "DELL") match only
  inside an all-caps run, such as a shouted headline.
* Tickers match only in ticker notation: "$AAPL", "(NASDAQ: AAPL)", "AAPL shares" (three letters
  or more), or with an exchange suffix ("0700.HK"), so "ARM" or "C" as words are not tickers.
* A form is ambiguous when its company is flagged ambiguous and the form is one word that is the
  name, a word of it or its initials ("Apple", "Mistral", "GM"; not "Google"), or a native form
  of two characters ("荣耀"). An ambiguous mention is, in this order:
  1. rejected by a not_context phrase that covers it ("apple pie", "in honor of", "Big Apple"),
     or as a hyphenated compound ("Meta-analysis"; "Apple-designed" passes);
  2. confirmed by an unambiguous mention of the same company within twelve words ("Meta's
     Instagram"), a ticker, or an organisation cue on the name ("Apple Corp.", "Apple's CEO");
  3. rejected by any other not_context phrase within six words of its sentence ("the Amazon
     rainforest");
  4. confirmed by a context word or person within twelve words ("Honor launched the Magic 7");
     unless "the" precedes it ("the Amazon"), also by a corporate word (shares, CEO, profit...),
     another company nearby, or a corporate verb right after a standalone name ("Amazon said");
  5. otherwise kept only if another mention in the article is confirmed (one sense per story).
* A company with a `parent` (Google, whose parent is Alphabet) is the mention, named as the
  article names it; each of its parents is added after it as a mention of its own, with the
  same salience, unless the article names the parent itself. A parent or unit nearby confirms
  an ambiguous name as the company itself does ("Meta's Instagram").
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

from bot.models import CompanyMention
from bot.nlp.orgs import (
    Passage,
    corporate_cue,
    find_orgs,
    in_compound,
    org_mentions,
    strip_group_word,
    strip_legal,
)

_CJK = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]")
_WORD = re.compile(r"\w+")
_TICKER = r"[A-Z0-9]+(?:[.\-][A-Z0-9]+)*"
_TICKERS = re.compile(
    rf"\$(?P<dollar>{_TICKER})(?!\w)"
    r"|\b(?:NYSE(?: American| Arca)?|NASDAQ|Nasdaq|AMEX|LSE|LON|HKEX|HKG|SEHK|TSE|TYO|TSX|ASX|SIX"
    r"|ETR|XETRA|FRA|EPA|AMS|Euronext|KRX|KOSPI|TWSE|SSE|SZSE|SGX|OTC(?:QX|MKTS)?)"
    rf"[^\S\r\n]*:[^\S\r\n]*(?P<exchange>{_TICKER})(?!\w)"
    r"|(?<![\w.$])(?P<word>[A-Z][A-Z0-9]{2,}(?:\.[A-Z]{1,2})?)[^\S\r\n]+(?:shares|stock)\b"
    r"|(?<![\w.$])(?P<suffixed>[A-Z0-9]+(?:-[A-Z])?\.[A-Z]{1,2})(?!\w|\.\w)"
)
_NO, _MAYBE, _OK = 0, 1, 2


def salience(count: int, first_offset: int, in_title: bool, length: int) -> float:
    """How much a story is about a company: title, mention count, then how early it appears.

    A single passing mention scores at most 1.5, two mentions at least 2, a title at least 3.
    """
    position = 1.0 - first_offset / length if first_offset >= 0 and length else 0.0
    return round((2.0 if in_title else 0.0) + 1.0 + math.log2(max(count, 1)) + 0.5 * position, 3)


Patterns = tuple[re.Pattern[str] | None, re.Pattern[str] | None]  # (case rule, all-caps text)


@dataclass(frozen=True, slots=True)
class _Company:
    ambiguous: frozenset[str]  # the forms that need confirmation
    context: Patterns
    not_self: Patterns  # not_context phrases containing a form: reject only what they cover
    not_near: Patterns


@dataclass(slots=True)
class _Hit:
    key: str
    start: int
    end: int
    in_title: bool
    known: bool
    state: int = _OK
    ambiguous: bool = False
    sure: bool = True  # evidence for neighbours: unambiguous form, ticker or organisation cue


class Gazetteer:
    """Known companies and how to find them in text; the module docstring gives the rules."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self._companies: dict[str, _Company] = {}
        self._forms: dict[str, list[tuple[str, str]]] = defaultdict(list)  # key -> (company, form)
        self._tickers: dict[str, str] = {}
        self._exact: dict[str, str] = {}
        self._folded: dict[str, str] = {}
        self._choices: list[tuple[str, str]] = []  # (form, company) for fuzzy suggestions
        self._parent: dict[str, str] = {}
        for entry in entries:
            self._add(entry)
        self._family = self._families()
        trie: dict[str, Any] = {}
        for key in self._forms:
            node = trie
            for piece in _pieces(key):
                node = node.setdefault(piece, {})
            node[""] = {}
        self._pattern = re.compile(_emit(trie), re.IGNORECASE)

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        """Read a companies.toml file (its [[company]] tables); the only I/O in this module."""
        with path.open("rb") as handle:
            return cls.from_entries(tomllib.load(handle).get("company", []))

    @classmethod
    def from_entries(cls, entries: list[dict[str, Any]]) -> Gazetteer:
        """Build from [[company]]-shaped dicts; raises ValueError naming a bad entry."""
        return cls(entries)

    def _add(self, entry: dict[str, Any]) -> None:
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a company entry has no name: {entry!r}")
        lists: dict[str, list[str]] = {}
        parent = entry.get("parent")
        if parent is not None:
            if not isinstance(parent, str) or not parent.strip() or parent == name:
                raise ValueError(f"company {name!r}: parent must be another company's name")
            self._parent[name] = parent
        for key in ("aliases", "native", "tickers", "people", "context", "not_context"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"company {name!r}: {key} must be a list of strings")
            lists[key] = [v for v in value if v.strip()]
        forms = [name, *lists["aliases"], *lists["native"]]
        for form in forms:
            owners = {company for company, _ in self._forms[_key(form)]}
            if owners - {name}:
                raise ValueError(f"{form!r} names both {owners.pop()!r} and {name!r}")
            self._forms[_key(form)].append((name, form))
        ambiguous = _ambiguous_forms(name, lists["aliases"], lists["native"], entry)
        self_words = [re.compile(rf"(?<!\w){re.escape(f.lower())}(?!\w)") for f in ambiguous]
        covering = [p for p in lists["not_context"] if any(w.search(p.lower()) for w in self_words)]
        others = [p for p in lists["not_context"] if p not in covering]
        context = _phrases([*lists["context"], *lists["people"]])
        self._companies[name] = _Company(ambiguous, context, _phrases(covering), _phrases(others))
        for ticker in lists["tickers"]:
            self._tickers[ticker] = name
        for form in (*forms, *lists["tickers"]):
            self._exact.setdefault(_normalise(form), name)
            self._choices.append((form, name))
            # "V", "F", "MS": one- and two-letter tickers are words in lower case
            if len(form) > 2 or form not in lists["tickers"] or form in forms:
                self._folded.setdefault(_normalise(form).casefold(), name)

    def _families(self) -> dict[str, frozenset[str]]:
        """Each company with its parents and units; raises ValueError on an unknown parent or a
        cycle."""
        for name, parent in self._parent.items():
            if parent not in self._companies:
                raise ValueError(f"company {name!r}: parent {parent!r} is not a company")
            chain = self.parents(name)
            if chain and self._parent.get(chain[-1]) in (name, *chain):
                raise ValueError(f"company {name!r}: its parents lead back to itself")
        family: dict[str, set[str]] = {name: {name} for name in self._companies}
        for name in self._parent:
            for parent in self.parents(name):
                family[name].add(parent)
                family[parent].add(name)
        return {name: frozenset(members) for name, members in family.items()}

    def family(self, name: str) -> frozenset[str]:
        """A company with its parents and its units (all of them, at any depth)."""
        return self._family.get(name, frozenset({name}))

    def parents(self, name: str) -> list[str]:
        """The parent of a company, its parent's parent and so on, nearest first."""
        chain: list[str] = []
        parent = self._parent.get(name)
        while parent is not None and parent not in chain and parent != name:
            chain.append(parent)
            parent = self._parent.get(parent)
        return chain

    def names(self) -> list[str]:
        """Canonical names, alphabetically."""
        return sorted(self._companies, key=str.casefold)

    def forms(self) -> list[tuple[str, str]]:
        """Every (name, alias, native name or ticker; its company's canonical name) pair."""
        return list(self._choices)

    def lookup(self, name: str) -> str | None:
        """The canonical name for a name, alias, native name or ticker ("AAPL" -> "Apple").

        Case-insensitive except for one- and two-letter tickers; a leading "$", a possessive and
        trailing legal forms are ignored ("apple inc", "Huawei Technologies Co., Ltd.").
        """
        query = _normalise(name)
        for candidate in (query, strip_legal(query), strip_group_word(strip_legal(query))):
            found = self._exact.get(candidate) or self._folded.get(candidate.casefold())
            if candidate and found:
                return found
        return None

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Canonical names closest to a misspelt one ("huawai" -> ["Huawei", ...]), best first."""
        query = _normalise(name)
        if not utils.default_process(query):
            return []
        exact = self.lookup(query)
        found = [exact] if exact else []
        choices = [form for form, _ in self._choices]
        for _, _, index in process.extract(
            query, choices, scorer=fuzz.QRatio, processor=utils.default_process,
            limit=limit * 8, score_cutoff=60,
        ):  # fmt: skip
            if self._choices[index][1] not in found:
                found.append(self._choices[index][1])
        return found[:limit]

    def find(self, text: str, title: str = "") -> list[CompanyMention]:
        """The companies `text` (and its `title`) mention, the most salient first."""
        hits: list[_Hit] = []
        for part in (Passage(title, in_title=True), Passage(text, in_title=False)):
            if part.text:
                hits.extend(self._hits(part))
        confirmed = {hit.key for hit in hits if hit.known and hit.state == _OK}
        known: dict[str, list[_Hit]] = defaultdict(list)
        strong: dict[str, bool] = {}
        for hit in hits:
            if hit.known and hit.key in confirmed and hit.state != _NO:
                known[hit.key].append(hit)
            elif not hit.known:
                strong[hit.key] = strong.get(hit.key, False) or hit.state == _OK
        mentions = [_known_mention(key, group, len(text)) for key, group in known.items()]
        mentions += self._parent_mentions(mentions)
        # A title-case headline runs words into a name ("Investors Cheer Zephyr Robotics Inc.")
        body = {hit.key for hit in hits if not hit.known and not hit.in_title}
        names = [
            next((b for b in body if n.endswith(" " + b)), n) for n, ok in strong.items() if ok
        ]
        mentions += _unknown_mentions(names, title, text, self.lookup)
        mentions.sort(key=lambda m: (-m.score, self._depth(m), m.first_offset, m.name))
        return mentions

    def _depth(self, mention: CompanyMention) -> int:
        """0 for a company the article names, 1 for its parent, 2 for the parent's parent..."""
        return self.parents(mention.via).index(mention.name) + 1 if mention.via else 0

    def _parent_mentions(self, named: list[CompanyMention]) -> list[CompanyMention]:
        """A mention of each parent of a named company that the article does not name itself,
        taken from its most salient named unit."""
        added: dict[str, CompanyMention] = {}
        direct = {mention.name for mention in named}
        for mention in sorted(named, key=lambda m: (-m.score, m.first_offset, m.name)):
            for parent in self.parents(mention.name):
                if parent not in direct and parent not in added:
                    added[parent] = replace(mention, name=parent, via=mention.name)
        return list(added.values())

    def _hits(self, part: Passage) -> list[_Hit]:
        """Ticker, gazetteer and organisation hits in one part, each with its verdict."""
        hits: list[_Hit] = []
        for match in _TICKERS.finditer(part.text):
            company = self._tickers.get(match[match.lastgroup or ""])
            if company:
                hits.append(_Hit(company, *match.span(match.lastgroup), part.in_title, True))
        tickers = [(hit.start, hit.end) for hit in hits]
        for match in self._pattern.finditer(part.text):
            if any(a <= match.start() < b for a, b in tickers):
                continue
            for company, form in self._forms.get(_key(match[0]), []):
                ambiguous = form in self._companies[company].ambiguous
                if _case_ok(match[0], form, ambiguous, part, *match.span()):
                    state = _MAYBE if ambiguous else _OK
                    span = match.span()
                    hits.append(_Hit(company, *span, part.in_title, True, state, ambiguous))
                    hits[-1].sure = not ambiguous
                    break
        hits.sort(key=lambda hit: hit.start)
        starts = [hit.start for hit in hits]
        for org in find_orgs(part.text):
            canonical = self.lookup(org.name) or self.lookup(part.text[org.start : org.end])
            nearby = hits[bisect_left(starts, org.start - 100) : bisect_left(starts, org.end)]
            covered = [h for h in nearby if h.known and h.start < org.end and org.start < h.end]
            same = [hit for hit in covered if hit.key == canonical]
            for hit in same:
                hit.state, hit.sure = _OK, True
            if canonical and not same:
                hits.append(_Hit(canonical, org.start, org.end, part.in_title, known=True))
            elif not canonical:
                for hit in covered:  # "Shell Beach Holdings" is another organisation
                    hit.state = _NO if hit.ambiguous else hit.state
                state = _OK if org.strong else _MAYBE
                hits.append(_Hit(org.name, org.start, org.end, part.in_title, False, state))
        hits.sort(key=lambda hit: hit.start)
        starts = [hit.start for hit in hits]
        for hit in hits:
            if hit.state == _MAYBE and hit.known:
                hit.state = self._judge(hit, part, hits, starts)
        return hits

    def _judge(self, hit: _Hit, part: Passage, hits: list[_Hit], starts: list[int]) -> int:
        """The verdict on an ambiguous mention: steps 1-4 of the module docstring."""
        company, text = self._companies[hit.key], part.text
        caps = int(part.shouted(hit.start, hit.end))
        covering = company.not_self[caps]
        if covering and any(
            m.start() < hit.end and hit.start < m.end()
            for m in covering.finditer(text, max(0, hit.start - 40), hit.end + 40)
        ):
            return _NO
        if in_compound(text, hit.end):
            return _NO
        lo, hi = part.window(hit.start, hit.end, 12)
        window = hits[bisect_left(starts, lo) : bisect_right(starts, hi)]
        near = [h for h in window if h is not hit and h.sure and h.end <= hi]
        if any(h.key in self._family[hit.key] for h in near):
            return _OK
        near_lo, near_hi = part.window(hit.start, hit.end, 6, sentence=True)
        if company.not_near[caps] and company.not_near[caps].search(text, near_lo, near_hi):
            return _NO
        if company.context[caps] and company.context[caps].search(text, lo, hi):
            return _OK
        if part.word_before(hit.start) in ("the", "The"):
            return _MAYBE
        return _OK if near or corporate_cue(part, hit.start, hit.end, lo, hi) else _MAYBE


def _key(form: str) -> str:
    return " ".join(form.lower().split())


def _normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).replace("’", "'").strip()
    return " ".join(re.sub(r"^\$|'s$", "", text).split())


def _ambiguous_forms(
    name: str, aliases: list[str], native: list[str], entry: dict[str, Any]
) -> frozenset[str]:
    if not entry.get("ambiguous", False):
        return frozenset()
    words = name.split()
    initials = "".join(word[0] for word in words).upper() if len(words) > 1 else None
    latin = {f for f in (name, *aliases) if " " not in f and (f in words or f == initials)}
    return frozenset(latin | {f for f in native if len(f) <= 2})


def _case_ok(found: str, form: str, ambiguous: bool, part: Passage, start: int, end: int) -> bool:
    found = " ".join(found.split())
    if found == form or not any(c.isupper() for c in form):
        return True
    strict = ambiguous or sum(c.isalnum() for c in form) <= 4
    if found.isupper():
        return not strict or part.shouted(start, end)
    return not strict and found[0].isupper() and form[0].isupper()


def _phrases(phrases: Iterable[str]) -> Patterns:
    """Regexes for context phrases with simple inflections ("launch" finds "launched"): one where
    lower-case entries ignore case and others must match as written, one ignoring case."""
    alternatives = []
    for phrase in phrases:
        core = r"\s+".join(map(re.escape, phrase.split()))
        if not _CJK.search(phrase):
            core = rf"(?<!\w){core}(?:s|es|ed|d|ing)?(?!\w)"
        alternatives.append(f"(?i:{core})" if phrase == phrase.lower() else core)
    if not alternatives:
        return None, None
    return re.compile("|".join(alternatives)), re.compile("|".join(alternatives), re.I)


def _pieces(key: str) -> list[str]:
    """Regex pieces for one lower-cased form; word boundaries except beside CJK characters."""
    pieces = [r"\s+" if char == " " else re.escape(char) for char in key]
    if _WORD.match(key[0]) and not _CJK.match(key[0]):
        pieces.insert(0, r"(?<!\w)")
    if _WORD.match(key[-1]) and not _CJK.match(key[-1]):
        pieces.append(r"(?!\w)")
    return pieces


def _emit(node: dict[str, Any]) -> str:
    """A regex for a trie of pieces; longer continuations are tried before a form ends."""
    ordered = sorted((piece for piece in node if piece), key=lambda p: (p.startswith("(?"), p))
    alternatives = [piece + _emit(node[piece]) for piece in ordered]
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
    return f"(?:{body})?" if "" in node else body


def _known_mention(key: str, hits: list[_Hit], length: int) -> CompanyMention:
    in_title = any(hit.in_title for hit in hits)
    offsets = [hit.start for hit in hits if not hit.in_title]
    first = min(offsets) if offsets else -1
    return CompanyMention(
        key, len(hits), first, in_title, True, salience(len(hits), first, in_title, length)
    )


def _unknown_mentions(
    names: list[str], title: str, text: str, known: Callable[[str], object]
) -> list[CompanyMention]:
    """Unknown organisations with all their mentions; a name that starts a longer one ("Acme",
    "Acme Robotics") counts toward the longer. A known first word ("Apple Leisure Group") is not
    a mention of the organisation on its own."""
    kept: list[str] = []
    for name in sorted(set(names), key=len, reverse=True):
        if not any(longer.startswith(name + " ") for longer in kept):
            kept.append(name)
    mentions = []
    for name in kept:
        alone = not known(name.split()[0])
        body, titled = org_mentions(name, text, alone), len(org_mentions(name, title, alone))
        count, first = max(len(body) + titled, 1), body[0] if body else -1
        score = salience(count, first, titled > 0, len(text))
        mentions.append(CompanyMention(name, count, first, titled > 0, False, score))
    return mentions
