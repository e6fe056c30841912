"""Choosing what goes into a digest: the window's stories, ranked, the top N."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.models import Article, Digest, DigestItem, Story

Summarize = Callable[[Story], list[str]]


def stories_from_articles(articles: list[Article]) -> list[Story]:
    """One story per distinct text; identical texts under several URLs are one story.

    Real clustering of one event across sources arrives with the stories issue (#4).
    """
    by_hash: dict[str, Story] = {}
    for article in articles:
        story = by_hash.get(article.content_hash)
        if story is None:
            by_hash[article.content_hash] = Story(articles=[article])
        else:
            story.articles.append(article)
    return list(by_hash.values())


def _recency(story: Story) -> datetime:
    lead = story.lead
    stamp = lead.published or lead.fetched_at
    assert stamp is not None
    return stamp


def build_digest(
    articles: list[Article],
    *,
    window_start: datetime | None,
    window_end: datetime,
    max_stories: int,
    summarize: Summarize,
) -> tuple[Digest, int]:
    """The digest of the newest stories, and how many stories did not fit."""
    stories = sorted(stories_from_articles(articles), key=_recency, reverse=True)
    chosen = stories[:max_stories]
    items = [DigestItem(story=s, summary=summarize(s)) for s in chosen]
    return Digest(window_start=window_start, window_end=window_end, items=items), len(
        stories
    ) - len(chosen)
