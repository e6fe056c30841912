"""The embedded summarizer: extractive sentences, key quotes and companies, no network.

Quotes come from every article of the story, one per statement (`merge_quotes`); the key
quotes leave out any that the summary's own sentences already show.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from bot.models import Quote, Story, Summary
from bot.nlp.companies import Gazetteer
from bot.nlp.quotes import find_quotes, key_quotes, merge_quotes
from bot.summarize.extractive import summarize_text

log = logging.getLogger("newsbot.summarize")


def load_gazetteer(path: Path) -> Gazetteer | None:
    """The companies gazetteer, or None (with a warning) when the file is missing."""
    if not path.exists():
        log.warning(
            "companies file not found; no company names in summaries", extra={"file": str(path)}
        )
        return None
    return Gazetteer.load(path)


class ExtractiveSummarizer:
    """The embedded default: whole sentences of the story's lead article, quotes, companies."""

    name = "extractive"

    def __init__(
        self, gazetteer: Gazetteer | None = None, *, max_chars: int = 600, cache_size: int = 4096
    ) -> None:
        self.gazetteer = gazetteer
        self.max_chars = max_chars
        # A story is summarized once however many chats and commands show it.
        self._cache: OrderedDict[tuple[tuple[str, ...], int], Summary] = OrderedDict()
        self._cache_size = cache_size

    async def summarize(self, story: Story, *, sentences: int = 3) -> Summary:
        """Summarize the lead article; quotes and companies come from every article."""
        key = (tuple(a.content_hash for a in story.articles), sentences)
        if (cached := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return cached
        summary = self._summarize(story, sentences)
        self._cache[key] = summary
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return summary

    def _summarize(self, story: Story, sentences: int) -> Summary:
        lead = story.lead
        chosen = summarize_text(
            lead.text, title=lead.title, sentences=sentences, max_chars=self.max_chars
        )
        # Syndicated copies repeat quotes, and other reports quote a statement in part.
        quotes: list[Quote] = merge_quotes(
            quote for article in story.articles for quote in find_quotes(article.text)
        )
        return Summary(
            sentences=chosen,
            # A quote that a chosen sentence already shows is not shown twice.
            quotes=key_quotes(quotes, limit=2, shown=chosen),
            all_quotes=quotes,
            companies=self._companies(story),
            summarizer=self.name,
        )

    def _companies(self, story: Story) -> list[str]:
        if self.gazetteer is None:
            return []
        scores: dict[str, float] = {}
        for article in story.articles:
            for mention in self.gazetteer.find(article.text, article.title):
                scores[mention.name] = max(scores.get(mention.name, 0.0), mention.score)
        return sorted(scores, key=lambda name: -scores[name])
