"""Story summaries made ahead of time and kept in the store, so /company reads them.

A summary is stored under the key of what it was made from: the summarizer's variant (its
name, settings and code version), the sentences asked for, and the story's articles in order
(the lead first; each article's content hash and title). A story that gains or loses an article,
or gets another lead, has another key: its stored summary is not shown, a new one is made (and
stored). Only the summarizer's own summaries are stored, not a fallback's (an LLM summarizer out
of budget), which would otherwise stand until the story changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from bot.models import Article, Story, Summary
from bot.store import Store
from bot.store.news import NewsIndex
from bot.store.story_summaries import StoredSummary, save_summaries
from bot.summarize.base import Summarizer

log = logging.getLogger("newsbot.summarize")

BATCH = 200  # stories summarized, then stored, at a time by prepare_summaries
PARSED = 4096  # stored summaries kept parsed, by key: a key names one summary forever

_parsed: OrderedDict[str, Summary] = OrderedDict()


def summary_key(summarizer: Summarizer, story: Story, sentences: int) -> str:
    """The key a summary of this story by this summarizer is stored under."""
    parts = [summarizer.variant, str(sentences)]
    parts += [f"{a.content_hash}\t{a.title}" for a in story.articles]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _storable(summarizer: Summarizer, summary: Summary) -> bool:
    return summary.summarizer == summarizer.name and summary.note is None


async def summaries_for(
    store: Store,
    summarizer: Summarizer,
    found: list[tuple[Story, StoredSummary | None]],
    sentences: int,
) -> list[Summary]:
    """Each story's summary: the stored one when it was made from the story as it is now, else
    one made now (and stored for the next time)."""
    keys = [summary_key(summarizer, story, sentences) for story, _ in found]
    summaries: list[Summary | None] = [
        _read(stored) if stored is not None and stored.key == key else None
        for (_, stored), key in zip(found, keys, strict=True)
    ]
    missing = [i for i, summary in enumerate(summaries) if summary is None]
    if not missing:
        return summaries  # type: ignore[return-value]
    made = await asyncio.gather(
        *(summarizer.summarize(found[i][0], sentences=sentences) for i in missing)
    )
    for i, summary in zip(missing, made, strict=True):
        summaries[i] = summary
    await save_summaries(
        store,
        (
            (found[i][0].id, keys[i], summary)
            for i, summary in zip(missing, made, strict=True)
            if found[i][0].id is not None and _storable(summarizer, summary)
        ),
    )
    return summaries  # type: ignore[return-value]


def _read(stored: StoredSummary) -> Summary:
    """The stored summary, parsed once per key."""
    summary = _parsed.get(stored.key)
    if summary is None:
        summary = _parsed[stored.key] = stored.summary()
        if len(_parsed) > PARSED:
            _parsed.popitem(last=False)
    else:
        _parsed.move_to_end(stored.key)
    return summary


async def prepare_summaries(
    store: Store, summarizer: Summarizer, story_ids: Iterable[int], sentences: int
) -> int:
    """Make and store the summaries of these stories that have none for what they hold now
    (after indexing changed them); returns how many were made. A story that fails to summarize
    is logged and left for the next ask."""
    ids = sorted(set(story_ids))
    index = NewsIndex(store)
    made = 0
    for start in range(0, len(ids), BATCH):
        found = await index.stories_summarized(ids[start : start + BATCH])
        stale = [
            (story, key)
            for story, stored in found
            if (key := summary_key(summarizer, story, sentences)) != getattr(stored, "key", None)
        ]
        results = await asyncio.gather(
            *(summarizer.summarize(story, sentences=sentences) for story, _ in stale),
            return_exceptions=True,
        )
        rows = []
        for (story, key), result in zip(stale, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result
            if isinstance(result, Exception):
                log.warning(
                    "summary not made ahead",
                    extra={"story": story.id, "error": type(result).__name__},
                )
            elif story.id is not None and _storable(summarizer, result):
                rows.append((story.id, key, result))
        made += await save_summaries(store, rows)
    return made


async def prepare_touched(
    store: Store,
    summarizer: Summarizer,
    stored: list[Article],
    since: datetime,
    sentences: int,
) -> int:
    """After indexing newly stored articles: make the summaries of the stories that hold them
    and of those the indexer changed since ``since`` (merged, split, new lead)."""
    ids = [a.id for a in stored if a.id is not None]
    if not ids:
        return 0
    return await prepare_summaries(
        store, summarizer, await store.stories_touched(ids, since), sentences
    )
