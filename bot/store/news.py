"""Stories, the companies articles mention, and full-text search: the queries behind /company,
/ask and the story indexer, over SQLite (FTS5) or PostgreSQL (tsvector)."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Article, CompanyMention, Story
from bot.store.schema import article_companies, articles, as_utc, stories
from bot.store.store import Store, _article, utcnow
from bot.store.story_state import (
    Features,
    WindowArticle,
    articles_by_id,
    move_to_story,
    open_story,
    save_features,
    set_article_story,
    window_articles,
)

log = logging.getLogger("newsbot.store.news")

ABOUT = 2.0  # salience from which an article is about a company (one passing mention is <= 1.5)
RECENT = timedelta(days=30)  # /company lists stories of this period first
RECENCY_DAYS = 7.0  # search: relevance is halved for an article this many days old
TITLE_WEIGHT = 4.0  # SQLite bm25 weight of the title against the text (PostgreSQL: A vs B)
# Search ranks the newest matches only (by id, the order of storing): a word in every article
# must not cost a rank computation per article.
POOL = 1000
MAX_TERMS = 16
MAX_TERM_CHARS = 64
MAX_NAME_CHARS = 200

# Question words and glue: on SQLite they would match nearly every article (PostgreSQL's english
# configuration drops its own list); dropping them on both keeps the two backends alike.
_STOP_WORDS = """
    a about after all also an and any are as at be been but by can could did do does for from had
    has have he her his how i if in into is it its me my no not of on or our she so than that the
    their them then there these they this those to was we were what when where which who whom why
    will with would you your"""
_STOP = frozenset(_STOP_WORDS.split())
_TERM = re.compile(r"[^\W_]+")


@dataclass(slots=True)
class SearchHit:
    """An article found by search, with its relevance weighted by recency (higher is better)."""

    article: Article
    score: float


def search_terms(query: str) -> list[str]:
    """The words of a user's query, lower-cased, without operators, quotes or stop words."""
    words = _TERM.findall(unicodedata.normalize("NFKC", query).casefold())
    kept = [w for w in words if w not in _STOP and len(w) <= MAX_TERM_CHARS]
    return list(dict.fromkeys(kept))[:MAX_TERMS]


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every term a quoted string, any term may match."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _clean_name(name: str) -> str:
    # NUL and lone surrogates cannot be sent to PostgreSQL (or encoded at all).
    name = name.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    return " ".join(name.split())


def company_rows(
    article_id: int, mentions: list[CompanyMention], published_at: datetime | None
) -> list[dict[str, Any]]:
    """The article_companies rows of one article: one per cleaned name, the best mention."""
    rows: dict[str, dict[str, Any]] = {}
    for m in mentions:
        name = _clean_name(m.name)[:MAX_NAME_CHARS]
        if name and (name not in rows or rows[name]["score"] < m.score):
            rows[name] = {
                "article_id": article_id,
                "company": name,
                "known": m.known,
                "mentions": m.count,
                "first_offset": m.first_offset,
                "in_title": m.in_title,
                "score": m.score,
                "published_at": published_at,
            }
    return list(rows.values())


