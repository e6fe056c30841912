"""The queries the rest of newsbot uses, over SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models import Feed
from bot.store.article_store import ArticleStore
from bot.store.db import create_engine, migrate
from bot.store.digests import insert_digest
from bot.store.reader import Reader
from bot.store.schema import (
    UTCDateTime,
    articles,
    chats,
    digests,
    entries,
    feeds,
    utcnow,
)

T = TypeVar("T")


class Store(ArticleStore):
    """Async access to newsbot's database. Use ``await Store.open(url)``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.reader = Reader(engine)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect and apply pending migrations."""
        engine = create_engine(url)
        await migrate(engine)
        return cls(engine)

    async def close(self) -> None:
        """Release every connection."""
        self.reader.close()
        await self.engine.dispose()

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """The result of a read-only function of a sync connection, run in one hop
        (`bot.store.reader`): for reads of several statements, or many rows to turn into models."""
        return await self.reader.read(fn)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    # feeds ---------------------------------------------------------------------------------

    async def add_feed(self, url: str, title: str | None = None) -> tuple[Feed, bool]:
        """Add a feed (due at once); returns the feed and whether it is new."""
        async with self.engine.begin() as conn:
            stmt = self._insert(feeds).values(
                url=url, title=title, error_count=0, active=True, created_at=utcnow()
            )
            result = await conn.execute(stmt.on_conflict_do_nothing(index_elements=["url"]))
            row = (await conn.execute(select(feeds).where(feeds.c.url == url))).one()
        return _feed(row), result.rowcount == 1

    async def remove_feed(self, url: str) -> bool:
        """Remove a feed; its articles stay. Returns whether it existed."""
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(feeds).where(feeds.c.url == url))
        return result.rowcount > 0

    async def list_feeds(self) -> list[Feed]:
        """Every feed, in the order they were added."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(feeds).order_by(feeds.c.id))
        return [_feed(r) for r in rows]

    async def feed(self, feed_id: int) -> Feed | None:
        """One feed by id, or None when it was removed."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(feeds).where(feeds.c.id == feed_id))).first()
        return _feed(row) if row is not None else None

    async def due_feeds(self, now: datetime) -> list[Feed]:
        """Active feeds whose next check has come."""
        due = (feeds.c.next_check_at.is_(None)) | (feeds.c.next_check_at <= now)
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(feeds).where(feeds.c.active, due).order_by(feeds.c.next_check_at, feeds.c.id)
            )
        return [_feed(r) for r in rows]

    async def make_due(self, feed_id: int | None) -> None:
        """Make a feed due for polling now."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(feeds).where(feeds.c.id == feed_id).values(next_check_at=None)
            )

    async def feed_succeeded(self, feed: Feed, *, now: datetime, next_check: datetime) -> None:
        """Record a successful poll: validators, metadata, health reset."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(feeds)
                .where(feeds.c.id == feed.id)
                .values(
                    title=feed.title,
                    site_url=feed.site_url,
                    etag=feed.etag,
                    last_modified=feed.last_modified,
                    last_success_at=now,
                    error_count=0,
                    next_check_at=next_check,
                )
            )

    async def feed_failed(
        self, feed_id: int, error: str, *, now: datetime, next_check: datetime
    ) -> None:
        """Record a failed poll; the feed stays active and is retried at next_check."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(feeds)
                .where(feeds.c.id == feed_id)
                .values(
                    last_error=error[:1000],
                    last_error_at=now,
                    error_count=feeds.c.error_count + 1,
                    next_check_at=next_check,
                )
            )

    async def count(self, table: str) -> int:
        """Number of rows in one of the store's tables."""
        tables = {"feeds": feeds, "articles": articles, "entries": entries, "digests": digests}
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(tables[table]))).scalar()
            )

    # chats and digests ------------------------------------------------------------------------

    async def ensure_chat(
        self, platform: str, chat_key: str, *, timezone: str, digest_time: str
    ) -> int:
        """The id of a chat, registering it with the given defaults when new."""
        async with self.engine.begin() as conn:
            stmt = self._insert(chats).values(
                platform=platform,
                chat_key=chat_key,
                timezone=timezone,
                digest_time=digest_time,
                weekdays="mon,tue,wed,thu,fri,sat,sun",
                paused=False,
                created_at=utcnow(),
            )
            await conn.execute(stmt.on_conflict_do_nothing(index_elements=["platform", "chat_key"]))
            row = await conn.execute(
                select(chats.c.id).where(chats.c.platform == platform, chats.c.chat_key == chat_key)
            )
            return int(row.scalar_one())

    async def last_digest_end(self, chat_id: int) -> datetime | None:
        """Where the chat's previous digest window ended, if it had one."""
        async with self.engine.connect() as conn:
            row = await conn.execute(
                select(func.max(digests.c.window_end, type_=UTCDateTime())).where(
                    digests.c.chat_id == chat_id
                )
            )
            return row.scalar()

    async def record_digest(
        self, chat_id: int, window_start: datetime | None, window_end: datetime, story_count: int
    ) -> int:
        """Remember a digest window so the next digest starts where this one ended."""
        async with self.engine.begin() as conn:
            return await insert_digest(
                conn,
                chat_id,
                window_start=window_start,
                window_end=window_end,
                story_count=story_count,
                now=utcnow(),
            )


def _feed(row: Any) -> Feed:
    m = row._mapping
    return Feed(
        id=m["id"],
        url=m["url"],
        title=m["title"],
        site_url=m["site_url"],
        etag=m["etag"],
        last_modified=m["last_modified"],
        last_success_at=m["last_success_at"],
        last_error=m["last_error"],
        last_error_at=m["last_error_at"],
        error_count=m["error_count"],
        next_check_at=m["next_check_at"],
        active=m["active"],
    )
