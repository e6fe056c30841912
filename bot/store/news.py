"""Stories, the companies articles mention, and full-text search: the queries behind /company,
/ask and the story indexer, over SQLite (FTS5) or PostgreSQL (tsvector)."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Article, CompanyMention, Story
from bot.store.article_store import _article
from bot.store.company_stories import CompanyPage, read_company_page, stories_by_keys
from bot.store.mentions import MAX_NAME_CHARS, company_rows
from bot.store.mentions import clean_name as _clean_name
from bot.store.schema import article_companies, articles
from bot.store.search import SearchHit
from bot.store.search import search as search_articles
from bot.store.search_related import texts_with, word_frequencies
from bot.store.store import Store, utcnow
from bot.store.story_state import (
    Features,
    WindowArticle,
    articles_by_id,
    move_to_story,
    open_story,
    save_features,
    set_article_story,
    story_starts,
    window_articles,
)
from bot.store.story_summaries import StoredSummary

log = logging.getLogger("newsbot.store.news")

RECENT = timedelta(days=30)  # /company lists stories of this period first
NAMES_SECONDS = 60.0  # company_names() is read again after this long at most


class NewsIndex:
    """Stories, company mentions and search over the store's articles."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._engine = store.engine
        # company_names(): (the newest indexed article id, when read, the names)
        self._names: tuple[Any, float, list[str]] | None = None

    # writing ---------------------------------------------------------------------------------

    async def new_story(self, lead_article_id: int) -> int:
        """Open a story led by an article (which is moved into it); returns its id."""
        async with self._engine.begin() as conn:
            return await open_story(conn, lead_article_id)

    async def set_story(
        self, article_ids: list[int], story_id: int, *, lead_article_id: int | None = None
    ) -> None:
        """Move articles into a story (and set its lead); stories left empty are deleted."""
        async with self._engine.begin() as conn:
            await move_to_story(conn, article_ids, story_id, lead_article_id)

    async def save_index(
        self,
        article_id: int,
        mentions: list[CompanyMention],
        story_id: int | None,
        features: Features | None = None,
    ) -> None:
        """Record an article's story and the companies it mentions (replacing earlier ones),
        and what the story clusterer derived from it (`bot.store.story_state`)."""
        async with self._engine.begin() as conn:
            await self._save_index(conn, article_id, mentions, story_id, features)

    async def record_index(self, ops: list[tuple[Any, ...]]) -> dict[int, int]:
        """Apply the story indexer's operations (`bot.nlp.stories.plan`) in one transaction;
        returns the ids of the stories it opened, by their provisional (negative) ids."""
        ids: dict[int, int] = {}
        async with self._engine.begin() as conn:
            for op in ops:
                if op[0] == "new":
                    _, ref, lead = op
                    ids[ref] = await open_story(conn, lead)
                elif op[0] == "save":
                    _, article_id, mentions, ref, features = op
                    story_id = ids.get(ref, ref)
                    await self._save_index(conn, article_id, mentions, story_id, features)
                else:
                    _, movers, ref, lead = op
                    await move_to_story(conn, movers, ids.get(ref, ref), lead)
        return ids

    async def _save_index(
        self,
        conn: AsyncConnection,
        article_id: int,
        mentions: list[CompanyMention] | None,
        story_id: int | None,
        features: Features | None,
    ) -> None:
        at = await set_article_story(conn, article_id, story_id)
        if at is None:
            log.warning("index of an unknown article skipped", extra={"article": article_id})
            return
        if mentions is not None:  # None: stored with the article
            await conn.execute(
                delete(article_companies).where(article_companies.c.article_id == article_id)
            )
            rows = company_rows(article_id, mentions, at)
            if rows:
                await conn.execute(article_companies.insert(), rows)
        if features is not None:
            await save_features(conn, article_id, features)

    # reading ---------------------------------------------------------------------------------

    async def story(self, story_id: int) -> Story | None:
        """A story with its articles, the lead first, then by publication."""
        found = await self.stories_summarized([story_id])
        return found[0][0] if found else None

    async def stories_summarized(
        self, story_ids: list[int]
    ) -> list[tuple[Story, StoredSummary | None]]:
        """Stories by id (those that exist, in that order), each with its stored summary."""
        return await self._store.read(partial(stories_by_keys, keys=story_ids))

    async def window_articles(
        self, since: datetime, until: datetime | None = None
    ) -> list[WindowArticle]:
        """The window as the story index's rebuild reads it (`bot.store.story_state`)."""
        return await window_articles(self._engine, since, until)

    async def story_starts(self, story_ids: list[int]) -> dict[int, datetime]:
        """When each story's first stored article was published (`bot.store.story_state`)."""
        return await story_starts(self._engine, story_ids)

    async def articles(self, ids: list[int]) -> list[Article]:
        """Stored articles by id (those that exist)."""
        return await articles_by_id(self._engine, ids)

    async def recent_articles(
        self, since: datetime, until: datetime | None = None
    ) -> list[Article]:
        """Articles published (or, undated, fetched) since a time (and before `until`), oldest
        first, with story ids."""
        dated = articles.c.published_at >= since
        undated = articles.c.published_at.is_(None) & (articles.c.fetched_at >= since)
        if until is not None:
            dated = dated & (articles.c.published_at < until)
            undated = undated & (articles.c.fetched_at < until)
        recent = or_(dated, undated)
        query = select(articles).where(recent).order_by(articles.c.published_at, articles.c.id)
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
        return [_article(r) for r in rows]

    async def company_names(self) -> list[str]:
        """Every company name in the index, known or not, alphabetically (by the database).

        Kept between calls while no article was indexed after them (the newest indexed
        article, one seek on the mentions' key, tells) and for NAMES_SECONDS at most.
        """
        latest = select(func.max(article_companies.c.article_id))
        async with self._engine.connect() as conn:
            newest = (await conn.execute(latest)).scalar()
            cached = self._names
            if (
                cached is not None
                and cached[0] == newest
                and time.monotonic() - cached[1] < NAMES_SECONDS
            ):
                return cached[2]
            names = await self._read_company_names(conn)
        self._names = (newest, time.monotonic(), names)
        return names

    async def _read_company_names(self, conn: AsyncConnection) -> list[str]:
        # A loose index scan: one index seek per name instead of reading every mention.
        query = text(
            """WITH RECURSIVE names(company) AS (
                SELECT min(company) FROM article_companies
                UNION ALL
                SELECT (SELECT c.company FROM article_companies c WHERE c.company > names.company
                        ORDER BY c.company LIMIT 1)
                FROM names WHERE names.company IS NOT NULL
            )
            SELECT company FROM names WHERE company IS NOT NULL"""
        )
        return [name for (name,) in await conn.execute(query)]

    async def company_stories(
        self, company: str, *, limit: int = 5, now: datetime | None = None
    ) -> list[Story]:
        """The latest stories about a company (its canonical name), best first.

        Stories of the last 30 days come first; among them a story about the company (an article
        that names it in the title or more than once) beats a passing mention, then newer beats
        older. Older stories follow in the same order.
        """
        page = await self.company_page(company, limit=limit, now=now)
        return [story for story, _ in page.stories]

    async def company_page(
        self,
        company: str,
        chat: tuple[str, str] = ("", ""),
        *,
        limit: int = 5,
        now: datetime | None = None,
    ) -> CompanyPage:
        """:meth:`company_stories`, each with its stored summary (None when it has none), and
        the asking chat, by (platform, chat key), with the end of its last digest (read only
        when there are stories to show in its time zone)."""
        name = _clean_name(company)
        if not name or len(name) > MAX_NAME_CHARS or limit <= 0:
            return CompanyPage([])
        since = (now or utcnow()) - RECENT
        return await self._store.read(partial(read_company_page, name, chat, limit, since))

    # search ----------------------------------------------------------------------------------

    async def search(
        self, query: str, *, limit: int = 10, now: datetime | None = None
    ) -> list[SearchHit]:
        """The articles that best match a user's query, best first (`bot.store.search`): those
        holding more of its (rarity-weighted) words, then by relevance, recent ones a little
        ahead. The query is reduced to plain words, so operators, quotes and SQL in it are just
        text; a query without words returns [].
        """
        companies: dict[str, str] = {}
        if self._store.dialect == "postgresql":  # for names made of its stop words ("AT&T")
            companies = {name.casefold(): name for name in await self.company_names()}
        async with self._engine.begin() as conn:
            scored = await search_articles(
                conn, self._store.dialect, query, limit, now or utcnow(), companies
            )
            if not scored:
                return []
            rows = await conn.execute(
                select(articles).where(articles.c.id.in_(i for i, _ in scored))
            )
            by_id = {r.id: _article(r) for r in rows}
        return [SearchHit(by_id[i], s) for i, s in scored if i in by_id]

    async def texts_with(self, word: str, *, limit: int = 100) -> list[str]:
        """The title and opening of the newest articles holding a word (for related words)."""
        async with self._engine.begin() as conn:
            return await texts_with(conn, self._store.dialect, word, limit)

    async def word_frequencies(self, words: list[str]) -> tuple[int, dict[str, int]]:
        """(articles stored, {word: articles holding it}), as search counts them."""
        async with self._engine.begin() as conn:
            return await word_frequencies(conn, self._store.dialect, words)
