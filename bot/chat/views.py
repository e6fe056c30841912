"""A story as the chat commands show it, and its JSON form for the CLI contracts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.chat.reply import Block, Bold, Button, Buttons, Link, QuoteBlock, para
from bot.models import Story, Summary


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


def when(story: Story) -> str:
    """When the story's lead was published (or fetched), for a reader."""
    stamp = story.lead.published or story.lead.fetched_at
    return stamp.strftime("%Y-%m-%d %H:%M UTC") if stamp else ""


def story_blocks(view: StoryView, number: int | None = None, *, button: bool = True) -> list[Block]:
    """Title, summary, key quote, sources with links and a longer-summary button."""
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
    stamp = when(story)
    links: list[str | Link] = [f"{stamp} · " if stamp else ""]
    links.append(f"{count} source{'s' if count != 1 else ''}: ")
    for i, (name, url) in enumerate(view.sources()):
        links += [", "] if i else []
        links.append(Link(name, url) if url else name)
    blocks.append(para(*links))
    if button and story.id is not None:
        blocks.append(Buttons((Button("Longer summary", f"summary:{story.id}"),)))
    return blocks
