"""The story clusterer's state kept beside the articles: what it derived from each indexed
article (term counts, shingle hashes, word count), and the window read back at a restart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.models import Article
from bot.store.schema import articles, story_features
from bot.store.store import _article

# An article's features as the clusterer stores them: terms (JSON), shingles, word count.
Features = tuple[str, str, int]


@dataclass(slots=True)
class WindowArticle:
    """An article of the window as the rebuild needs it: its text only when it has no
    features (indexed before they were kept, or never indexed)."""

    id: int
    title: str
    text: str
    published: datetime | None
    source: str
    story_id: int | None
    features: Features | None


async def save_features(conn: AsyncConnection, article_id: int, features: Features) -> None:
    """Record an article's features (replacing earlier ones), in the caller's transaction."""
    await conn.execute(delete(story_features).where(story_features.c.article_id == article_id))
    terms, shingles, words = features
    await conn.execute(
        story_features.insert().values(
            article_id=article_id, terms=terms, shingles=shingles, words=words
        )
    )


async def window_articles(
    engine: AsyncEngine, since: datetime, until: datetime | None = None
) -> list[WindowArticle]:
    """Articles published (or, undated, fetched) since a time (and before `until`), oldest
    first, with their story ids and features."""
    f = story_features.c
    dated = articles.c.published_at >= since
    undated = articles.c.published_at.is_(None) & (articles.c.fetched_at >= since)
    if until is not None:
        dated = dated & (articles.c.published_at < until)
        undated = undated & (articles.c.fetched_at < until)
    known = f.article_id.is_not(None) & articles.c.story_id.is_not(None)
    query = (
        select(
            articles.c.id,
            case((known, literal("")), else_=articles.c.title).label("title"),
            case((known, literal("")), else_=articles.c.text).label("text"),
            articles.c.published_at,
            articles.c.source,
            articles.c.story_id,
            f.terms,
            f.shingles,
            f.words,
        )
        .select_from(articles.outerjoin(story_features, f.article_id == articles.c.id))
        .where(or_(dated, undated))
        .order_by(articles.c.published_at, articles.c.id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        WindowArticle(
            r.id,
            r.title,
            r.text,
            r.published_at,
            r.source,
            r.story_id,
            (r.terms, r.shingles, r.words) if r.terms is not None else None,
        )
        for r in rows
    ]


async def articles_by_id(engine: AsyncEngine, ids: list[int]) -> list[Article]:
    """Stored articles by id (those that exist), in order of id."""
    found: list[Article] = []
    async with engine.connect() as conn:
        for begin in range(0, len(ids), 500):
            chunk = ids[begin : begin + 500]
            rows = await conn.execute(
                select(articles).where(articles.c.id.in_(chunk)).order_by(articles.c.id)
            )
            found.extend(_article(r) for r in rows)
    return found
