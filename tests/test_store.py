"""The store on SQLite and PostgreSQL: migrations, feeds, articles once, digest windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.models import Article, TextSource
from bot.store import Store
from bot.store.chats import ChatStore
from bot.store.news import NewsIndex


def article(url: str | None, feed_id: int | None, title: str = "T", **extra: object) -> Article:
    return Article(
        url=url,
        title=title,
        text=f"Text of {title}.",
        source="Wire",
        feed_id=feed_id,
        text_source=TextSource.PAGE,
        content_hash=f"hash-{title}",
        **extra,  # type: ignore[arg-type]
    )


async def test_migrations_are_applied_once_and_reopening_keeps_data(store_url: str) -> None:
    first = await Store.open(store_url)
    await first.add_feed("https://a.example/feed")
    await first.close()
    again = await Store.open(store_url)
    try:
        assert [f.url for f in await again.list_feeds()] == ["https://a.example/feed"]
    finally:
        await again.close()


async def test_feeds_add_list_remove(store: Store) -> None:
    feed, new = await store.add_feed("https://a.example/feed", "A")
    same, again = await store.add_feed("https://a.example/feed")
    assert new and not again and same.id == feed.id and same.title == "A"
    await store.add_feed("https://b.example/feed")
    assert [f.url for f in await store.list_feeds()] == [
        "https://a.example/feed",
        "https://b.example/feed",
    ]
    assert await store.remove_feed("https://a.example/feed")
    assert not await store.remove_feed("https://a.example/feed")
    assert [f.url for f in await store.list_feeds()] == ["https://b.example/feed"]


async def test_feed_health_and_due_feeds(store: Store) -> None:
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    feed, _ = await store.add_feed("https://a.example/feed")
    assert [f.id for f in await store.due_feeds(now)] == [feed.id]
    await store.feed_failed(feed.id, "HTTP 500", now=now, next_check=now + timedelta(hours=1))
    await store.feed_failed(feed.id, "HTTP 502", now=now, next_check=now + timedelta(hours=2))
    assert await store.due_feeds(now) == []
    assert [f.id for f in await store.due_feeds(now + timedelta(hours=3))] == [feed.id]
    (failed,) = await store.list_feeds()
    assert (failed.error_count, failed.last_error, failed.active) == (2, "HTTP 502", True)
    assert failed.next_check_at == now + timedelta(hours=2)
    failed.etag = '"v2"'
    await store.feed_succeeded(failed, now=now, next_check=now + timedelta(minutes=30))
    (healthy,) = await store.list_feeds()
    assert (healthy.error_count, healthy.etag, healthy.last_success_at) == (0, '"v2"', now)
    assert healthy.last_error == "HTTP 502"  # the last error stays visible


async def test_an_article_is_stored_once(store: Store) -> None:
    feed, _ = await store.add_feed("https://a.example/feed")
    other, _ = await store.add_feed("https://a.example/other-feed")
    assert await store.add_article(article("https://a.example/1", feed.id), "k1")
    assert not await store.add_article(article("https://a.example/1", feed.id), "k1")
    # The same page reached through a second feed is the same article.
    assert not await store.add_article(article("https://a.example/1", other.id), "x9")
    assert await store.count("articles") == 1
    assert await store.seen_entry_keys(feed.id, ["k1", "k2"]) == {"k1"}
    assert await store.seen_entry_keys(other.id, ["x9"]) == {"x9"}


async def test_articles_without_url_are_kept_apart(store: Store) -> None:
    feed, _ = await store.add_feed("https://a.example/feed")
    assert await store.add_article(article(None, feed.id, "A"), "h:1")
    assert await store.add_article(article(None, feed.id, "B"), "h:2")
    assert await store.count("articles") == 2


async def test_article_fields_round_trip_with_aware_times(store: Store) -> None:
    feed, _ = await store.add_feed("https://a.example/feed")
    published = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    stored = article(
        "https://a.example/9",
        feed.id,
        "Ünïcode “quotes” 华为",
        author="Dr. Ada Li",
        published=published,
        language="en",
    )
    await store.add_article(stored, "k")
    (back,) = await store.articles_since(None)
    assert back.title == "Ünïcode “quotes” 华为"
    assert back.published == published and back.published.tzinfo is not None
    assert back.fetched_at is not None and back.fetched_at.tzinfo is not None
    assert (back.author, back.language, back.text_source) == ("Dr. Ada Li", "en", TextSource.PAGE)


async def test_removing_a_feed_keeps_its_articles(store: Store) -> None:
    feed, _ = await store.add_feed("https://a.example/feed")
    await store.add_article(article("https://a.example/1", feed.id), "k1")
    await store.remove_feed(feed.url)
    assert await store.count("articles") == 1


async def test_digest_windows(store: Store) -> None:
    chat = await store.ensure_chat("console", "console", timezone="UTC", digest_time="08:00")
    assert chat == await store.ensure_chat(
        "console", "console", timezone="UTC", digest_time="09:00"
    )
    assert await store.last_digest_end(chat) is None
    feed, _ = await store.add_feed("https://a.example/feed")
    t0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    await store.add_article(
        article("https://a.example/1", feed.id, "old", fetched_at=t0 - timedelta(hours=1)), "k1"
    )
    await store.add_article(
        article("https://a.example/2", feed.id, "new", fetched_at=t0 + timedelta(hours=1)), "k2"
    )
    await store.record_digest(chat, None, t0, 1)
    assert await store.last_digest_end(chat) == t0
    since = await store.articles_since(t0, until=t0 + timedelta(hours=2))
    assert [a.title for a in since] == ["new"]


def assert_utc(*stamps: datetime | None) -> None:
    for stamp in stamps:
        assert stamp is not None and stamp.tzinfo is not None, stamp
        assert stamp.utcoffset() == timedelta(0), stamp


async def test_every_time_the_store_returns_is_aware_utc(store: Store) -> None:
    """Naive times (taken as UTC) and times in other zones go in; what any reader gets back
    is aware and in UTC, on SQLite (which keeps no zone) as on PostgreSQL, so no caller has
    to repair a time from the store."""
    naive = datetime(2026, 11, 25, 8, 0)
    berlin = datetime(2026, 11, 25, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    instant = naive.replace(tzinfo=UTC)
    feed, _ = await store.add_feed("https://a.example/feed")
    await store.feed_succeeded(feed, now=naive, next_check=berlin)
    [listed] = await store.list_feeds()
    assert_utc(listed.last_success_at, listed.next_check_at)
    assert listed.last_success_at == listed.next_check_at == instant

    written = article("https://a.example/1", feed.id, published=naive, fetched_at=berlin)
    [stored] = await store.store_articles([(written, "k1")])
    [read] = await store.articles_since(None)
    for back in (stored, read):
        assert_utc(back.published, back.fetched_at)
        assert back.published == back.fetched_at == instant
    assert stored.id is not None
    story_id = await NewsIndex(store).new_story(stored.id)
    [window] = await ChatStore(store).window_stories(None, instant + timedelta(hours=1))
    story = await NewsIndex(store).story(story_id)
    assert story is not None
    for back in (window.lead, story.lead):
        assert_utc(back.published, back.fetched_at)

    chat, _ = await ChatStore(store).ensure("test", "room", timezone="UTC", digest_time="08:00")
    assert_utc(chat.schedule_since)
    await store.record_digest(chat.id, naive, berlin + timedelta(hours=1), 1)
    end = await store.last_digest_end(chat.id)
    assert_utc(end)
    assert end == instant + timedelta(hours=1)
