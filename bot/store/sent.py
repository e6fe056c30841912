"""What each chat was sent (the digest_stories table), for a digest's novelty, and the latest
digest's stories by their number. The writes run inside the caller's transaction, so that a
digest, its outbox parts and its sent stories are stored together or not at all."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import SentStory
from bot.store.schema import chats, digest_stories, digests
from bot.store.store import Store

CHUNK = 500


async def sent_stories(
    store: Store, chat_id: int, story_ids: Iterable[int]
) -> dict[int, SentStory]:
    """The chat's earlier sends of these stories, by story id (stories never sent are absent)."""
    wanted = list(dict.fromkeys(story_ids))
    found: dict[int, SentStory] = {}
    c = digest_stories.c
    async with store.engine.connect() as conn:
        for start in range(0, len(wanted), CHUNK):
            rows = await conn.execute(
                select(c.story_id, c.sources, c.last_article_id).where(
                    c.chat_id == chat_id, c.story_id.in_(wanted[start : start + CHUNK])
                )
            )
            for story_id, sources, last_article_id in rows:
                names = tuple(n for n in sources.split("\n") if n)
                found[int(story_id)] = SentStory(int(story_id), names, int(last_article_id))
    return found


async def record_sent(
    conn: AsyncConnection, chat_id: int, stories: list[SentStory], now: datetime
) -> None:
    """Remember that the chat was sent these stories (replacing what was remembered of them),
    inside the caller's transaction."""
    rows = {
        s.story_id: {
            "chat_id": chat_id,
            "story_id": s.story_id,
            # One name a line: a line break inside a name would make two.
            "sources": "\n".join(" ".join(name.split()) for name in s.sources),
            "last_article_id": s.last_article_id,
            "sent_at": now,
        }
        for s in stories
    }
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(digest_stories)
    stmt = stmt.on_conflict_do_update(
        index_elements=["chat_id", "story_id"],
        set_={
            "sources": stmt.excluded.sources,
            "last_article_id": stmt.excluded.last_article_id,
            "sent_at": stmt.excluded.sent_at,
        },
    )
    await conn.execute(stmt, list(rows.values()))


@dataclass(frozen=True, slots=True)
class LatestDigest:
    """A chat's latest digest that showed stories: their ids in digest order, or None when
    the digest was recorded before its order was kept."""

    story_count: int
    story_ids: list[int] | None


async def latest_digest(store: Store, platform: str, chat_key: str) -> LatestDigest | None:
    """The chat's latest digest with stories (a later empty one shows no numbers to ask by);
    None when it never had one."""
    query = (
        select(digests.c.story_count, digests.c.story_ids)
        .select_from(digests.join(chats, chats.c.id == digests.c.chat_id))
        .where(
            chats.c.platform == platform,
            chats.c.chat_key == chat_key,
            digests.c.story_count > 0,
        )
        .order_by(digests.c.id.desc())
        .limit(1)
    )
    async with store.engine.connect() as conn:
        row = (await conn.execute(query)).first()
    if row is None:
        return None
    count, order = int(row[0]), row[1]
    if order is None:
        return LatestDigest(count, None)
    ids = [int(part) for part in order.split(",") if part.strip().isdigit()]
    return LatestDigest(len(ids), ids)
