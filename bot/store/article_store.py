"""The store's articles: storing them with the entries they came from, and reading them back
(`Store` has these methods)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.models import Analysis, Article, TextSource
from bot.store.mentions import company_rows
from bot.store.schema import (
    article_companies,
    articles,
    as_utc,
    entries,
    stories,
    story_features,
    utcnow,
)


class ArticleStore:
    """Entries and articles; mixed into `Store`, which gives the engine."""

    engine: AsyncEngine

    def _insert(self, table: Any) -> Any:
        """An INSERT in the store's dialect (for ON CONFLICT clauses)."""
        dialect = self.engine.dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)

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
