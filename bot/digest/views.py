"""A story as the chat commands show it, and its JSON form for the CLI contracts.

Times are shown in the chat's own time zone (its /settings tz; the [digest] default_timezone
for a chat that never registered), the way a reader writes them: "25 Nov, 15:32 CET" in the
current year, "25 Nov 2025, 15:32 CET" before it. The zone's abbreviation follows each time
when the zone has a lettered one (CET, CEST, IST, UTC) so a reader knows which clock it is;
zones whose only abbreviation is a number ("+04", "-03") show the bare time, since "+04" reads
as an arithmetic offset rather than a zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import Article, Quote, Story, Summary
from bot.reply import Block, Bold, Button, Buttons, Inline, Link, QuoteBlock, para


@dataclass(slots=True)
class StoryView:
    """A story with its summary; ``new`` when it arrived after the chat's last digest."""

    story: Story
    summary: Summary
    new: bool = False

    def sources(self) -> list[tuple[str, str | None]]:
        """(source name, article URL) per article, lead first, without repeats."""
        seen: dict[tuple[str, str | None], None] = {}
        for article in self.story.articles:
            seen.setdefault((article.source, article.url), None)
        return list(seen)

    def to_json(self) -> dict[str, Any]:
        """The story element of `newsbot company --json`: {"id", "title", "summary" (the
        sentences joined by a space), "quote": {"text", "speaker"} or null, "sources":
        [{"name", "url"}] one per article, "published": ISO 8601 or null}."""
        lead = self.story.lead
        quote = self.summary.quotes[0] if self.summary.quotes else None
        return {
            "id": self.story.id,
            "title": lead.title,
            "summary": " ".join(self.summary.sentences),
            "quote": {"text": quote.text, "speaker": quote.speaker} if quote else None,
            "sources": [{"name": name, "url": url} for name, url in self.sources()],
            "published": lead.published.isoformat() if lead.published else None,
        }


def outlets(story: Story) -> list[tuple[str, list[Article]]]:
    """(source name, its articles) per distinct outlet, as a reader counts sources: two
    articles of one outlet are one source; the lead's outlet first, a URL listed once."""
    grouped: dict[str, list[Article]] = {}
    seen: set[str] = set()
    for article in story.articles:
        if article.url is not None and article.url in seen:
            continue
        seen.add(article.url or "")
        grouped.setdefault(article.source, []).append(article)
    return list(grouped.items())


def count_sources(story: Story) -> str:
    """ "1 source", "2 sources", or "1 source, 2 articles" when an outlet has several."""
    groups = outlets(story)
    sources, articles = len(groups), sum(len(group) for _, group in groups)
    said = f"{sources} source{'s' if sources != 1 else ''}"
    return said + (f", {articles} articles" if articles > sources else "")


def source_links(story: Story) -> list[Inline]:
    """Each outlet once, linked to its article: "Daily Ledger (1, 2), Loopback Tribune", where
    an outlet with several articles links each by its number."""
    out: list[Inline] = []
    for i, (name, group) in enumerate(outlets(story)):
        out += [", "] if i else []
        if len(group) == 1:
            url = group[0].url
            out.append(Link(name, url) if url else name)
            continue
        out.append(f"{name} (")
        for n, article in enumerate(group, start=1):
            out += [", "] if n > 1 else []
            out.append(Link(str(n), article.url) if article.url else str(n))
        out.append(")")
    return out


_WORD = re.compile(r"[^\W_]+")
_QUOTE_SHARE = 0.5  # a sentence whose words are at least half a quote's is that quote, told


@lru_cache(maxsize=8192)  # the sentences and quotes of the stories shown most, shown again
def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _quote_parts(quote: Quote) -> list[tuple[str, int]]:
    """Each part of a quote as " words " (spaced, to find whole words) and its word count."""
    parts = (_words(part) for part in quote.text.split(" … "))
    return [(f" {words} ", len(words.split())) for words in parts if words]


