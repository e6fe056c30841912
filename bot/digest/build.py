"""Choosing what goes into a digest: the window's stories, ranked, the top N."""

from __future__ import annotations

from datetime import datetime

from bot.models import Article, Story


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


def select_stories(articles: list[Article], *, max_stories: int) -> tuple[list[Story], int]:
    """The newest stories of the window, and how many more did not fit."""
    stories = sorted(stories_from_articles(articles), key=_recency, reverse=True)
    return stories[:max_stories], max(0, len(stories) - max_stories)
