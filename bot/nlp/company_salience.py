"""How much an article is about each company it names: salience, and the mentions of known
companies and of organisations nobody configured."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

from bot.models import CompanyMention
from bot.nlp.orgs import org_mentions


class Hit(Protocol):
    """One place a known company's form was found."""

    start: int
    in_title: bool


def salience(count: int, first_offset: int, in_title: bool, length: int) -> float:
    """How much a story is about a company: title, mention count, then how early it appears.

    A single passing mention scores at most 1.5, two mentions at least 2, a title at least 3.
    """
    position = 1.0 - first_offset / length if first_offset >= 0 and length else 0.0
    return round((2.0 if in_title else 0.0) + 1.0 + math.log2(max(count, 1)) + 0.5 * position, 3)


def known_mention(key: str, hits: list[Hit], length: int) -> CompanyMention:
    in_title = any(hit.in_title for hit in hits)
    offsets = [hit.start for hit in hits if not hit.in_title]
    first = min(offsets) if offsets else -1
    return CompanyMention(
        key, len(hits), first, in_title, True, salience(len(hits), first, in_title, length)
    )


def unknown_mentions(
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