def _quoted_share(said: str, size: int, parts: list[tuple[str, int]]) -> float:
    """How much of a sentence (its words, spaced: :func:`_quote_parts`; ``size`` of them) is a
    quote's words (0 when it does not contain them)."""
    return sum(count for words, count in parts if words in said) / max(1, size)


def sentences_and_quotes(summary: Summary, *, quotes: int) -> tuple[list[str], list[Quote]]:
    """The summary's sentences and up to ``quotes`` key quotes, each quote shown once.

    A sentence that is mostly a quote ("'We will build where our customers need us,' he
    said.") is shown as that quote, with its speaker, instead of a sentence whose "he" points
    at nothing; a quote a kept sentence already tells is not shown again under it."""
    sentences: list[str] = []
    shown: list[Quote] = []
    pool = summary.quotes + [q for q in summary.all_quotes if q not in summary.quotes]
    parts = [_quote_parts(q) for q in pool]
    told: list[Quote] = []
    for sentence in summary.sentences:
        said = f" {_words(sentence)} "
        size = len(said.split())
        inside = [(q, _quoted_share(said, size, p)) for q, p in zip(pool, parts, strict=True)]
        inside = [(q, share) for q, share in inside if share > 0]
        if any(share >= _QUOTE_SHARE for _, share in inside):
            quote = max(inside, key=lambda pair: pair[1])[0]
            if quote not in shown:
                shown.append(quote)
            continue
        sentences.append(sentence)
        told += [q for q, _ in inside]
    for quote in summary.quotes:
        if quote not in shown and quote not in told:
            shown.append(quote)
    return sentences, shown[: max(quotes, 0)]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UTC_ZONE = ZoneInfo("UTC")


def zone_named(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` ("Europe/Berlin"); UTC when it is empty or unknown."""
    try:
        return ZoneInfo(name) if name else UTC_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def local_time(stamp: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """``stamp`` on the zone's clock for a reader: "25 Nov, 15:32 CET", with the year when it
    is not the current year there ("25 Nov 2025, 15:32 CET"); "" without a stamp. Both times are
    aware (the store returns aware times)."""
    if stamp is None:
        return ""
    local, today = stamp.astimezone(zone), now.astimezone(zone)
    day = f"{local.day} {_MONTHS[local.month - 1]}"
    if local.year != today.year:
        day += f" {local.year}"
    name = local.tzname() or ""
    label = f" {name}" if name.isalpha() else ""
    return f"{day}, {local:%H:%M}{label}"


def when(story: Story, zone: ZoneInfo, now: datetime) -> str:
    """When the story's lead was published (or fetched), on the zone's clock; see
    :func:`local_time`."""
    return local_time(story.lead.published or story.lead.fetched_at, zone, now)


def story_blocks(
    view: StoryView,
    number: int | None = None,
    *,
    zone: ZoneInfo,
    now: datetime,
    button: bool = True,
) -> list[Block]:
    """Title, summary, key quote, sources with links and a longer-summary button; the time in
    ``zone`` (the chat's), read against ``now``."""
    story, lead = view.story, view.story.lead
    prefix = f"{number}. " if number is not None else ""
    title = [Bold(prefix + lead.title)]
    if view.new:
        title.append(Bold("  [new]"))
    blocks: list[Block] = [para(*title)]
    sentences, quotes = sentences_and_quotes(view.summary, quotes=1)
    if sentences:
        blocks.append(para(" ".join(sentences)))
    blocks += [QuoteBlock(quote.text, quote.speaker) for quote in quotes]
    stamp = when(story, zone, now)
    prefix = f"{stamp} · " if stamp else ""
    blocks.append(para(f"{prefix}{count_sources(story)}: ", *source_links(story)))
    if button and story.id is not None:
        blocks.append(Buttons((Button("Longer summary", f"summary:{story.id}"),)))
    return blocks