class NewsIndex:
    """Stories, company mentions and search over the store's articles."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._engine = store.engine

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
        mentions: list[CompanyMention],
        story_id: int | None,
        features: Features | None,
    ) -> None:
        at = await set_article_story(conn, article_id, story_id)
        if at is None:
            log.warning("index of an unknown article skipped", extra={"article": article_id})
            return
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
        found = await self._stories([story_id])
        return found[0] if found else None

    async def window_articles(
        self, since: datetime, until: datetime | None = None
    ) -> list[WindowArticle]:
        """The window as the story index's rebuild reads it (`bot.store.story_state`)."""
        return await window_articles(self._engine, since, until)

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
        """Every company name in the index, known or not, alphabetically (by the database)."""
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
        async with self._engine.connect() as conn:
            return [name for (name,) in await conn.execute(query)]

    async def company_stories(
        self, company: str, *, limit: int = 5, now: datetime | None = None
    ) -> list[Story]:
        """The latest stories about a company (its canonical name), best first.

        Stories of the last 30 days come first; among them a story about the company (an article
        that names it in the title or more than once) beats a passing mention, then newer beats
        older. Older stories follow in the same order.
        """
        name = _clean_name(company)
        if not name or len(name) > MAX_NAME_CHARS or limit <= 0:
            return []
        since = (now or utcnow()) - RECENT
        mention = article_companies.c
        about = text(f"article_companies.score >= {ABOUT}")  # the partial index's very predicate
        passing = mention.score < ABOUT
        recent, older = mention.published_at >= since, mention.published_at < since
        keys: list[int] = []
        async with self._engine.connect() as conn:
            for tier in ((about, recent), (passing, recent), (about, older), (passing, older)):
                await self._scan(conn, and_(mention.company == name, *tier), keys, limit)
                if len(keys) >= limit:
                    break
        return await self._stories(keys)

    async def _scan(self, conn: AsyncConnection, where: Any, keys: list[int], limit: int) -> None:
        """Add to `keys` the stories of matching mentions, newest first, until there are `limit`.

        A key is a story id, or minus the article id for an article in no story. Reads the
        mentions off an index in pages, so a company named in thousands of articles costs a few.
        """
        mention = article_companies.c
        key = func.coalesce(articles.c.story_id, -mention.article_id)
        page = 8 * limit
        query = (
            select(key, mention.published_at, mention.article_id)
            .select_from(article_companies.join(articles, articles.c.id == mention.article_id))
            .where(where)
            .order_by(mention.published_at.desc(), mention.article_id.desc())
            .limit(page)
        )
        after: Any = None
        while len(keys) < limit:
            pending = query
            if after is not None:
                at, article_id = after
                pending = query.where(
                    or_(
                        mention.published_at < at,
                        and_(mention.published_at == at, mention.article_id < article_id),
                    )
                )
            rows = (await conn.execute(pending)).all()
            for story_key, _, _ in rows:
                if story_key not in keys and len(keys) < limit:
                    keys.append(int(story_key))
            if len(rows) < page:
                return
            after = rows[-1][1], rows[-1][2]

    async def _stories(self, keys: list[int]) -> list[Story]:
        """Stories by key (story id, or minus an article id), in the order of the keys."""
        if not keys:
            return []
        ids = [k for k in keys if k > 0]
        lone = [-k for k in keys if k < 0]
        where = or_(articles.c.story_id.in_(ids), articles.c.id.in_(lone))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(articles).where(where))).all()
            leads = dict(
                (
                    await conn.execute(
                        select(stories.c.id, stories.c.lead_article_id).where(stories.c.id.in_(ids))
                    )
                ).all()
            )
        grouped: dict[int, list[Article]] = {}
        for row in rows:
            article = _article(row)
            assert article.id is not None
            key = article.story_id if article.story_id in leads else -article.id
            grouped.setdefault(key, []).append(article)
        found = []
        for k in keys:
            if k not in grouped:
                continue
            lead = leads.get(k)
            grouped[k].sort(key=lambda a: (a.id != lead, a.published is None, a.published, a.id))
            found.append(Story(grouped[k], id=k if k > 0 else None))
        return found

    # search ----------------------------------------------------------------------------------

    async def search(
        self, query: str, *, limit: int = 10, now: datetime | None = None
    ) -> list[SearchHit]:
        """Articles matching any word of a user's query, by relevance weighted by recency.

        The query is reduced to plain words, so operators, quotes and SQL in it are just text;
        a query without words returns [].
        """
        terms = search_terms(query)
        if not terms or limit <= 0:
            return []
        now = now or utcnow()
        if self._store.dialect == "sqlite":
            sql, params = _sqlite_search(terms, now, limit)
        else:
            sql, params = _postgres_search(terms, now, limit)
        async with self._engine.begin() as conn:
            if self._store.dialect == "postgresql":
                # A prepared statement's generic plan would not know the words: plan each query.
                await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            scored = [(int(i), float(s)) for i, s in await conn.execute(text(sql), params)]
            rows = await conn.execute(
                select(articles).where(articles.c.id.in_(i for i, _ in scored))
            )
            by_id = {r.id: _article(r) for r in rows}
        return [SearchHit(by_id[i], s) for i, s in scored if i in by_id]


def _sqlite_search(terms: list[str], now: datetime, limit: int) -> tuple[str, dict[str, Any]]:
    # FTS5 walks the matches newest rowid first and stops at the pool: bm25 (lower is better) is
    # computed for those only. julianday() reads the stored 'YYYY-MM-DD HH:MM:SS' text.
    sql = f"""
        WITH hits AS (
            SELECT rowid AS id, bm25(articles_fts, {TITLE_WEIGHT}, 1.0) AS bm25
            FROM articles_fts WHERE articles_fts MATCH :query ORDER BY rowid DESC LIMIT :pool
        )
        SELECT a.id, -hits.bm25 / (1.0 + max(0.0,
            julianday(:now) - julianday(coalesce(a.published_at, a.fetched_at))) / :days) AS score
        FROM hits JOIN articles a ON a.id = hits.id
        ORDER BY score DESC, a.id DESC LIMIT :limit"""
    when = as_utc(now).strftime("%Y-%m-%d %H:%M:%S")
    query = fts5_query(terms)
    return sql, {"now": when, "days": RECENCY_DAYS, "query": query, "pool": POOL, "limit": limit}


def _postgres_search(terms: list[str], now: datetime, limit: int) -> tuple[str, dict[str, Any]]:
    # plainto_tsquery takes any text without a syntax error; || makes any term enough. The query
    # is written inline (not in a CTE) so that the planner sees how common its words are: for a
    # common word it walks the newest articles by id and stops at the pool, for a rare one it
    # reads the GIN index.
    tsquery = " || ".join(f"plainto_tsquery('english', :t{i})" for i in range(len(terms)))
    sql = f"""
        WITH hits AS (
            SELECT a.id, a.search, coalesce(a.published_at, a.fetched_at) AS at
            FROM articles a WHERE a.search @@ ({tsquery}) ORDER BY a.id DESC LIMIT :pool
        )
        SELECT hits.id, ts_rank(hits.search, ({tsquery})) / (1.0 + greatest(0.0,
            extract(epoch FROM CAST(:now AS timestamptz) - hits.at) / 86400.0) / :days) AS score
        FROM hits
        ORDER BY score DESC, hits.id DESC LIMIT :limit"""
    params: dict[str, Any] = {f"t{i}": term for i, term in enumerate(terms)}
    return sql, {**params, "now": now, "days": RECENCY_DAYS, "pool": POOL, "limit": limit}
