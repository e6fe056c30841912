"""How the gazetteer's forms become patterns: form keys, normalised names, ticker notation,
context phrases with simple inflections, and one regex (a trie) for every form at once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from bot.nlp.orgs import Passage

_CJK = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]")
_WORD = re.compile(r"\w+")
_TICKER = r"[A-Z0-9]+(?:[.\-][A-Z0-9]+)*"
TICKERS = re.compile(
    rf"\$(?P<dollar>{_TICKER})(?!\w)"
    r"|\b(?:NYSE(?: American| Arca)?|NASDAQ|Nasdaq|AMEX|LSE|LON|HKEX|HKG|SEHK|TSE|TYO|TSX|ASX|SIX"
    r"|ETR|XETRA|FRA|EPA|AMS|Euronext|KRX|KOSPI|TWSE|SSE|SZSE|SGX|OTC(?:QX|MKTS)?)"
    rf"[^\S\r\n]*:[^\S\r\n]*(?P<exchange>{_TICKER})(?!\w)"
    r"|(?<![\w.$])(?P<word>[A-Z][A-Z0-9]{2,}(?:\.[A-Z]{1,2})?)[^\S\r\n]+(?:shares|stock)\b"
    r"|(?<![\w.$])(?P<suffixed>[A-Z0-9]+(?:-[A-Z])?\.[A-Z]{1,2})(?!\w|\.\w)"
)

Patterns = tuple[re.Pattern[str] | None, re.Pattern[str] | None]  # (case rule, all-caps text)


def form_key(form: str) -> str:
    return " ".join(form.lower().split())


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).replace("’", "'").strip()
    return " ".join(re.sub(r"^\$|'s$", "", text).split())


def ambiguous_forms(
    name: str, aliases: list[str], native: list[str], entry: dict[str, Any]
) -> frozenset[str]:
    if not entry.get("ambiguous", False):
        return frozenset()
    words = name.split()
    initials = "".join(word[0] for word in words).upper() if len(words) > 1 else None
    latin = {f for f in (name, *aliases) if " " not in f and (f in words or f == initials)}
    return frozenset(latin | {f for f in native if len(f) <= 2})


def case_ok(found: str, form: str, ambiguous: bool, part: Passage, start: int, end: int) -> bool:
    found = " ".join(found.split())
    if found == form or not any(c.isupper() for c in form):
        return True
    strict = ambiguous or sum(c.isalnum() for c in form) <= 4
    if found.isupper():
        return not strict or part.shouted(start, end)
    return not strict and found[0].isupper() and form[0].isupper()


def phrases(words: Iterable[str]) -> Patterns:
    """Regexes for context phrases with simple inflections ("launch" finds "launched"): one where
    lower-case entries ignore case and others must match as written, one ignoring case."""
    alternatives = []
    for phrase in words:
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


def forms_pattern(keys: Iterable[str]) -> re.Pattern[str]:
    """One case-blind regex for every form key, longest continuation first."""
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for piece in _pieces(key):
            node = node.setdefault(piece, {})
        node[""] = {}
    return re.compile(_emit(trie), re.IGNORECASE)
