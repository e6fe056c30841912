"""The durable outbox: every part of every planned digest, and where its delivery stands.

A part's life: ``pending`` (claimed by a worker for a lease while it waits for its turn) →
``sending`` (committed just before the platform call) → ``sent`` (with the platform's message id)
or ``failed`` (with the reason). A digest is planned once per (chat, slot): the digest row, its
parts and the stories it shows are written in one transaction, so a crash leaves either all of
them or none.

A part found in ``sending`` after its lease ran out was being sent when its process died: the
platform may or may not have it. :meth:`Outbox.unknown` lists those parts; the worker decides.
bot/store/outbox_takeover.py has what dead processes left; bot/store/deliveries.py, the parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update

from bot.store.deliveries import FAILED, PENDING, SENDING, SENT, Delivery, load_deliveries
from bot.store.digests import story_order
from bot.store.outbox_takeover import OutboxTakeover
from bot.store.schema import chats, deliveries, digests
from bot.store.store import Store, utcnow


def part_key(chat_id: int, slot: datetime | None, digest_id: int, index: int) -> str:
    """The idempotency key of a part: chat, digest window (its slot) and part index."""
    window = slot.strftime("%Y-%m-%dT%H:%MZ") if slot is not None else f"digest{digest_id}"
    return f"chat{chat_id}:{window}:part{index}"


class Outbox(OutboxTakeover):
    """Planning, claiming and settling digest parts over a Store's engine."""

    def __init__(self, store: Store, worker: str, *, lease: timedelta) -> None:
        self.store = store
        self.worker = worker
        self.lease = lease

    async def planned(self, chat_id: int, slot: datetime) -> bool:
        """Whether the chat's digest for this slot was planned already (by any process)."""
        query = select(digests.c.id).where(digests.c.chat_id == chat_id, digests.c.slot == slot)
        async with self.store.engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def plan(
        self,
        *,
        chat_id: int,
        platform: str,
        slot: datetime | None,
        window_start: datetime | None,
        window_end: datetime,
        story_count: int,
        parts: Sequence[str],
        also: Any = None,
        story_ids: Sequence[int | None] | None = None,
    ) -> int | None:
        """Write the digest row (with its stories in digest order) and its parts in one
        transaction; ``also(conn, digest_id)`` runs inside it (the stories sent). Returns the
        digest id, or None when the slot was planned."""
        now = utcnow()
        async with self.store.engine.begin() as conn:
            insert = self.store._insert(digests).values(
                chat_id=chat_id,
                window_start=window_start,
                window_end=window_end,
                story_count=story_count,
                created_at=now,
                slot=slot,
                story_ids=story_order(story_ids),
            )
            if slot is not None:
                insert = insert.on_conflict_do_nothing(index_elements=["chat_id", "slot"])
            digest_id = (await conn.execute(insert.returning(digests.c.id))).scalar()
            if digest_id is None:
                return None
            rows = [
                {
                    "digest_id": digest_id,
                    "chat_id": chat_id,
                    "platform": platform,
                    "idempotency_key": part_key(chat_id, slot, digest_id, index),
                    "part_index": index,
                    "body": body,
                    "state": PENDING,
                    "attempts": 0,
                    "available_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for index, body in enumerate(parts)
            ]
            if rows:
                await conn.execute(deliveries.insert(), rows)
            if also is not None:
                await also(conn, digest_id)
        return int(digest_id)

    async def claim(self, platforms: Sequence[str], limit: int) -> list[Delivery]:
        """Claim up to ``limit`` pending parts that may go now, for a lease: the earliest part of
        each digest that is still unsent, of chats that are not paused. Concurrent claims from
        other processes skip rows claimed here (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
        runs the one statement under its write lock)."""
        now = utcnow()
        earlier = deliveries.alias("earlier")
        blocked = exists().where(
            earlier.c.digest_id == deliveries.c.digest_id,
            earlier.c.part_index < deliveries.c.part_index,
            earlier.c.state.in_((PENDING, SENDING)),
        )
        live = select(chats.c.id).where(chats.c.paused.is_(False))
        candidates = (
            select(deliveries.c.id)
            .where(
                deliveries.c.state == PENDING,
                deliveries.c.platform.in_(list(platforms)),
                or_(deliveries.c.available_at.is_(None), deliveries.c.available_at <= now),
                or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
                deliveries.c.chat_id.in_(live),
                ~blocked,
            )
            .order_by(deliveries.c.available_at, deliveries.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(deliveries)
            .where(deliveries.c.id.in_(candidates.scalar_subquery()))
            .values(claimed_by=self.worker, lease_until=now + self.lease, updated_at=now)
            .returning(deliveries.c.id)
        )
        async with self.store.engine.begin() as conn:
            ids = [int(r[0]) for r in await conn.execute(claim)]
            if not ids:
                return []
            return await load_deliveries(conn, ids)

    async def start_sending(self, delivery: Delivery) -> bool:
        """Mark a claimed part as being sent, just before the platform call; False when the claim
        was lost (its lease ran out and another worker took it)."""
        now = utcnow()
        async with self.store.engine.begin() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery.id,
                    deliveries.c.state == PENDING,
                    deliveries.c.claimed_by == self.worker,
                )
                .values(
                    state=SENDING,
                    attempts=deliveries.c.attempts + 1,
                    lease_until=now + self.lease,
                    updated_at=now,
                )
            )
        return result.rowcount == 1

    async def sent(self, delivery_id: int, message_id: str | None) -> None:
        """The platform took the part."""
        await self._settle(delivery_id, state=SENT, platform_message_id=message_id)

    async def failed(self, delivery_id: int, error: str) -> None:
        """The part will not be delivered; the reason is kept."""
        await self._settle(delivery_id, state=FAILED, last_error=error[:500])

    async def retry(self, delivery_id: int, at: datetime, error: str) -> None:
        """Back to pending, not to be tried before ``at`` (a 429 holds this chat only)."""
        await self._settle(delivery_id, state=PENDING, available_at=at, last_error=error[:500])

    async def release(self, ids: Sequence[int]) -> None:
        """Give back claimed parts that were never sent (shutting down)."""
        if not ids:
            return
        async with self.store.engine.begin() as conn:
            await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id.in_(list(ids)),
                    deliveries.c.state == PENDING,
                    deliveries.c.claimed_by == self.worker,
                )
                .values(claimed_by=None, lease_until=None, updated_at=utcnow())
            )

    async def fail_chat(self, chat_id: int, error: str) -> int:
        """Fail every unsent part of a chat (it blocked the bot); returns how many."""
        async with self.store.engine.begin() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(deliveries.c.chat_id == chat_id, deliveries.c.state == PENDING)
                .values(state=FAILED, last_error=error[:500], updated_at=utcnow())
            )
        return result.rowcount

    async def counts(self) -> dict[str, int]:
        """How many parts are in each state."""
        query = select(deliveries.c.state, func.count()).group_by(deliveries.c.state)
        async with self.store.engine.connect() as conn:
            return {str(state): int(n) for state, n in await conn.execute(query)}

    async def _settle(self, delivery_id: int, **values: Any) -> None:
        values.update(claimed_by=None, lease_until=None, updated_at=utcnow())
        async with self.store.engine.begin() as conn:
            await conn.execute(
                update(deliveries).where(deliveries.c.id == delivery_id).values(**values)
            )


async def part_of_message(
    store: Store, platform: str, chat_key: str, message_id: str
) -> str | None:
    """The stored body of the part that became this platform message, if it was one."""
    query = (
        select(deliveries.c.body)
        .select_from(deliveries.join(chats, chats.c.id == deliveries.c.chat_id))
        .where(
            and_(
                chats.c.platform == platform,
                chats.c.chat_key == chat_key,
                deliveries.c.platform_message_id == message_id,
            )
        )
    )
    async with store.engine.connect() as conn:
        return (await conn.execute(query)).scalar()


def hold_until(seconds: float) -> datetime:
    """When a part held back for ``seconds`` may be tried again."""
    return utcnow() + timedelta(seconds=seconds)
