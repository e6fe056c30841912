"""What the operator's status page reads: recent stories by source count, the chats, failed
digest parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text

from bot.store.chats import Chat, _chat
from bot.store.schema import articles, chats, deliveries, stories
from bot.store.store import Store


@dataclass(frozen=True, slots=True)
class RecentStory:
    """A story updated lately, with how many outlets covered it."""

    story_id: int
    title: str
    sources: int
    updated: datetime


@dataclass(frozen=True, slots=True)
class PartRow:
    """A digest part in the outbox: its chat, state, tries and last error."""

    platform: str
    chat_key: str
    state: str
    attempts: int
    error: str | None
    when: datetime  # last change


async def recent_stories(store: Store, since: datetime, limit: int = 2000) -> list[RecentStory]:
    """Stories with an article published since `since` (fetched, when it has no date), most
    covered first (at most `limit`), each with its outlets over all its articles."""
    when = func.coalesce(articles.c.published_at, articles.c.fetched_at)
    fresh = (
        select(articles.c.story_id, func.max(when).label("latest"))
        .where(when >= since, articles.c.story_id.is_not(None))
        .group_by(articles.c.story_id)
        .order_by(func.max(when).desc())
        .limit(limit)
        .subquery()
    )
    lead = articles.alias("lead")
    query = (
        select(fresh.c.story_id, fresh.c.latest, lead.c.title)
        .join(stories, stories.c.id == fresh.c.story_id)
        .join(lead, lead.c.id == stories.c.lead_article_id)
    )
    outlets = (
        select(articles.c.story_id, func.count(func.distinct(articles.c.source)))
        .where(articles.c.story_id.in_(select(fresh.c.story_id)))
        .group_by(articles.c.story_id)
    )
    async with store.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
        counts = dict((await conn.execute(outlets)).all())
    found = [
        RecentStory(id_, title, int(counts.get(id_, 1)), latest) for id_, latest, title in rows
    ]
    found.sort(key=lambda s: (-s.sources, -s.updated.timestamp()))
    return found


async def every_chat(store: Store) -> list[Chat]:
    """Every registered chat, on every platform."""
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(chats).order_by(chats.c.platform, chats.c.id))).all()
    return [_chat(row) for row in rows]


async def outbox_parts(store: Store, states: tuple[str, ...], limit: int = 20) -> list[PartRow]:
    """The latest digest parts in these states (pending, sending, failed), newest first."""
    part = deliveries.c
    query = (
        select(
            chats.c.platform,
            chats.c.chat_key,
            part.state,
            part.attempts,
            part.last_error,
            part.updated_at,
        )
        .join(chats, chats.c.id == part.chat_id)
        .where(part.state.in_(states))
        .order_by(part.updated_at.desc())
        .limit(limit)
    )
    async with store.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [PartRow(*row) for row in rows]


async def job_counts(store: Store) -> dict[str, dict[str, int]]:
    """Jobs per queue and state (todo, doing, failed …) when workers run on this PostgreSQL
    store (procrastinate's table); empty on SQLite or before the job tables exist."""
    if store.dialect != "postgresql":
        return {}
    query = text("SELECT queue_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2")
    async with store.engine.connect() as conn:
        exists = await conn.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL"))
        if not exists:
            return {}
        rows = (await conn.execute(query)).all()
    counts: dict[str, dict[str, int]] = {}
    for queue, state, n in rows:
        counts.setdefault(str(queue), {})[str(state)] = int(n)
    return counts
