"""Choosing what goes into a digest: the window's stories, ranked, the top N."""

from __future__ import annotations

from datetime import datetime

from bot.models import Article, Story


def stories_from_articles(articles: list[Article]) -> list[Story]:
    """The window's articles grouped into their stored stories (the indexer's clustering);
    an article not indexed yet is grouped with identical texts only."""
    groups: dict[tuple[str, object], Story] = {}
    for article in articles:
        key = ("story", article.story_id) if article.story_id else ("text", article.content_hash)
        story = groups.get(key)
        if story is None:
            groups[key] = Story(articles=[article], id=article.story_id)
        else:
            story.articles.append(article)
    for story in groups.values():
        # The first report leads: a syndicated copy comes after its original.
        story.articles.sort(key=_when)
    return list(groups.values())


def _when(article: Article) -> datetime:
    stamp = article.published or article.fetched_at
    assert stamp is not None
    return stamp


def _recency(story: Story) -> datetime:
    return max(_when(a) for a in story.articles)


def select_stories(articles: list[Article], *, max_stories: int) -> tuple[list[Story], int]:
    """The newest stories of the window, and how many more did not fit."""
    stories = sorted(stories_from_articles(articles), key=_recency, reverse=True)
    return stories[:max_stories], max(0, len(stories) - max_stories)
