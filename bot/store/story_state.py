"""The story index in the store: the writes that record stories (each in the caller's
transaction, so the indexer records one call's work in one), what the story clusterer derived
from each indexed article (term counts, shingle hashes, word count), and the window read back at
a restart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import metrics
from bot.models import Article
from bot.store.article_store import _article
from bot.store.schema import articles, as_utc, stories, story_features
from bot.store.store import utcnow

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


async def open_story(conn: AsyncConnection, lead_article_id: int) -> int:
    """Open a story led by an article (which is moved into it); returns its id."""
    now = utcnow()
    result = await conn.execute(
        stories.insert()
        .values(created_at=now, updated_at=now, lead_article_id=lead_article_id)
        .returning(stories.c.id)
    )
    story_id = int(result.scalar_one())
    metrics.STORIES_OPENED.inc()
    await conn.execute(
        update(articles).where(articles.c.id == lead_article_id).values(story_id=story_id)
    )
    return story_id


async def move_to_story(
    conn: AsyncConnection, article_ids: list[int], story_id: int, lead_article_id: int | None
) -> None:
    """Move articles into a story (and set its lead); stories left empty are deleted."""
    old: set[int] = set()
    if article_ids:
        before = await conn.execute(
            select(articles.c.story_id)
            .where(articles.c.id.in_(article_ids), articles.c.story_id.is_not(None))
            .distinct()
        )
        old = {s for (s,) in before} - {story_id}
        await conn.execute(
            update(articles).where(articles.c.id.in_(article_ids)).values(story_id=story_id)
        )
    values: dict[str, Any] = {"updated_at": utcnow()}
    if lead_article_id is not None:
        values["lead_article_id"] = lead_article_id
    await conn.execute(update(stories).where(stories.c.id == story_id).values(**values))
    if old:
        still = select(articles.c.id).where(articles.c.story_id == stories.c.id).exists()
        await conn.execute(delete(stories).where(stories.c.id.in_(old), ~still))


async def set_article_story(
    conn: AsyncConnection, article_id: int, story_id: int | None
) -> datetime | None:
    """Put an article in a story; returns its time (published, else fetched), None when the
    article is not stored (deleted since)."""
    when = func.coalesce(articles.c.published_at, articles.c.fetched_at)
    result = await conn.execute(
        update(articles)
        .where(articles.c.id == article_id)
        .values(story_id=story_id)
        .returning(when.label("at"))
    )
    row = result.first()
    return None if row is None else row.at


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


async def story_starts(engine: AsyncEngine, story_ids: list[int]) -> dict[int, datetime]:
    """When each story's first stored article was published (or, undated, fetched), out of
    the window too: a story keeps its start across a restart."""
    start = func.min(func.coalesce(articles.c.published_at, articles.c.fetched_at))
    found: dict[int, datetime] = {}
    async with engine.connect() as conn:
        for begin in range(0, len(story_ids), 5000):
            part = story_ids[begin : begin + 5000]
            query = (
                select(articles.c.story_id, start)
                .where(articles.c.story_id.in_(part))
                .group_by(articles.c.story_id)
            )
            for story_id, when in await conn.execute(query):
                if when is not None:
                    found[int(story_id)] = as_utc(when)
    return found
