"""What the store tells about a word for /ask's related words (bot/summarize/related.py): the
newest articles that hold it, and how many articles hold each of some words."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.search_frequencies import postgres_frequencies, sqlite_frequencies
from bot.store.search_words import fts5_term, pg_params, pg_word, search_terms

HEAD_CHARS = 600  # of each article: its title and the start of its text (what it is about)


async def texts_with(conn: AsyncConnection, dialect: str, word: str, limit: int) -> list[str]:
    """The title and opening of the newest `limit` articles that hold a word (in any of the
    forms search finds it in); [] for a word search does not look up (a stop word)."""
    if search_terms(word) != [word] or limit <= 0:
        return []
    if dialect == "sqlite":
        sql = """
            SELECT a.title, substr(a.text, 1, :chars) FROM articles a WHERE a.id IN (
                SELECT rowid FROM articles_fts WHERE articles_fts MATCH :t0
                ORDER BY rowid DESC LIMIT :limit)"""
        params = {"t0": fts5_term(word)}
    else:
        # Inline, as search's levels are: the planner walks the newest articles for a common
        # word and reads the GIN index for a rare one.
        sql = f"""
            SELECT a.title, left(a.text, :chars) FROM articles a
            WHERE a.search @@ {pg_word(word, "t0")} ORDER BY a.id DESC LIMIT :limit"""
        params = pg_params(word, "t0")
    rows = await conn.execute(text(sql), {**params, "chars": HEAD_CHARS, "limit": limit})
    return [f"{title}\n{head}" for title, head in rows]


async def word_frequencies(
    conn: AsyncConnection, dialect: str, words: list[str]
) -> tuple[int, dict[str, int]]:
    """(articles stored, {word: articles holding it}) for the words search looks up; a word
    no article holds counts 0 (search's own counts: exact up to a thousand, then estimated)."""
    asked = [w for w in dict.fromkeys(words) if search_terms(w) == [w]]
    if not asked:
        return 0, {}
    if dialect == "postgresql":
        await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        total, frequencies, _ = await postgres_frequencies(conn, asked, {})
    else:
        total, frequencies = await sqlite_frequencies(conn, asked)
    return total, frequencies
