"""Stories' summaries made ahead of time (story_summaries): written when a story changes, read
with the story by /company in the same query. Whether a stored summary still fits its story is
the summarizer layer's call (bot/summarize/stored.py): a row only holds the key it was made
under, and its body."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.models import Summary
from bot.store.cache import summary_from_json, summary_to_json
from bot.store.schema import stories, story_summaries
from bot.store.store import Store, utcnow

log = logging.getLogger("newsbot.store.summaries")

CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """A story's stored summary and the key of what it was made from."""

    key: str
    body: str

    def summary(self) -> Summary:
        """The Summary the row holds."""
        return summary_from_json(self.body)


async def save_summaries(store: Store, made: Iterable[tuple[int, str, Summary]]) -> int:
    """Store (story id, key, summary) rows, each replacing the story's earlier one; returns how
    many. A story deleted meanwhile (merged into another) is skipped, not an error."""
    rows = [
        {"story_id": story_id, "key": key, "body": summary_to_json(summary), "created_at": utcnow()}
        for story_id, key, summary in made
    ]
    if not rows:
        return 0
    try:
        return await _save(store, rows)
    except IntegrityError:  # a story deleted by another process between the check and the write
        log.warning("stored summaries skipped: a story went away", extra={"stories": len(rows)})
        return 0


async def _save(store: Store, rows: list[dict[str, object]]) -> int:
    saved = 0
    async with store.engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            ids = [r["story_id"] for r in chunk]
            found = await conn.execute(select(stories.c.id).where(stories.c.id.in_(ids)))
            alive = set(found.scalars())
            chunk = [r for r in chunk if r["story_id"] in alive]
            if not chunk:
                continue
            stmt = store._insert(story_summaries)
            stmt = stmt.on_conflict_do_update(
                index_elements=["story_id"],
                set_={
                    "key": stmt.excluded.key,
                    "body": stmt.excluded.body,
                    "created_at": stmt.excluded.created_at,
                },
            )
            await conn.execute(stmt, chunk)
            saved += len(chunk)
    return saved
