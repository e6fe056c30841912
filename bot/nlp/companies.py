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

import hashlib
import json
import re
import tomllib
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

from bot.models import CompanyMention
from bot.nlp.company_forms import (
    TICKERS,
    Patterns,
    ambiguous_forms,
    case_ok,
    form_key,
    forms_pattern,
    normalise,
    phrases,
)
from bot.nlp.company_salience import known_mention, unknown_mentions
from bot.nlp.orgs import (
    Passage,
    corporate_cue,
    find_orgs,
    in_compound,
    strip_group_word,
    strip_legal,
)

_NO, _MAYBE, _OK = 0, 1, 2


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
        # What the gazetteer was built from: a stored summary names the companies of this one.
        self.fingerprint = hashlib.sha256(
            json.dumps(entries, sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()[:16]
        for entry in entries:
            self._add(entry)
        self._family = self._families()
        self._pattern = forms_pattern(self._forms)

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
            owners = {company for company, _ in self._forms[form_key(form)]}
            if owners - {name}:
                raise ValueError(f"{form!r} names both {owners.pop()!r} and {name!r}")
            self._forms[form_key(form)].append((name, form))
        ambiguous = ambiguous_forms(name, lists["aliases"], lists["native"], entry)
        self_words = [re.compile(rf"(?<!\w){re.escape(f.lower())}(?!\w)") for f in ambiguous]
        covering = [p for p in lists["not_context"] if any(w.search(p.lower()) for w in self_words)]
        others = [p for p in lists["not_context"] if p not in covering]
        context = phrases([*lists["context"], *lists["people"]])
        self._companies[name] = _Company(ambiguous, context, phrases(covering), phrases(others))
        for ticker in lists["tickers"]:
            self._tickers[ticker] = name
        for form in (*forms, *lists["tickers"]):
            self._exact.setdefault(normalise(form), name)
            self._choices.append((form, name))
            # "V", "F", "MS": one- and two-letter tickers are words in lower case
            if len(form) > 2 or form not in lists["tickers"] or form in forms:
                self._folded.setdefault(normalise(form).casefold(), name)

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
        query = normalise(name)
        for candidate in (query, strip_legal(query), strip_group_word(strip_legal(query))):
            found = self._exact.get(candidate) or self._folded.get(candidate.casefold())
            if candidate and found:
                return found
        return None

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Canonical names closest to a misspelt one ("huawai" -> ["Huawei", ...]), best first."""
        query = normalise(name)
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
        mentions = [known_mention(key, group, len(text)) for key, group in known.items()]
        mentions += self._parent_mentions(mentions)
        # A title-case headline runs words into a name ("Investors Cheer Zephyr Robotics Inc.")
        body = {hit.key for hit in hits if not hit.known and not hit.in_title}
        names = [
            next((b for b in body if n.endswith(" " + b)), n) for n, ok in strong.items() if ok
        ]
        mentions += unknown_mentions(names, title, text, self.lookup)
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
        for match in TICKERS.finditer(part.text):
            company = self._tickers.get(match[match.lastgroup or ""])
            if company:
                hits.append(_Hit(company, *match.span(match.lastgroup), part.in_title, True))
        tickers = [(hit.start, hit.end) for hit in hits]
        for match in self._pattern.finditer(part.text):
            if any(a <= match.start() < b for a, b in tickers):
                continue
            for company, form in self._forms.get(form_key(match[0]), []):
                ambiguous = form in self._companies[company].ambiguous
                if case_ok(match[0], form, ambiguous, part, *match.span()):
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
