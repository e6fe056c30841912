"""Send slots in the store's PostgreSQL, shared by every process that sends for one bot.

Each flood limit has a row (``pace_slots``, migration 0008): the starts of its latest sends on
the database's clock. A send takes its slot of the bot's limit and of its chat's in one call
of ``newsbot_pace_take`` (one round trip, both rows locked bot first), so processes that share
nothing but the database never pass a limit together. The statements run on a small engine of
their own, in autocommit and without a ping per checkout: one round trip each.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.store import Store

log = logging.getLogger("newsbot.store")
TIMEOUT = 5.0  # seconds to connect, or for one statement
OVERFLOW = 8  # connections beyond the pool's size
RETRY_AFTER = 10.0  # seconds without asking a database that failed (the caller paces alone)


class PacingUnavailable(ConnectionError):
    """The database failed less than RETRY_AFTER seconds ago: not asked again yet."""


@dataclass(frozen=True, slots=True)
class SlotLimit:
    """One limit's row: at most ``count`` sends in any ``period`` seconds, and ``gap`` seconds
    at least between two (both already include the caller's margin)."""

    key: str
    count: int
    period: float
    gap: float = 0.0


@dataclass(frozen=True, slots=True)
class Taken:
    """What the database answered: ``slot`` (its epoch seconds; None when nothing was taken),
    ``wait`` seconds from the database's ``now`` until the slot, or until asking again is
    worth it; ``busy``: the chat's own limit is why nothing was taken."""

    slot: float | None
    wait: float
    now: float
    busy: bool


_TAKE = text(
    "SELECT slot, wait, now_at, busy FROM newsbot_pace_take("
    " :shared_key, :shared_count, :shared_period, :shared_gap,"
    " :own_key, :own_count, :own_period, :own_gap, :ahead, :slack)"
)
_DONE = text("SELECT newsbot_pace_done(:shared_key, :own_key, :slot, :answered)")
_HOLD = text(
    "INSERT INTO pace_slots (key, hold_until)"
    " VALUES (:key, extract(epoch FROM clock_timestamp()) + :seconds)"
    " ON CONFLICT (key) DO UPDATE"
    " SET hold_until = greatest(pace_slots.hold_until, EXCLUDED.hold_until)"
)
# Rows nobody sent through for two minutes (longer than any limit's period) and not held.
_FORGET = text(
    "DELETE FROM pace_slots WHERE hold_until < extract(epoch FROM clock_timestamp())"
    " AND coalesce(times[cardinality(times)], 0) < extract(epoch FROM clock_timestamp()) - 120"
)


class PaceSlots:
    """The shared slots of the store's PostgreSQL."""

    def __init__(self, store: Store, *, pool_size: int = 2) -> None:
        if store.dialect != "postgresql":
            raise ValueError("shared send slots need PostgreSQL")
        self._store = store
        self._pool_size = pool_size
        self._engine: AsyncEngine | None = None
        self._limit: asyncio.Semaphore | None = None
        self._down_until = -math.inf

    def _connect(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(
                self._store.engine.url,
                isolation_level="AUTOCOMMIT",
                pool_size=self._pool_size,
                max_overflow=OVERFLOW,
                # A database that does not answer must not hold sends up for long: the
                # pacer then paces in-process (bot/delivery/shared_pacing.py).
                connect_args={"timeout": TIMEOUT, "command_timeout": TIMEOUT},
            )
        return self._engine

    async def take(
        self, shared: SlotLimit | None, own: SlotLimit, *, ahead: float | None, slack: float
    ) -> Taken:
        """Take the next slot of ``shared`` (the bot's limit; None: none) that ``own`` (the
        chat's) allows, unless the chat is not ready by then (``busy``) or the slot is more than
        ``ahead`` seconds away (None: however far); ``slack`` seconds of the chat's wait may
        delay the bot's next slot."""
        row = await self._run(
            _TAKE,
            {
                "shared_key": shared.key if shared else None,
                "shared_count": shared.count if shared else None,
                "shared_period": shared.period if shared else None,
                "shared_gap": shared.gap if shared else None,
                "own_key": own.key,
                "own_count": own.count,
                "own_period": own.period,
                "own_gap": own.gap,
                "ahead": ahead,
                "slack": slack,
            },
        )
        assert row is not None
        slot, wait, now, busy = row
        return Taken(slot, max(float(wait), 0.0), float(now), bool(busy))

    async def done(self, shared: str | None, own: str, slot: float, answered: float) -> None:
        """A send taken at ``slot`` was answered at ``answered`` (the database's clock): its
        limits count it from then, as it may have reached the platform that late."""
        await self._run(
            _DONE, {"shared_key": shared, "own_key": own, "slot": slot, "answered": answered}
        )

    async def hold(self, key: str, seconds: float) -> None:
        """Nothing more through ``key`` for ``seconds`` (a platform's retry_after)."""
        await self._run(_HOLD, {"key": key, "seconds": max(seconds, 0.0)})

    async def forget_idle(self) -> int:
        """Delete the rows of limits nothing went through lately; returns how many."""
        async with self._store.engine.begin() as conn:
            result = await conn.execute(_FORGET)
        return int(result.rowcount)

    async def close(self) -> None:
        """Release the connections."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def _run(self, statement: object, params: dict[str, object]) -> tuple[object, ...] | None:
        async with self._connections():
            if time.monotonic() < self._down_until:
                raise PacingUnavailable("the database failed lately")
            try:
                return await self._execute(statement, params)
            except (SQLAlchemyError, OSError, TimeoutError):
                self._down_until = time.monotonic() + RETRY_AFTER
                raise

    def _connections(self) -> asyncio.Semaphore:
        # As many statements at once as the pool has connections: none waits for the pool
        # (up to its timeout) behind connections that fail.
        if self._limit is None:
            self._limit = asyncio.Semaphore(self._pool_size + OVERFLOW)
        return self._limit

    async def _execute(
        self, statement: object, params: dict[str, object]
    ) -> tuple[object, ...] | None:
        # No ping per checkout: a connection the server dropped fails once, is thrown away
        # (invalidated), and the statement runs again on a new one.
        for attempt in (1, 2):
            try:
                async with self._connect().connect() as conn:
                    result = await conn.execute(statement, params)  # type: ignore[call-overload]
                    row = result.first() if result.returns_rows else None
                return tuple(row) if row is not None else None
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
                log.warning("pacing connection lost: reconnecting", extra={"error": str(exc)[:200]})
        return None
