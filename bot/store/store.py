"""The queries the rest of newsbot uses, over SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.models import Analysis, Article, Feed, TextSource
from bot.store.db import create_engine, migrate
from bot.store.digests import insert_digest
from bot.store.mentions import company_rows
from bot.store.schema import (
    UTCDateTime,
    article_companies,
    articles,
    as_utc,
    chats,
    digests,
    entries,
    feeds,
    stories,
    story_features,
)


def utcnow() -> datetime:
    """The current time, UTC, time-zone aware."""
    return datetime.now(UTC)


class Store:
    """Async access to newsbot's database. Use ``await Store.open(url)``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect and apply pending migrations."""
        engine = create_engine(url)
        await migrate(engine)
        return cls(engine)

    async def close(self) -> None:
        """Release every connection."""
        await self.engine.dispose()

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

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

    # entries and articles ---------------------------------------------------------------------

    async def seen_entry_keys(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        """The keys of this feed's entries that were stored before."""
        wanted = list(keys)
        found: set[str] = set()
        async with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = await conn.execute(
                    select(entries.c.entry_key).where(
                        entries.c.feed_id == feed_id, entries.c.entry_key.in_(chunk)
                    )
                )
                found.update(r[0] for r in rows)
        return found

    async def add_article(self, article: Article, entry_key: str) -> bool:
        """Store one article and its entry; see add_articles. Returns whether it was new."""
        return await self.add_articles([(article, entry_key)]) == 1

    async def add_articles(self, items: list[tuple[Article, str]]) -> int:
        """Store articles and their entries; see store_articles. Returns how many were new."""
        return len(await self.store_articles(items))

    async def store_articles(self, items: list[tuple[Article, str]]) -> list[Article]:
        """Store articles and the entries they came from, once, in one transaction.

        An article whose canonical URL is already stored (another feed of the same site, say)
        is not stored again; its entry is still marked seen. Returns the new articles, with ids.
        """
        if not items:
            return []
        now = utcnow()
        new: list[Article] = []
        async with self.engine.begin() as conn:
            ids = await self._ids_by_url(conn, [a.url for a, _ in items if a.url])
            rows: dict[str, dict[str, Any]] = {}
            first: dict[str, Article] = {}
            for article, _ in items:
                if article.url and article.url not in ids and article.url not in rows:
                    rows[article.url] = _article_row(article, now)
                    first[article.url] = article
            if rows:
                stmt = self._insert(articles).on_conflict_do_nothing(index_elements=["url"])
                result = await conn.execute(
                    stmt.returning(articles.c.id, articles.c.url), list(rows.values())
                )
                # Another process may have stored some URLs meanwhile: only returned rows are new.
                for id_, url in result.all():
                    new.append(_stored(first[url], id_, rows[url]["fetched_at"]))
                ids.update(await self._ids_by_url(conn, list(rows)))
            seen = []
            for article, key in items:
                article_id = ids.get(article.url) if article.url else None
                if article.url is None:
                    row = _article_row(article, now)
                    result = await conn.execute(
                        insert(articles).values(**row).returning(articles.c.id)
                    )
                    article_id = result.scalar_one()
                    new.append(_stored(article, article_id, row["fetched_at"]))
                seen.append(
                    {
                        "feed_id": article.feed_id,
                        "entry_key": key,
                        "article_id": article_id,
                        "seen_at": now,
                    }
                )
            stmt = self._insert(entries).on_conflict_do_nothing(
                index_elements=["feed_id", "entry_key"]
            )
            await conn.execute(stmt, seen)
            await _store_analyses(conn, new)
        return new

    async def _ids_by_url(self, conn: AsyncConnection, urls: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(urls), 500):
            rows = await conn.execute(
                select(articles.c.url, articles.c.id).where(
                    articles.c.url.in_(urls[start : start + 500])
                )
            )
            found.update((url, id_) for url, id_ in rows)
        return found

    async def articles_since(
        self, since: datetime | None, *, until: datetime | None = None, limit: int = 5000
    ) -> list[Article]:
        """Articles stored after ``since`` (all when None) up to ``until``, newest first."""
        query = select(articles).order_by(articles.c.fetched_at.desc(), articles.c.id.desc())
        if since is not None:
            query = query.where(articles.c.fetched_at > since)
        if until is not None:
            query = query.where(articles.c.fetched_at <= until)
        async with self.engine.connect() as conn:
            rows = await conn.execute(query.limit(limit))
        return [_article(r) for r in rows]

    async def unindexed_articles(self, since: datetime, limit: int = 5000) -> list[Article]:
        """Articles fetched after ``since`` that no story holds yet, oldest first."""
        f = story_features.c
        query = (
            select(articles, f.terms, f.shingles, f.words)
            .select_from(articles.outerjoin(story_features, f.article_id == articles.c.id))
            .where(articles.c.story_id.is_(None), articles.c.fetched_at > since)
            .order_by(articles.c.id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            rows = await conn.execute(query)
        # Features stored with an unindexed article came with it, its mentions too (which the
        # index then leaves as they are: they are not read back).
        return [
            _article(r)
            if r.terms is None
            else replace(_article(r), analysis=Analysis([], r.terms, r.shingles, r.words))
            for r in rows
        ]

    async def stories_touched(self, article_ids: Iterable[int], since: datetime) -> set[int]:
        """The stories that hold these articles, and those whose articles changed since."""
        ids = list(article_ids)
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(stories.c.id).where(stories.c.updated_at >= since))
            found = {story_id for (story_id,) in rows}
            for start in range(0, len(ids), 500):
                rows = await conn.execute(
                    select(articles.c.story_id).where(
                        articles.c.id.in_(ids[start : start + 500]),
                        articles.c.story_id.is_not(None),
                    )
                )
                found.update(story_id for (story_id,) in rows)
        return found

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


async def _store_analyses(conn: AsyncConnection, stored: list[Article]) -> None:
    """The analyses new articles came with (`Article.analysis`): their features and the
    companies they mention, as the index would record them."""
    features, mentions = [], []
    for a in stored:
        if a.analysis is not None and a.id is not None:
            x = a.analysis
            features.append(
                {"article_id": a.id, "terms": x.terms, "shingles": x.shingles, "words": x.words}
            )
            mentions += company_rows(a.id, x.mentions, a.published or a.fetched_at)
    if features:
        await conn.execute(story_features.insert(), features)
    if mentions:
        await conn.execute(article_companies.insert(), mentions)


def _stored(article: Article, id_: int, fetched_at: datetime) -> Article:
    # As a read would give it back: the caller's times, aware and in UTC.
    published, fetched = as_utc(article.published), as_utc(fetched_at)
    return replace(article, id=id_, published=published, fetched_at=fetched, story_id=None)


def _article_row(a: Article, now: datetime | None = None) -> dict[str, Any]:
    return {
        "feed_id": a.feed_id,
        "url": a.url,
        "title": a.title,
        "source": a.source,
        "author": a.author,
        "published_at": a.published,
        "fetched_at": a.fetched_at or now or utcnow(),
        "text": a.text,
        "language": a.language,
        "content_hash": a.content_hash,
        "text_source": a.text_source.value,
    }


def _article(row: Any) -> Article:
    m = row._mapping
    return Article(
        id=m["id"],
        feed_id=m["feed_id"],
        url=m["url"],
        title=m["title"],
        source=m["source"],
        author=m["author"],
        published=m["published_at"],
        fetched_at=m["fetched_at"],
        text=m["text"],
        language=m["language"],
        content_hash=m["content_hash"],
        text_source=TextSource(m["text_source"]),
        story_id=m.get("story_id"),
    )
