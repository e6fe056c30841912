"""One holder at a time across every process that shares the store, for work that several
`newsbot run` processes would otherwise all do at once (the starter feeds' import on an empty
store, the scheduled console digest)."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from bot.store.store import Store

# The first key of these advisory locks; any constant that differs from newsbot's others
# (bot/store/db.py, bot/workers/schema.py, bot/workers/liveness.py).
NAMESPACE = 7_140_217


@asynccontextmanager
async def exclusive(store: Store, name: str) -> AsyncIterator[None]:
    """Hold the lock called ``name`` for the block: on PostgreSQL an advisory lock on a
    connection of its own (let go when the block ends, or when the process dies); on SQLite
    nothing (one process owns a SQLite store)."""
    if store.dialect != "postgresql":
        yield
        return
    key = {"ns": NAMESPACE, "key": zlib.crc32(name.encode()) & 0x7FFFFFFF}
    async with store.engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:ns, :key)"), key)
        await conn.commit()  # the lock is the session's: no transaction stays open meanwhile
        try:
            yield
        finally:
            try:
                await conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), key)
                await conn.commit()
            except BaseException:
                await conn.invalidate()  # closed, not pooled: the lock goes with its session
                raise
