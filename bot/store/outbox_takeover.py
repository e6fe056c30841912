"""What a process that died left in the outbox, for the one that takes over delivery: parts it
was sending, its leases, and the sends the platforms' flood limits still remember (`Outbox`
has these methods)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from bot.store.deliveries import PENDING, SENDING, SENT, Delivery, load_deliveries
from bot.store.schema import chats, deliveries
from bot.store.store import Store, utcnow


class OutboxTakeover:
    """Parts and leases left by dead processes; mixed into `Outbox`, which gives the store and
    this worker's name."""

    store: Store
    worker: str

    async def unknown(self, platforms: Sequence[str]) -> list[Delivery]:
        """Parts left in ``sending`` past their lease: their process died during the call."""
        query = select(deliveries.c.id).where(
            deliveries.c.state == SENDING,
            deliveries.c.platform.in_(list(platforms)),
            deliveries.c.lease_until < utcnow(),
        )
        async with self.store.engine.connect() as conn:
            ids = [int(r[0]) for r in await conn.execute(query)]
            return await load_deliveries(conn, ids) if ids else []

    async def reopen(self, delivery_id: int, note: str) -> bool:
        """Put an unknown part back to pending (to be sent again); False if another process
        settled it first."""
        now = utcnow()
        async with self.store.engine.begin() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery_id,
                    deliveries.c.state == SENDING,
                    deliveries.c.lease_until < now,
                )
                .values(
                    state=PENDING,
                    claimed_by=None,
                    lease_until=None,
                    last_error=note,
                    updated_at=now,
                )
            )
        return result.rowcount == 1

    async def end_other_leases(self) -> int:
        """End every other worker's lease now; returns how many. Only for a caller that knows
        no one else is delivering (a `deliver` job, one at a time in the whole cluster): the
        leases it finds are a dead worker's, and their parts go (or are looked for) at once
        instead of after ``lease_seconds``."""
        now = utcnow()
        async with self.store.engine.begin() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.state.in_((PENDING, SENDING)),
                    deliveries.c.claimed_by != self.worker,
                    deliveries.c.lease_until >= now,
                )
                .values(lease_until=now - timedelta(seconds=1), updated_at=now)
            )
        return result.rowcount

    async def recent_sends(
        self, platforms: Sequence[str], within: timedelta
    ) -> list[tuple[str, str, float]]:
        """``(platform, chat key, seconds ago)`` of every part the platforms answered within
        ``within`` (the time it was settled sent), and of parts still ``sending`` (0 seconds
        ago: the platform may be taking them now): the flood limits' memory, for a process
        that takes over delivery."""
        now = utcnow()
        query = (
            select(
                deliveries.c.platform, chats.c.chat_key, deliveries.c.state, deliveries.c.updated_at
            )
            .select_from(deliveries.join(chats, chats.c.id == deliveries.c.chat_id))
            .where(
                deliveries.c.platform.in_(list(platforms)),
                or_(
                    deliveries.c.state == SENDING,
                    and_(deliveries.c.state == SENT, deliveries.c.updated_at >= now - within),
                ),
            )
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            (p, k, 0.0 if state == SENDING else (now - at).total_seconds())
            for p, k, state, at in rows
        ]
