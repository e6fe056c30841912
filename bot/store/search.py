"""Full-text search over the stored articles (SQLite FTS5, PostgreSQL tsvector), for /ask.

A question is reduced to its words. Each word weighs by how rare it is in the store (inverse
document frequency), so a company's name or a place outweighs "jobs" or "shares". Articles are
then looked for in levels: first those holding every word, then those holding at least three
quarters of the question's weight, then half, then any word. A level is the smallest sets of
words that hold its share, each looked up on its own (all its words: AND), the heaviest set
first; a set's articles rank by text relevance (bm25 on SQLite, ts_rank_cd on PostgreSQL)
with a mild prior for recent ones. A set that holds a rare word reads only that word's
articles, so a question costs about as much as its rarest words, not as its commonest ones.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Article
from bot.store.schema import article_companies, as_utc

MAX_TERMS = 16
MAX_TERM_CHARS = 64
RANKED_TERMS = 8  # the rarest words of a question that the levels are built from
LEVELS = (1.0, 0.75, 0.5, 0.0)  # the share of the question's weight an article must hold
MAX_SETS = 40  # word sets per level (each an AND of words); the heaviest are kept
MAX_QUERIES = 24  # word sets looked up per search at most
# Each level ranks its newest matches only (by id, the order of storing): a level made of
# common words alone must not cost a rank computation per article.
POOL = 1000
TITLE_WEIGHT = 4.0  # SQLite bm25 weight of the title against the text (PostgreSQL: A vs B)
RECENCY_DAYS = 60.0  # the prior: relevance is halved for an article this many days old
NAME_WEIGHT = 2.0  # a word of a name (capitalised in the question) weighs double
COUNTED = 1000  # articles counted per word at most; past that, estimated
STATS_SECONDS = 300.0  # how long PostgreSQL's word statistics (pg_stats) are reused

# Question words and glue: on SQLite they would match nearly every article (PostgreSQL's english
# configuration drops its own list); dropping them on both keeps the two backends alike.
_STOP_WORDS = """
    a about after all also an and any are as at be been but by can could did do does for from had
    has have he her his how i if in into is it its me my no not of on or our she so than that the
    their them then there these they this those to was we were what when where which who whom why
    will with would you your"""
_STOP = frozenset(_STOP_WORDS.split())
# A word, or words joined by . & ' or - ("jd.com", "at&t", "weight-loss"): a phrase on SQLite,
# one lexeme (a host name) or several on PostgreSQL, as the articles' own text was indexed.
_TERM = re.compile(r"[^\W_]+(?:[.&'’-][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
# Words a question uses for what articles write otherwise: an article that holds the other
# form matches the word ("Who is the new CEO?" of "names ... chief executive").
ALSO = {
    "ceo": "chief executive",
    "cfo": "chief financial officer",
    "cto": "chief technology officer",
    "ipo": "initial public offering",
    "laying": "layoffs",
    "laid": "layoffs",
}
_LEXEME = re.compile(r"'((?:[^']|'')*)'")


@dataclass(slots=True)
class SearchHit:
    """An article found by search, with its relevance (higher is better)."""

    article: Article
    score: float


def search_terms(query: str) -> list[str]:
    """The words of a user's query, lower-cased, without operators, quotes or stop words."""
    text_ = unicodedata.normalize("NFKC", query).casefold()
    words = [_POSSESSIVE.sub("", word) for word in _TERM.findall(text_)]
    kept = [w for w in words if w not in _STOP and len(w) <= MAX_TERM_CHARS]
    return list(dict.fromkeys(kept))[:MAX_TERMS]


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every term a quoted string, any term may match."""
    return " OR ".join(_fts5_term(term) for term in terms)


def _fts5_term(term: str) -> str:
    quoted = '"' + term.replace('"', '""') + '"'
    return f'({quoted} OR "{ALSO[term]}")' if term in ALSO else quoted


def _pg_word(term: str, key: str) -> str:
    """The tsquery of a term (with its other form, see ALSO), its parameters named `key`."""
    word = f"plainto_tsquery('english', :{key})"
    return f"({word} || phraseto_tsquery('english', :{key}_also))" if term in ALSO else word


def _pg_params(term: str, key: str) -> dict[str, str]:
    return {key: term, f"{key}_also": ALSO[term]} if term in ALSO else {key: term}


def named_words(query: str) -> set[str]:
    """The words of the names a query gives: capitalised words after its first ("How much is
    the Red Hat Arm deal worth?" → red, hat, arm), as search_terms writes them."""
    words = _TERM.findall(unicodedata.normalize("NFKC", query))[1:]
    return {_POSSESSIVE.sub("", w.casefold()) for w in words if w[:1].isupper()}


def term_weights(
    frequencies: dict[str, int], total: int, names: set[str] | frozenset[str] = frozenset()
) -> dict[str, float]:
    """Each word's weight, log(1 + N / df), doubled for a word of a name (the question is
    about who or what it names), for the words found at all; the rarest words first, at most
    RANKED_TERMS of them."""
    found = sorted((df, term) for term, df in frequencies.items() if df > 0)
    return {
        term: (NAME_WEIGHT if term in names else 1.0) * math.log(1.0 + max(total, df) / df)
        for df, term in found[:RANKED_TERMS]
    }


def word_sets(weights: dict[str, float], share: float) -> list[tuple[str, ...]]:
    """The smallest sets of words that hold `share` of the total weight (no word of a set can
    go without it falling short), the heaviest first; at most MAX_SETS."""
    total = sum(weights.values())
    if share >= 1.0:
        return [tuple(weights)] if weights else []
    if share <= 0.0:
        return [(word,) for word in weights]
    need = share * total - 1e-9
    words = list(weights)
    found: list[tuple[str, ...]] = []
    for size in range(1, len(words) + 1):
        for group in combinations(words, size):
            weight = sum(weights[w] for w in group)
            if weight >= need and all(weight - weights[w] < need for w in group):
                found.append(group)
    found.sort(key=lambda group: -sum(weights[w] for w in group))
    return found[:MAX_SETS]


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
        total, frequencies, by_company = await _postgres_frequencies(conn, terms, companies or {})
    else:
        total, frequencies = await _sqlite_frequencies(conn, terms)
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


# -- how common each word is -----------------------------------------------------------------


async def _stored(conn: AsyncConnection) -> int:
    """About how many articles are stored (the highest id: one index seek)."""
    return int((await conn.execute(text("SELECT coalesce(max(id), 0) FROM articles"))).scalar())


async def _sqlite_frequencies(
    conn: AsyncConnection, terms: list[str]
) -> tuple[int, dict[str, int]]:
    """(articles stored, {term: articles holding it}). A count stops at COUNTED: past that,
    the share of the newest articles that hold the word tells how common it is."""
    total = await _stored(conn)
    matches = [
        f"SELECT rowid AS id FROM articles_fts WHERE articles_fts MATCH :t{i}"
        for i in range(len(terms))
    ]
    params: dict[str, Any] = {f"t{i}": _fts5_term(t) for i, t in enumerate(terms)}
    return total, await _counted(conn, matches, terms, params, total)


async def _counted(
    conn: AsyncConnection, matches: list[str], terms: list[str], params: dict[str, Any], total: int
) -> dict[str, int]:
    """Each term's article count (`matches`: the query of its articles' ids), up to COUNTED
    exactly, estimated past it (see above)."""
    counts = " UNION ALL ".join(
        f"SELECT {i} AS term, count(*) AS n, min(id) AS first FROM "
        f"({match} ORDER BY id DESC LIMIT :counted) AS m{i}"
        for i, match in enumerate(matches)
    )
    rows = await conn.execute(text(counts), {**params, "counted": COUNTED})
    frequencies = {}
    for i, n, first in rows:
        span = total - int(first) + 1 if first is not None else 0
        estimate = n * total // span if n >= COUNTED and span > 0 else n
        frequencies[terms[int(i)]] = int(estimate)
    return frequencies


# PostgreSQL's ANALYZE keeps the most common lexemes of articles.search and the share of rows
# that hold each: a common word is looked up there instead of counted.
_stats: dict[str, tuple[float, dict[str, float]]] = {}


async def _postgres_frequencies(
    conn: AsyncConnection, terms: list[str], companies: Mapping[str, str]
) -> tuple[int, dict[str, int], dict[str, str]]:
    """(articles stored, {term: articles holding it}, {term: the company it names, for a term
    that the english configuration drops whole}). Common lexemes are read off pg_stats; the
    others are counted as on SQLite."""
    total = await _stored(conn)
    common = await _common_lexemes(conn)
    lexemes = ", ".join(f"plainto_tsquery('english', :t{i})::text" for i in range(len(terms)))
    params: dict[str, Any] = {f"t{i}": t for i, t in enumerate(terms)}
    row = (await conn.execute(text(f"SELECT {lexemes}"), params)).one()
    frequencies: dict[str, int] = {}
    by_company: dict[str, str] = {}
    to_count: list[str] = []
    for term, query in zip(terms, row, strict=True):
        words = [w.replace("''", "'") for w in _LEXEME.findall(query or "")]
        if not words and term in companies:
            by_company[term] = companies[term]
        elif not words:
            frequencies[term] = 0  # only stop words of PostgreSQL's english configuration
        elif term not in ALSO and all(w in common for w in words):
            frequencies[term] = max(1, int(min(common[w] for w in words) * total))
        else:
            to_count.append(term)
    if to_count:
        matches = [
            f"SELECT id FROM articles WHERE search @@ {_pg_word(t, f't{i}')}"
            for i, t in enumerate(to_count)
        ]
        params = {k: v for i, t in enumerate(to_count) for k, v in _pg_params(t, f"t{i}").items()}
        frequencies.update(await _counted(conn, matches, to_count, params, total))
    for term, company in by_company.items():
        mentions = select(func.count()).where(article_companies.c.company == company)
        frequencies[term] = int((await conn.execute(mentions)).scalar_one())
    return total, frequencies, by_company


async def _common_lexemes(conn: AsyncConnection) -> dict[str, float]:
    key = f"{conn.engine.url!r}"
    cached = _stats.get(key)
    if cached is not None and time.monotonic() - cached[0] < STATS_SECONDS:
        return cached[1]
    row = (
        await conn.execute(
            text(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = 'articles' "
                "AND attname = 'search'"
            )
        )
    ).first()
    common: dict[str, float] = {}
    if row is not None and row[0] is not None:
        common = dict(zip(row[0], (float(f) for f in row[1]), strict=False))
    _stats[key] = (time.monotonic(), common)
    return common


# -- one level -------------------------------------------------------------------------------


def _sqlite_level(
    sets: list[tuple[str, ...]], terms: list[str], now: datetime, limit: int
) -> tuple[str, dict[str, Any]]:
    # FTS5 walks the level's matches newest rowid first and stops at the pool; bm25 (lower is
    # better) is computed for those only. julianday() reads the stored 'YYYY-MM-DD HH:MM:SS'.
    # "AND (any word)" matches nothing more, but bm25 then scores every word of the question:
    # of the articles holding a set's words, those that also hold the others come first.
    match = " OR ".join("(" + " AND ".join(_fts5_term(w) for w in group) + ")" for group in sets)
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
        return _pg_word(term, f"t{number[term]}")

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
        k: v for i, t in enumerate(terms) if t in ranked for k, v in _pg_params(t, f"t{i}").items()
    }
    params |= {f"c{number[t]}": by_company[t] for t in group if t in by_company}
    return sql, {**params, "now": now, "days": RECENCY_DAYS, "pool": POOL, "limit": limit}
