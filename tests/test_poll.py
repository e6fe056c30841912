"""Polling the loopback news site into the store: new articles once, broken feeds survived."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.config_sections import IngestSettings
from bot.demo.server import feed_urls
from bot.ingest.http.fetch import Fetcher
from bot.ingest.poll import Poller, next_check_after_error, next_check_after_success
from bot.models import TextSource
from bot.polling import poll_fetcher
from bot.store import Store, utcnow
from tests.fakes.loopback import Response, static
from tests.fakes.newssite import RSS, NewsSite, rss

BROKEN = [
    "/broken/slow.xml",
    "/broken/404.xml",
    "/broken/500.xml",
    "/broken/503.xml",
    "/broken/html.xml",
    "/broken/invalid.xml",
    "/broken/huge.xml",
    "/broken/loop-a.xml",
    "/broken/bomb.xml",
]


def poller(store: Store, settings: Settings, clock=utcnow, rng=None) -> tuple[Poller, Fetcher]:  # type: ignore[no-untyped-def]
    # The service's own fetcher, SSRF guard included: the settings allow the loopback site.
    fetcher = poll_fetcher(settings)
    return Poller(store, fetcher, settings.ingest, clock, rng), fetcher


async def test_sample_site_is_stored_once(store: Store, settings: Settings, site: NewsSite) -> None:
    for url in feed_urls(site.base_url):
        await store.add_feed(url)
    poll, fetcher = poller(store, settings)
    async with fetcher:
        first = await poll.poll_due()
        stored = await store.count("articles")
        for feed in await store.list_feeds():
            await store.make_due(feed.id)
        second = await poll.poll_due()
    assert first.failed == [] and first.new == stored >= 20
    assert second.new == 0 and await store.count("articles") == stored
    articles = await store.articles_since(None)
    assert len({a.url for a in articles}) == len(articles)
    assert all("utm_" not in (a.url or "") for a in articles)
    assert all(a.text_source is TextSource.PAGE for a in articles)
    # The text is the article, without the site around it.
    assert all(len(a.text) > 800 and "Advertisement" not in a.text for a in articles)
    assert all(a.published and a.published.tzinfo for a in articles)
    assert {a.source for a in articles} == {
        "The Circuit Ledger",
        "Harbor Business Wire",
        "Global Markets Daily",
    }
    assert any("AT&T <Beta>" in a.title for a in articles)


async def test_broken_feeds_are_recorded_and_the_others_still_polled(
    store: Store, settings: Settings, site: NewsSite
) -> None:
    # /broken/slow.xml takes 5 s: 3 s times it out, and leaves the bomb's bounded decoding time
    # to reach its cap on a busy machine.
    settings = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"timeout_seconds": 3.0})}
    )
    for path in BROKEN:
        await store.add_feed(site.url(path))
    good = feed_urls(site.base_url)[0]
    await store.add_feed(good)
    poll, fetcher = poller(store, settings)
    async with fetcher:
        report = await poll.poll_due()
        stored = await store.count("articles")
        assert stored > 0
        feeds = {f.url: f for f in await store.list_feeds()}
        errors = {path: feeds[site.url(path)].last_error for path in BROKEN}
        assert all(
            feeds[site.url(p)].error_count == 1 and feeds[site.url(p)].active for p in BROKEN
        )
        assert feeds[good].error_count == 0 and feeds[good].last_success_at
        assert len(report.failed) == len(BROKEN)
        # A second round: the failing feeds back off; nothing stored is lost.
        again = await poll.poll_due()
    assert again.feeds == []
    assert await store.count("articles") == stored
    assert "timed out" in errors["/broken/slow.xml"]
    assert "HTTP 404" in errors["/broken/404.xml"]
    assert "HTTP 500" in errors["/broken/500.xml"]
    assert "HTML page" in errors["/broken/html.xml"]
    assert "no RSS, Atom or JSON Feed" in errors["/broken/invalid.xml"]
    assert "cap" in errors["/broken/huge.xml"] and "cap" in errors["/broken/bomb.xml"]
    assert "redirect loop" in errors["/broken/loop-a.xml"]
    retry = feeds[site.url("/broken/503.xml")].next_check_at
    assert retry and retry - utcnow() > timedelta(minutes=110)  # Retry-After: 7200 honoured


async def test_a_feed_that_recovers_is_healthy_again(
    store: Store, settings: Settings, site: NewsSite
) -> None:
    await store.add_feed(site.url("/flaky.xml"))
    site.routes["/flaky.xml"] = site.routes["/broken/500.xml"]
    clock = [datetime(2026, 11, 25, 8, 0, tzinfo=UTC)]
    poll, fetcher = poller(store, settings, clock=lambda: clock[0])
    async with fetcher:
        await poll.poll_due()
        site.routes["/flaky.xml"] = site.routes["/good/feed.xml"]
        clock[0] += timedelta(hours=1)
        report = await poll.poll_due()
    (healthy,) = await store.list_feeds()
    assert report.new == 1 and healthy.error_count == 0 and healthy.title == "Test feed"


async def test_unmodified_feed_costs_no_parse_and_thin_pages_fall_back_to_feed_text(
    store: Store, settings: Settings, site: NewsSite
) -> None:
    await store.add_feed(site.url("/moved/feed.xml"))
    poll, fetcher = poller(store, settings)
    async with fetcher:
        await poll.poll_due()
        for feed in await store.list_feeds():
            await store.make_due(feed.id)
        report = await poll.poll_due()
    assert report.feeds[0].not_modified
    (article,) = await store.articles_since(None)
    assert article.text_source is TextSource.FEED
    assert article.text == "Feed summary of First story."
    assert article.url == site.url("/good/a.html")


def test_schedule_after_success_and_backoff_after_errors() -> None:
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    settings = IngestSettings(poll_interval_minutes=30, max_backoff_minutes=600)
    assert next_check_after_success(now, settings, ttl_minutes=None, max_age=None) == now + (
        timedelta(minutes=30)
    )
    assert next_check_after_success(now, settings, ttl_minutes=120, max_age=60) == now + (
        timedelta(minutes=120)
    )
    waits = [
        next_check_after_error(now, settings, errors=n, retry_after=None) - now for n in range(1, 8)
    ]
    assert [w.total_seconds() / 60 for w in waits] == [30, 60, 120, 240, 480, 600, 600]
    assert next_check_after_error(now, settings, errors=1, retry_after=3600) - now == timedelta(
        hours=1
    )


NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


async def test_feeds_polled_together_come_due_spread_out(
    store: Store, settings: Settings, site: NewsSite
) -> None:
    site.routes["/many.xml"] = static(rss([]), RSS)
    for n in range(200):
        await store.add_feed(site.url(f"/many.xml?feed={n}"))
    assert len(await store.due_feeds(NOW)) == 200  # a new feed is due at once
    ingest = settings.ingest.model_copy(update={"per_host_concurrency": 8})
    settings = settings.model_copy(update={"ingest": ingest})
    poll, fetcher = poller(store, settings, clock=lambda: NOW, rng=random.Random(8))
    async with fetcher:
        report = await poll.poll_due()
    assert len(report.feeds) == 200 and report.failed == []
    waits = sorted(f.next_check_at - NOW for f in await store.list_feeds() if f.next_check_at)
    assert len(waits) == 200
    # Every 30 minutes, moved by up to 3 minutes either way: over 6 minutes, not in one instant.
    assert timedelta(minutes=27) <= waits[0] and waits[-1] <= timedelta(minutes=33)
    assert waits[-1] - waits[0] > timedelta(minutes=5)
    assert max(Counter(int(w.total_seconds() // 60) for w in waits).values()) < 60
    assert 40 < len(await store.due_feeds(NOW + timedelta(minutes=30))) < 160


async def test_jitter_never_undercuts_a_retry_after(
    store: Store, settings: Settings, site: NewsSite
) -> None:
    site.routes["/busy.xml"] = lambda _headers: Response(
        503, b"busy", {"Retry-After": "600"}, conditional=False
    )
    for n in range(50):
        await store.add_feed(site.url(f"/busy.xml?feed={n}"))
    settings = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"poll_interval_minutes": 5})}
    )
    poll, fetcher = poller(store, settings, clock=lambda: NOW, rng=random.Random(3))
    async with fetcher:
        report = await poll.poll_due()
    assert len(report.failed) == 50
    waits = [f.next_check_at - NOW for f in await store.list_feeds() if f.next_check_at]
    assert len(waits) == 50 and min(waits) >= timedelta(seconds=600)
    assert max(waits) <= timedelta(seconds=660) and len(set(waits)) > 40


def test_jitter_keeps_what_the_server_asked_and_the_backoff_cap() -> None:
    settings = IngestSettings(poll_interval_minutes=30, max_backoff_minutes=600)
    rng = random.Random(5)
    for _ in range(500):
        after_error = [
            next_check_after_error(NOW, settings, errors=n, retry_after=None, rng=rng) - NOW
            for n in range(1, 15)
        ]
        assert all(w <= timedelta(minutes=600) for w in after_error)
        assert all(w >= timedelta(minutes=540) for w in after_error[5:])  # capped, jittered down
        assert next_check_after_error(
            NOW, settings, errors=1, retry_after=3600, rng=rng
        ) - NOW >= timedelta(hours=1)
        # A Retry-After beyond the cap waits exactly the cap.
        assert next_check_after_error(
            NOW, settings, errors=1, retry_after=10**6, rng=rng
        ) - NOW == timedelta(minutes=600)
        assert next_check_after_success(
            NOW, settings, ttl_minutes=None, max_age=7200, rng=rng
        ) - NOW >= timedelta(hours=2)
        assert next_check_after_success(
            NOW, settings, ttl_minutes=120, max_age=None, rng=rng
        ) - NOW >= timedelta(hours=2)
