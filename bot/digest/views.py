"""A story as the chat commands show it, and its JSON form for the CLI contracts.

Times are shown in the chat's own time zone (its /settings tz; the [digest] default_timezone
for a chat that never registered), the way a reader writes them: "25 Nov, 15:32 CET" in the
current year, "25 Nov 2025, 15:32 CET" before it. The zone's abbreviation follows each time
when the zone has a lettered one (CET, CEST, IST, UTC) so a reader knows which clock it is;
zones whose only abbreviation is a number ("+04", "-03") show the bare time, since "+04" reads
as an arithmetic offset rather than a zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import Story, Summary
from bot.reply import Block, Bold, Button, Buttons, Link, QuoteBlock, para


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
    if view.summary.sentences:
        blocks.append(para(" ".join(view.summary.sentences)))
    if view.summary.quotes:
        quote = view.summary.quotes[0]
        blocks.append(QuoteBlock(quote.text, quote.speaker))
    count = len(story.sources)
    stamp = when(story, zone, now)
    links: list[str | Link] = [f"{stamp} · " if stamp else ""]
    links.append(f"{count} source{'s' if count != 1 else ''}: ")
    for i, (name, url) in enumerate(view.sources()):
        links += [", "] if i else []
        links.append(Link(name, url) if url else name)
    blocks.append(para(*links))
    if button and story.id is not None:
        blocks.append(Buttons((Button("Longer summary", f"summary:{story.id}"),)))
    return blocks
