"""A digest part as the outbox keeps it: its states, and `Delivery`, a part read back with where
it goes (bot/store/outbox.py plans, claims and settles them)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import chats, deliveries

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One claimed part, with where it goes."""

    id: int
    digest_id: int
    chat_id: int
    platform: str
    chat_key: str
    thread_id: str | None
    part_index: int
    parts: int
    body: str
    attempts: int
    idempotency_key: str


async def load_deliveries(conn: AsyncConnection, ids: list[int]) -> list[Delivery]:
    """The parts with these ids, with where each goes and how many parts its digest has, in
    the order they may go."""
    siblings = deliveries.alias("siblings")
    parts = (
        select(func.count())
        .select_from(siblings)
        .where(siblings.c.digest_id == deliveries.c.digest_id)
        .scalar_subquery()
    )
    query = (
        select(deliveries, chats.c.chat_key, chats.c.thread_id, parts.label("parts"))
        .select_from(deliveries.join(chats, chats.c.id == deliveries.c.chat_id))
        .where(deliveries.c.id.in_(ids))
        .order_by(deliveries.c.available_at, deliveries.c.id)
    )
    found = []
    for row in await conn.execute(query):
        m = row._mapping
        found.append(
            Delivery(
                id=m["id"],
                digest_id=m["digest_id"],
                chat_id=m["chat_id"],
                platform=m["platform"],
                chat_key=m["chat_key"],
                thread_id=m["thread_id"],
                part_index=m["part_index"],
                parts=int(m["parts"]),
                body=m["body"],
                attempts=m["attempts"],
                idempotency_key=m["idempotency_key"],
            )
        )
    return found
