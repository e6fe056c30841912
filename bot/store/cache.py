"""The LLM summary cache and the daily token count, in the store.

A story is summarized once per (content, model, prompt version), however many chats receive it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, select, update

from bot import metrics
from bot.models import Quote, Story, Summary
from bot.store.schema import llm_usage, summaries
from bot.store.store import Store, utcnow


@dataclass(frozen=True, slots=True)
class CacheKey:
    """What a cached summary depends on: the articles' content, the model, the prompt."""

    content_hash: str
    model: str
    prompt_version: str

    @classmethod
    def for_story(cls, story: Story, model: str, prompt_version: str) -> CacheKey:
        """The key of a story: a hash of its articles' sorted content hashes."""
        hashes = sorted({a.content_hash for a in story.articles})
        digest = hashlib.sha256("\n".join(hashes).encode("utf-8")).hexdigest()
        return cls(digest, model, prompt_version)


class SummaryCache:
    """Summaries by CacheKey, and tokens used per UTC day, over SQLite or PostgreSQL."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, key: CacheKey) -> Summary | None:
        """The cached summary for the key, or None."""
        query = select(summaries.c.body).where(
            summaries.c.content_hash == key.content_hash,
            summaries.c.model == key.model,
            summaries.c.prompt_version == key.prompt_version,
        )
        async with self._store.engine.connect() as conn:
            body = (await conn.execute(query)).scalar()
        return None if body is None else summary_from_json(body)

    async def put(self, key: CacheKey, summary: Summary) -> None:
        """Cache a summary; when another process cached the key first, its summary stays."""
        stmt = self._store._insert(summaries).values(
            content_hash=key.content_hash,
            model=key.model,
            prompt_version=key.prompt_version,
            body=summary_to_json(summary),
            created_at=utcnow(),
        )
        stmt = stmt.on_conflict_do_nothing(
            index_elements=["content_hash", "model", "prompt_version"]
        )
        async with self._store.engine.begin() as conn:
            await conn.execute(stmt)

    async def tokens_used(self, day: date) -> int:
        """Tokens counted on this UTC day."""
        async with self._store.engine.connect() as conn:
            value = (
                await conn.execute(select(llm_usage.c.tokens).where(llm_usage.c.day == day))
            ).scalar()
        return int(value or 0)

    async def add_tokens(self, day: date, n: int) -> None:
        """Count n more tokens on this UTC day (atomic across processes)."""
        if n <= 0:
            return
        stmt = self._store._insert(llm_usage).values(day=day, tokens=n)
        stmt = stmt.on_conflict_do_update(
            index_elements=["day"], set_={"tokens": llm_usage.c.tokens + stmt.excluded.tokens}
        )
        async with self._store.engine.begin() as conn:
            await conn.execute(stmt)
        metrics.LLM_TOKENS.inc(n)

    async def reserve_tokens(self, day: date, n: int, daily: int) -> bool:
        """Count n tokens on this UTC day if the day stays within ``daily``; whether it did.
        One statement, so processes reserving at once never pass the budget together."""
        if n > daily:
            return False
        stmt = self._store._insert(llm_usage).values(day=day, tokens=n)
        stmt = stmt.on_conflict_do_update(
            index_elements=["day"],
            set_={"tokens": llm_usage.c.tokens + stmt.excluded.tokens},
            where=llm_usage.c.tokens + stmt.excluded.tokens <= daily,
        )
        async with self._store.engine.begin() as conn:
            return (await conn.execute(stmt.returning(llm_usage.c.tokens))).first() is not None

    async def settle_tokens(self, day: date, reserved: int, used: int) -> None:
        """Replace a reservation of ``reserved`` tokens on this day by the ``used`` ones."""
        settled = llm_usage.c.tokens - reserved + used
        async with self._store.engine.begin() as conn:
            await conn.execute(
                update(llm_usage)
                .where(llm_usage.c.day == day)
                .values(tokens=case((settled < 0, 0), else_=settled))
            )
        metrics.LLM_TOKENS.inc(max(used, 0))


def summary_to_json(summary: Summary) -> str:
    """A Summary as a JSON text."""
    return json.dumps(asdict(summary), ensure_ascii=False, separators=(",", ":"))


def summary_from_json(body: str) -> Summary:
    """The Summary a JSON text from summary_to_json holds."""
    data: dict[str, Any] = json.loads(body)
    return Summary(
        sentences=list(data["sentences"]),
        quotes=[Quote(**q) for q in data["quotes"]],
        all_quotes=[Quote(**q) for q in data["all_quotes"]],
        companies=list(data["companies"]),
        summarizer=data["summarizer"],
        note=data.get("note"),
    )
