"""The one Summarizer protocol: the extractive default and the LLM backend both implement it."""

from __future__ import annotations

from typing import Protocol

from bot.models import Story, Summary


class Summarizer(Protocol):
    """Turns a story (one or more articles about one event) into a Summary."""

    name: str  # "extractive" or "llm"
    # What its summaries depend on besides the story and the sentences asked for (its settings,
    # model, prompt, code version): summaries made under another variant are not reused.
    variant: str

    async def summarize(self, story: Story, *, sentences: int = 3) -> Summary:
        """A summary of about ``sentences`` sentences, key quotes with speakers, companies."""
        ...
