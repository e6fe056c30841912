"""Full-text search over the stored articles (SQLite FTS5, PostgreSQL tsvector), for /ask.

A question is reduced to its words. Each word weighs by how rare it is in the store (inverse
document frequency), so a company's name or a place outweighs "jobs" or "shares". Articles are
then looked for in levels: first those holding every word, then those holding at least three
quarters of the question's weight, then half, then any word. A level is the smallest sets of
words that hold its share, each looked up on its own (all its words: AND), the heaviest set
first; a set's articles rank by text relevance (bm25 on SQLite, ts_rank_cd on PostgreSQL)
with a mild prior for recent ones. A set that holds a rare word reads only that word's
articles, so a question costs about as much as its rarest words, not as its commonest ones.

bot/store/search_words.py has the words and their weights; bot/store/search_frequencies.py, how
common each word is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Article
from bot.store.schema import as_utc
from bot.store.search_frequencies import postgres_frequencies, sqlite_frequencies
from bot.store.search_words import (
    fts5_query,
    fts5_term,
    named_words,
    pg_params,
    pg_word,
    search_terms,
    term_weights,
    word_sets,
)

LEVELS = (1.0, 0.75, 0.5, 0.0)  # the share of the question's weight an article must hold
MAX_QUERIES = 24  # word sets looked up per search at most
# Each level ranks its newest matches only (by id, the order of storing): a level made of
# common words alone must not cost a rank computation per article.
POOL = 1000
TITLE_WEIGHT = 4.0  # SQLite bm25 weight of the title against the text (PostgreSQL: A vs B)
RECENCY_DAYS = 60.0  # the prior: relevance is halved for an article this many days old


@dataclass(slots=True)
class SearchHit:
    """An article found by search, with its relevance (higher is better)."""

    article: Article
    score: float


async def search(
    conn: AsyncConnection,
    dialect: str,
    query: str,
    limit: int,
    now: datetime,
    companies: Mapping[str, str] | None = None,
) -> list[tuple[int, float]]:
    """(article id, relevance) of the best matches of a query, best first (see the module).

    `companies` maps the case-folded names of indexed companies to their names: on PostgreSQL
    a name made of its stop words ("AT&T": 'at', 't') is looked up among the mentions instead.
    """
    terms = search_terms(query)
    if not terms or limit <= 0:
        return []
    by_company: dict[str, str] = {}
    if dialect == "postgresql":
        # A prepared statement's generic plan would not know the words: plan each query.
        await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        total, frequencies, by_company = await postgres_frequencies(conn, terms, companies or {})
    else:
        total, frequencies = await sqlite_frequencies(conn, terms)
    weights = term_weights(frequencies, total, named_words(query))
    found: dict[int, float] = {}
    asked: set[tuple[str, ...]] = set()
    for group in (group for share in LEVELS for group in word_sets(weights, share)):
        if group in asked:
            continue
        asked.add(group)
        if dialect == "sqlite":
            sql, params = _sqlite_level([group], list(weights), now, limit + len(found))
        else:
            sql, params = _postgres_level(group, list(weights), now, limit + len(found), by_company)
        for article_id, score in await conn.execute(text(sql), params):
            if int(article_id) not in found and len(found) < limit:
                found[int(article_id)] = float(score)
        if len(found) >= limit or len(asked) >= MAX_QUERIES:
            break
    return list(found.items())


# -- one level -------------------------------------------------------------------------------


def _sqlite_level(
    sets: list[tuple[str, ...]], terms: list[str], now: datetime, limit: int
) -> tuple[str, dict[str, Any]]:
    # FTS5 walks the level's matches newest rowid first and stops at the pool; bm25 (lower is
    # better) is computed for those only. julianday() reads the stored 'YYYY-MM-DD HH:MM:SS'.
    # "AND (any word)" matches nothing more, but bm25 then scores every word of the question:
    # of the articles holding a set's words, those that also hold the others come first.
    match = " OR ".join("(" + " AND ".join(fts5_term(w) for w in group) + ")" for group in sets)
    match = f"({match}) AND ({fts5_query(terms)})"
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
    params = {"now": when, "days": RECENCY_DAYS, "query": match, "pool": POOL, "limit": limit}
    return sql, params


def _postgres_level(
    group: tuple[str, ...],
    terms: list[str],
    now: datetime,
    limit: int,
    by_company: dict[str, str],
) -> tuple[str, dict[str, Any]]:
    # The set's query is written inline (not in a CTE) so that the planner sees how common its
    # words are: for common words it walks the newest articles by id and stops at the pool,
    # for a rare one it reads the GIN index. Ranked by every word of the question.
    number = {term: i for i, term in enumerate(terms)}

    def word(term: str) -> str:
        return pg_word(term, f"t{number[term]}")

    conditions = [
        f"a.id IN (SELECT article_id FROM article_companies WHERE company = :c{number[t]})"
        for t in group
        if t in by_company
    ]
    if words := [t for t in group if t not in by_company]:
        conditions.append("a.search @@ (" + " && ".join(word(w) for w in words) + ")")
    ranked = [t for t in terms if t not in by_company]
    relevance = f"ts_rank_cd(hits.search, ({' || '.join(word(t) for t in ranked)}))"
    sql = f"""
        WITH hits AS (
            SELECT a.id, a.search, coalesce(a.published_at, a.fetched_at) AS at
            FROM articles a WHERE {" AND ".join(conditions)} ORDER BY a.id DESC LIMIT :pool
        )
        SELECT hits.id, {relevance if ranked else "1.0"} / (1.0 + greatest(0.0,
            extract(epoch FROM CAST(:now AS timestamptz) - hits.at) / 86400.0) / :days) AS score
        FROM hits
        ORDER BY score DESC, hits.id DESC LIMIT :limit"""
    params: dict[str, Any] = {
        k: v for i, t in enumerate(terms) if t in ranked for k, v in pg_params(t, f"t{i}").items()
    }
    params |= {f"c{number[t]}": by_company[t] for t in group if t in by_company}
    return sql, {**params, "now": now, "days": RECENCY_DAYS, "pool": POOL, "limit": limit}
