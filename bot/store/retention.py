"""The daily cleanup: what is older than ``[store] retention_days`` leaves the store.

* Articles fetched before the cutoff go with their company mentions, and so do the stories left
  without an article. Feed entries stay (their article becomes NULL), so an old entry that is
  still in its feed is never read and stored again.
* Delivered outbox parts (sent or failed) last touched before the cutoff go, once no part of
  their digest is still pending or sending.
* Digests made before the cutoff go once their parts are gone, except each chat's latest: the
  chat's next digest starts where that one ended.
* Sent-story records (digest_stories), cached LLM summaries and daily token counts go by age.

Rows are deleted in batches of ``BATCH``, a transaction each, so SQLite's write lock is never
held for long and the rest of newsbot keeps writing while a large cleanup runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import (
    article_companies,
    articles,
    deliveries,
    digest_stories,
    digests,
    entries,
    llm_usage,
    stories,
    summaries,
)
from bot.store.store import Store

log = logging.getLogger("newsbot.retention")

BATCH = 1000
_UNSENT = ("pending", "sending")
_SETTLED = ("sent", "failed")


@dataclass(slots=True)
class RetentionReport:
    """What one cleanup deleted, per table; ``cutoff`` is None when retention is off."""

    cutoff: datetime | None
    articles: int = 0
    article_companies: int = 0
    stories: int = 0
    entries_unlinked: int = 0  # entries kept, no longer pointing at a (deleted) article
    deliveries: int = 0
    digests: int = 0
    digest_stories: int = 0
    summaries: int = 0
    llm_usage: int = 0
    seconds: float = 0.0

    @property
    def deleted(self) -> int:
        """Rows deleted in all."""
        return (
            self.articles
            + self.article_companies
            + self.stories
            + self.deliveries
            + self.digests
            + self.digest_stories
            + self.summaries
            + self.llm_usage
        )


async def cleanup(store: Store, days: int, now: datetime) -> RetentionReport:
    """Delete what is older than ``days`` (``[store] retention_days``) before ``now``; run it
    once a day.

    With 0 days nothing is deleted. Safe to run while newsbot polls and sends:
    each batch is its own short transaction, and unsent digests are never touched.
    """
    started = time.monotonic()
    report = RetentionReport(cutoff=now - timedelta(days=days) if days else None)
    if report.cutoff is not None:
        await _articles(store, report.cutoff, report)
        await _deliveries(store, report.cutoff, report)
        await _digests(store, report.cutoff, report)
        cutoff = report.cutoff
        report.digest_stories = await _by_age(store, digest_stories, "sent_at", cutoff)
        report.summaries = await _by_age(store, summaries, "created_at", cutoff)
        report.llm_usage = await _by_age(store, llm_usage, "day", cutoff.date())
    report.seconds = round(time.monotonic() - started, 3)
    fields = asdict(report)
    fields["cutoff"] = report.cutoff.isoformat() if report.cutoff else None
    log.info("retention cleanup", extra={"retention_days": days, **fields})
    return report


async def _articles(store: Store, cutoff: datetime, report: RetentionReport) -> None:
    async def drop(conn: AsyncConnection, ids: list[int]) -> int:
        hit = await conn.execute(
            select(articles.c.story_id)
            .where(articles.c.id.in_(ids), articles.c.story_id.is_not(None))
            .distinct()
        )
        story_ids = [s for (s,) in hit]
        report.article_companies += await _count(
            conn, delete(article_companies).where(article_companies.c.article_id.in_(ids))
        )
        # The foreign key would do this too; done here it is counted, and done once per batch.
        report.entries_unlinked += await _count(
            conn, update(entries).where(entries.c.article_id.in_(ids)).values(article_id=None)
        )
        count = await _count(conn, delete(articles).where(articles.c.id.in_(ids)))
        report.articles += count
        if story_ids:
            await _settle_stories(conn, story_ids, report)
        return count

    await _in_batches(store, select(articles.c.id).where(articles.c.fetched_at < cutoff), drop)


async def _settle_stories(
    conn: AsyncConnection, story_ids: list[int], report: RetentionReport
) -> None:
    """Delete the stories left without an article; give the others a lead again if they lost it."""
    member = select(articles.c.id).where(articles.c.story_id == stories.c.id)
    report.stories += await _count(
        conn, delete(stories).where(stories.c.id.in_(story_ids), ~member.exists())
    )
    await conn.execute(
        update(stories)
        .where(stories.c.id.in_(story_ids), stories.c.lead_article_id.is_(None))
        .values(
            lead_article_id=select(func.min(articles.c.id))
            .where(articles.c.story_id == stories.c.id)
            .scalar_subquery()
        )
    )


async def _deliveries(store: Store, cutoff: datetime, report: RetentionReport) -> None:
    sibling = deliveries.alias("sibling")
    unsent_sibling = exists().where(
        sibling.c.digest_id == deliveries.c.digest_id, sibling.c.state.in_(_UNSENT)
    )
    old = select(deliveries.c.id).where(
        deliveries.c.state.in_(_SETTLED), deliveries.c.updated_at < cutoff, ~unsent_sibling
    )

    async def drop(conn: AsyncConnection, ids: list[int]) -> int:
        count = await _count(conn, delete(deliveries).where(deliveries.c.id.in_(ids)))
        report.deliveries += count
        return count

    await _in_batches(store, old, drop)


async def _digests(store: Store, cutoff: datetime, report: RetentionReport) -> None:
    later = digests.alias("later")
    # The chat's latest digest (greatest window_end) has none later: it is kept.
    has_later = exists().where(
        later.c.chat_id == digests.c.chat_id, later.c.window_end > digests.c.window_end
    )
    # Parts still in the outbox keep their digest (and one still to send is never deleted).
    has_parts = exists().where(deliveries.c.digest_id == digests.c.id)
    old = select(digests.c.id).where(digests.c.created_at < cutoff, has_later, ~has_parts)

    async def drop(conn: AsyncConnection, ids: list[int]) -> int:
        count = await _count(conn, delete(digests).where(digests.c.id.in_(ids), ~has_parts))
        report.digests += count
        return count

    await _in_batches(store, old, drop)


async def _by_age(store: Store, table: Table, column: str, cutoff: date) -> int:
    """Delete the rows of a table (with an id column) whose ``column`` is before the cutoff."""
    deleted = 0

    async def drop(conn: AsyncConnection, ids: list[int]) -> int:
        nonlocal deleted
        count = await _count(conn, delete(table).where(table.c.id.in_(ids)))
        deleted += count
        return count

    await _in_batches(store, select(table.c.id).where(table.c[column] < cutoff), drop)
    return deleted


async def _in_batches(
    store: Store, ids: Select[Any], drop: Callable[[AsyncConnection, list[int]], Awaitable[int]]
) -> None:
    """Run ``drop`` on the selected ids, BATCH at a time, each batch in its own transaction,
    until a batch is short or deletes nothing (another process got there first)."""
    while True:
        async with store.engine.begin() as conn:
            batch = [int(i) for (i,) in await conn.execute(ids.limit(BATCH))]
            dropped = await drop(conn, batch) if batch else 0
        if len(batch) < BATCH or dropped == 0:
            return
        await asyncio.sleep(0)  # let the event loop serve others between batches


async def _count(conn: AsyncConnection, statement: Any) -> int:
    return int((await conn.execute(statement)).rowcount or 0)
