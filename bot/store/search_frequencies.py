"""How common each word of a question is among the stored articles (the weights of
bot/store/search_words.py): counted on SQLite, read off PostgreSQL's statistics where they
know the word."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import article_companies
from bot.store.search_words import ALSO, fts5_term, pg_params, pg_word

COUNTED = 1000  # articles counted per word at most; past that, estimated
STATS_SECONDS = 300.0  # how long PostgreSQL's word statistics (pg_stats) are reused
_LEXEME = re.compile(r"'((?:[^']|'')*)'")


async def _stored(conn: AsyncConnection) -> int:
    """About how many articles are stored (the highest id: one index seek)."""
    return int((await conn.execute(text("SELECT coalesce(max(id), 0) FROM articles"))).scalar())


async def sqlite_frequencies(conn: AsyncConnection, terms: list[str]) -> tuple[int, dict[str, int]]:
    """(articles stored, {term: articles holding it}). A count stops at COUNTED: past that,
    the share of the newest articles that hold the word tells how common it is."""
    total = await _stored(conn)
    matches = [
        f"SELECT rowid AS id FROM articles_fts WHERE articles_fts MATCH :t{i}"
        for i in range(len(terms))
    ]
    params: dict[str, Any] = {f"t{i}": fts5_term(t) for i, t in enumerate(terms)}
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


async def postgres_frequencies(
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
            f"SELECT id FROM articles WHERE search @@ {pg_word(t, f't{i}')}"
            for i, t in enumerate(to_count)
        ]
        params = {k: v for i, t in enumerate(to_count) for k, v in pg_params(t, f"t{i}").items()}
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
