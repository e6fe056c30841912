"""The daily cleanup on SQLite and PostgreSQL: old data goes, recent data and what the next
poll and the next digest need stay."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from bot.config import ConfigError, Settings, load_settings
from bot.config_sections import StoreSettings
from bot.ingest.http.fetch import Fetcher
from bot.ingest.poll import Poller, content_hash
from bot.models import Article, CompanyMention, TextSource
from bot.store import Store, retention
from bot.store.news import NewsIndex
from bot.store.retention import cleanup
from bot.store.schema import (
    deliveries,
    digest_stories,
    digests,
    entries,
    llm_usage,
    stories,
    summaries,
)
from tests.fakes.loopback import Response
from tests.fakes.newssite import RSS, NewsSite, rss

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=100)
RECENT = NOW - timedelta(days=1)
KEEP_90_DAYS = StoreSettings().retention_days


def article(key: str, title: str, when: datetime, feed_id: int) -> Article:
    text = f"{title}. The harbour authority reported record container volumes this quarter."
    return Article(
        url=f"https://news.test/{key}",
        title=title,
        text=text,
        source="News Test",
        text_source=TextSource.PAGE,
        content_hash=content_hash(text),
        feed_id=feed_id,
        published=when,
        fetched_at=when,
    )


def mention(name: str) -> CompanyMention:
    return CompanyMention(name, count=2, first_offset=0, in_title=True, known=True, score=3.0)


async def rows(store: Store, query: Any) -> list[Any]:
    async with store.engine.connect() as conn:
        return list(await conn.execute(query))


async def add(store: Store, table: Any, values: list[dict[str, Any]]) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(insert(table), values)


async def test_old_articles_go_with_their_stories_and_mentions_and_search_forgets_them(
    store: Store,
) -> None:
    feed, _ = await store.add_feed("https://news.test/feed.xml")
    assert feed.id is not None
    stored = await store.store_articles(
        [
            (article("a1", "Zanzibar port strike begins", OLD, feed.id), "e-a1"),
            (article("a2", "Zanzibar port strike spreads", OLD, feed.id), "e-a2"),
            (article("a3", "Quillfeather merger announced", OLD, feed.id), "e-a3"),
            (article("r1", "Quillfeather merger approved", RECENT, feed.id), "e-r1"),
            (article("r2", "Harbour volumes hit a record", RECENT, feed.id), "e-r2"),
        ]
    )
    a1, a2, a3, r1, r2 = (a.id for a in stored)
    assert a1 and a2 and a3 and r1 and r2
    index = NewsIndex(store)
    strike = await index.new_story(a1)
    await index.set_story([a2], strike)
    merger = await index.new_story(a3)  # an old lead with a recent follow-up
    await index.set_story([r1], merger)
    await index.new_story(r2)
    await index.save_index(a3, [mention("Quillfeather")], merger)
    await index.save_index(r1, [mention("Quillfeather")], merger)
    assert [h.article.id for h in await index.search("zanzibar", now=NOW)] != []

    report = await cleanup(store, KEEP_90_DAYS, NOW)

    kept = await store.articles_since(None)
    assert {a.title for a in kept} == {
        "Quillfeather merger approved",
        "Harbour volumes hit a record",
    }
    assert (report.articles, report.stories, report.article_companies) == (3, 1, 1)
    assert await index.story(strike) is None
    story = await index.story(merger)
    assert story is not None and [a.id for a in story.articles] == [r1]
    assert (await rows(store, select(stories.c.lead_article_id).where(stories.c.id == merger))) == [
        (r1,)
    ]
    (about,) = await index.company_stories("Quillfeather", now=NOW)
    assert [a.id for a in about.articles] == [r1]
    # The full-text index follows: no hit is a deleted article, and the recent ones are found.
    assert await index.search("zanzibar strike", now=NOW) == []
    if store.dialect == "sqlite":  # the FTS5 index itself holds no deleted article
        stale = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'zanzibar'"
        assert await rows(store, text(stale)) == [(0,)]
    found = {h.article.id for h in await index.search("quillfeather harbour", now=NOW)}
    assert found == {r1, r2}
    assert await store.count("entries") == 5 and report.entries_unlinked == 3


async def test_entries_outlive_their_articles_so_a_repoll_adds_nothing(
    store: Store, site: NewsSite
) -> None:
    items = [(f"g{i}", site.url(f"/kept/{i}.html"), f"Kept story {i}") for i in range(3)]
    # Answered in full every time (no 304), so the second poll reads every entry again.
    site.routes["/kept.xml"] = lambda _headers: Response(
        200, rss(items), {"Content-Type": RSS}, conditional=False
    )
    await store.add_feed(site.url("/kept.xml"))
    settings = Settings(store={"url": "sqlite://"})
    async with Fetcher(user_agent="newsbot-test", timeout=3.0) as fetcher:
        first = await Poller(store, fetcher, settings.ingest, clock=lambda: OLD).poll_due()
        assert first.new == 3
        report = await cleanup(store, settings.store.retention_days, NOW)
        assert report.articles == 3 and await store.count("articles") == 0
        for feed in await store.list_feeds():
            await store.make_due(feed.id)
        again = await Poller(store, fetcher, settings.ingest, clock=lambda: NOW).poll_due()
    assert (again.new, again.feeds[0].known) == (0, 3)
    assert await store.count("articles") == 0 and await store.count("entries") == 3
    assert await rows(store, select(entries.c.article_id)) == [(None,)] * 3


async def test_digests_go_but_each_chats_latest_and_any_still_sending_stay(store: Store) -> None:
    daily = await store.ensure_chat("telegram", "1", timezone="UTC", digest_time="08:00")
    paused = await store.ensure_chat("slack", "C1", timezone="UTC", digest_time="08:00")
    stuck = await store.ensure_chat("telegram", "2", timezone="UTC", digest_time="08:00")
    days = [OLD - timedelta(days=2), OLD - timedelta(days=1), OLD]
    for chat in (daily, paused, stuck):
        for start, end in pairwise(days):
            await store.record_digest(chat, start, end, 1)
    await store.record_digest(daily, OLD, RECENT, 1)  # the daily chat got one yesterday too
    async with store.engine.connect() as conn:
        ids = {
            (chat, end): id_
            for id_, chat, end in await conn.execute(
                select(digests.c.id, digests.c.chat_id, digests.c.window_end)
            )
        }
    # created_at is when the test ran: date them by their windows.
    async with store.engine.begin() as conn:
        for (_, end), id_ in ids.items():
            await conn.execute(digests.update().where(digests.c.id == id_).values(created_at=end))

    def part(chat: int, end: datetime, index: int, state: str) -> dict[str, Any]:
        return {
            "digest_id": ids[(chat, end)],
            "chat_id": chat,
            "idempotency_key": f"{chat}:{end:%F}:{index}",
            "part_index": index,
            "body": "digest text",
            "state": state,
            "attempts": 1,
            "updated_at": end,
        }

    await add(
        store,
        deliveries,
        [
            part(daily, days[1], 0, "sent"),
            part(daily, days[1], 1, "failed"),
            part(daily, RECENT, 0, "sent"),
            part(stuck, days[1], 0, "sent"),  # an older part of the same digest went out...
            part(stuck, days[1], 1, "pending"),  # ...but this one is still waiting its turn
        ],
    )
    ends = {c: await store.last_digest_end(c) for c in (daily, paused, stuck)}

    report = await cleanup(store, KEEP_90_DAYS, NOW)

    left = {(c, e) for c, e in await rows(store, select(digests.c.chat_id, digests.c.window_end))}
    assert left == {(daily, RECENT), (paused, OLD), (stuck, days[1]), (stuck, OLD)}
    assert {c: await store.last_digest_end(c) for c in (daily, paused, stuck)} == ends
    states = await rows(store, select(deliveries.c.chat_id, deliveries.c.state))
    assert sorted(states) == sorted([(daily, "sent"), (stuck, "sent"), (stuck, "pending")])
    assert (report.digests, report.deliveries) == (3, 2)


async def test_sent_stories_cached_summaries_and_token_counts_go_by_age(store: Store) -> None:
    chat = await store.ensure_chat("telegram", "1", timezone="UTC", digest_time="08:00")
    await add(
        store,
        digest_stories,
        [
            {"chat_id": chat, "story_id": 1, "sources": "A", "last_article_id": 1, "sent_at": OLD},
            {"chat_id": chat, "story_id": 2, "sources": "A", "last_article_id": 2, "sent_at": NOW},
        ],
    )
    await add(
        store,
        summaries,
        [
            {"content_hash": h, "model": "m", "prompt_version": "1", "body": "{}", "created_at": t}
            for h, t in (("old", OLD), ("new", RECENT))
        ],
    )
    await add(
        store, llm_usage, [{"day": OLD.date(), "tokens": 5}, {"day": NOW.date(), "tokens": 7}]
    )

    report = await cleanup(store, KEEP_90_DAYS, NOW)

    assert await rows(store, select(digest_stories.c.story_id)) == [(2,)]
    assert await rows(store, select(summaries.c.content_hash)) == [("new",)]
    assert await rows(store, select(llm_usage.c.tokens)) == [(7,)]
    assert (report.digest_stories, report.summaries, report.llm_usage) == (1, 1, 1)


async def test_large_cleanups_run_in_batches_and_log_one_line(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(retention, "BATCH", 4)
    feed, _ = await store.add_feed("https://news.test/feed.xml")
    assert feed.id is not None
    await store.store_articles(
        [(article(f"o{i}", f"Old story {i}", OLD, feed.id), f"o{i}") for i in range(10)]
        + [(article("r", "Recent story", RECENT, feed.id), "r")]
    )
    with caplog.at_level(logging.INFO, logger="newsbot.retention"):
        report = await cleanup(store, KEEP_90_DAYS, NOW)
    assert report.articles == 10 and await store.count("articles") == 1
    (line,) = [r for r in caplog.records if r.name == "newsbot.retention"]
    assert (line.articles, line.retention_days) == (10, 90)  # type: ignore[attr-defined]


async def test_retention_0_keeps_everything(store: Store) -> None:
    feed, _ = await store.add_feed("https://news.test/feed.xml")
    assert feed.id is not None
    await store.store_articles([(article("o", "Old story", OLD, feed.id), "o")])
    report = await cleanup(store, 0, NOW)
    assert report.cutoff is None and report.deleted == 0 and await store.count("articles") == 1


def test_retention_shorter_than_a_week_is_refused(tmp_path: Any) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text("[store]\nretention_days = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[store\] retention_days: expected 0 .* at least 7"):
        load_settings(path)
