"""The digests table's rows: one per digest sent to a chat, with the order of its stories. The
writes run inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import digests


async def insert_digest(
    conn: AsyncConnection,
    chat_id: int,
    *,
    window_start: datetime | None,
    window_end: datetime,
    story_count: int,
    now: datetime,
    slot: datetime | None = None,
    story_ids: Sequence[int | None] | None = None,
) -> int:
    """Add a digests row inside the caller's transaction; returns its id. The next digest's
    window starts at this one's end; ``story_ids`` are its stories in the order it numbers them
    (None: not known)."""
    result = await conn.execute(
        insert(digests).values(
            chat_id=chat_id,
            window_start=window_start,
            window_end=window_end,
            story_count=story_count,
            created_at=now,
            slot=slot,
            story_ids=story_order(story_ids),
        )
    )
    return int(result.inserted_primary_key[0])


def story_order(story_ids: Sequence[int | None] | None) -> str | None:
    """The digests.story_ids text of stories in digest order: "12,7,30". A story without id
    keeps its place as 0, which finds no story."""
    if story_ids is None:
        return None
    return ",".join(str(story_id or 0) for story_id in story_ids)


async def slot_recorded(conn: AsyncConnection, chat_id: int, slot: datetime) -> bool:
    """Whether the chat has a digest recorded for this scheduled slot."""
    found = await conn.execute(
        select(digests.c.id).where(digests.c.chat_id == chat_id, digests.c.slot == slot).limit(1)
    )
    return found.first() is not None
