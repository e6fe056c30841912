"""Reads in one hop: a read-only function of a sync connection, run where it is cheapest.

Through the async engine, every driver call of aiosqlite is a hop to its connection's thread and
back (cursor, execute, fetch, close, the rollback that ends the read: five for one SELECT;
bench/commands.py prints what a bare SELECT costs either way, here about 1 ms against 0.4).
On a SQLite file a read function runs instead on a small pool of reader threads, each with a
plain sqlite3 connection to the same file (WAL: readers never block the one writer, and see
every committed write): one hop for the whole function, its statements and its rows turned
into models, off the event loop. Elsewhere (PostgreSQL, in-memory SQLite) the function runs on
an async connection through ``run_sync``.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

THREADS = 2  # reader threads (and connections) per store: SQLite releases the GIL while it reads
BUSY_MS = 30_000  # as the writer's connections: wait out a checkpoint rather than fail


class Reader:
    """Runs read-only functions of a sync SQLAlchemy connection for one store."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._async = engine
        self._sync: Engine | None = None
        self._threads: ThreadPoolExecutor | None = None
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._sync = _sqlite_reader_engine(url.database)
            self._threads = ThreadPoolExecutor(THREADS, thread_name_prefix="newsbot-read")

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """``fn(connection)``'s result; ``fn`` must only read (a SQLite reader refuses writes)."""
        if self._sync is None or self._threads is None:
            async with self._async.connect() as conn:
                return await conn.run_sync(fn)
        loop = asyncio.get_running_loop()
        call = partial(contextvars.copy_context().run, _on, self._sync, fn)
        return await loop.run_in_executor(self._threads, call)

    def close(self) -> None:
        """Close the reader connections; reads under way finish first."""
        if self._threads is not None:
            self._threads.shutdown(wait=True)
        if self._sync is not None:
            self._sync.dispose()


def _on(engine: Engine, fn: Callable[[Connection], T]) -> T:
    with engine.connect() as conn:
        return fn(conn)


def _sqlite_reader_engine(path: str) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        pool_size=THREADS,
        max_overflow=0,
        connect_args={"check_same_thread": False, "timeout": BUSY_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        cursor.close()

    return engine
