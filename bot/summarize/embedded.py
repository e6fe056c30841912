"""The embedded summarizer: extractive sentences, key quotes and companies, no network.

Quotes come from every article of the story, one per statement (`merge_quotes`); the key
quotes leave out any that the summary's own sentences already show. The work runs in the
process's CPU pool (:mod:`bot.cpu`), off the event loop and under its time limit.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from pathlib import Path

from bot import cpu
from bot.models import Quote, Story, Summary
from bot.nlp.companies import Gazetteer
from bot.nlp.quotes.find import find_quotes, key_quotes, merge_quotes
from bot.summarize.extractive import summarize_text

log = logging.getLogger("newsbot.summarize")

# Raise when a change here, in the sentence choice or in quote finding makes other summaries of
# the same articles: summaries stored under an older version are then made again.
VERSION = 1


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
        self,
        gazetteer: Gazetteer | None = None,
        *,
        max_chars: int = 600,
        cache_size: int = 4096,
        pool: cpu.CpuPool | None = None,
    ) -> None:
        self.gazetteer = gazetteer
        self.max_chars = max_chars
        self._pool = pool  # None: the process's pool (bot.cpu.pool())
        # Workers keep the gazetteer under this key: it crosses to each worker once.
        self._gazetteer_key = uuid.uuid4().hex if gazetteer is not None else None
        # A story is summarized once however many chats and commands show it.
        self._cache: OrderedDict[tuple[tuple[str, ...], int], Summary] = OrderedDict()
        self._cache_size = cache_size
        companies = gazetteer.fingerprint if gazetteer is not None else "none"
        self.variant = f"{self.name}:{VERSION}:{max_chars}:{companies}"

    async def summarize(self, story: Story, *, sentences: int = 3) -> Summary:
        """Summarize the lead article; quotes and companies come from every article.

        Raises bot.cpu.TooSlow when the work runs past the pool's time limit.
        """
        key = (tuple(a.content_hash for a in story.articles), sentences)
        if (cached := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return cached
        pool = self._pool or cpu.pool()
        args = (story, sentences, self.max_chars, self._gazetteer_key)
        summary = await pool.run(summarize_in_worker, *args, None)
        if summary is None:  # that worker has not been sent the gazetteer yet
            summary = await pool.run(summarize_in_worker, *args, self.gazetteer)
        assert summary is not None
        self._cache[key] = summary
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return summary


# In a worker process: the gazetteers it has been sent, by key (a few summarizers at most).
_WORKER_GAZETTEERS: OrderedDict[str, Gazetteer] = OrderedDict()
_KEEP_GAZETTEERS = 4


def summarize_in_worker(
    story: Story,
    sentences: int,
    max_chars: int,
    gazetteer_key: str | None,
    gazetteer: Gazetteer | None,
) -> Summary | None:
    """The pool's task: the summary, or None when this worker lacks the keyed gazetteer (the
    caller then sends it once, and the worker keeps it)."""
    if gazetteer_key is not None:
        if gazetteer is not None:
            _WORKER_GAZETTEERS[gazetteer_key] = gazetteer
            while len(_WORKER_GAZETTEERS) > _KEEP_GAZETTEERS:
                _WORKER_GAZETTEERS.popitem(last=False)
        gazetteer = _WORKER_GAZETTEERS.get(gazetteer_key)
        if gazetteer is None:
            return None
    return summarize_story(story, sentences, max_chars, gazetteer)


def summarize_story(
    story: Story, sentences: int, max_chars: int, gazetteer: Gazetteer | None
) -> Summary:
    """The extractive summary of a story, computed here and now (CPU work: call it in a worker)."""
    lead = story.lead
    chosen = summarize_text(lead.text, title=lead.title, sentences=sentences, max_chars=max_chars)
    # Syndicated copies repeat quotes, and other reports quote a statement in part.
    quotes: list[Quote] = merge_quotes(
        quote for article in story.articles for quote in find_quotes(article.text)
    )
    return Summary(
        sentences=chosen,
        # A quote that a chosen sentence already shows is not shown twice.
        quotes=key_quotes(quotes, limit=2, shown=chosen),
        all_quotes=quotes,
        companies=_companies(story, gazetteer),
        summarizer=ExtractiveSummarizer.name,
    )


def _companies(story: Story, gazetteer: Gazetteer | None) -> list[str]:
    if gazetteer is None:
        return []
    scores: dict[str, float] = {}
    for article in story.articles:
        for mention in gazetteer.find(article.text, article.title):
            scores[mention.name] = max(scores.get(mention.name, 0.0), mention.score)
    return sorted(scores, key=lambda name: -scores[name])
