"""Time caps on polling: each request's deadline, each feed's budget, each host's per round.

Several hosts are named (slow.test, quick.test), but every request goes to the loopback site.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.config_sections import IngestSettings
from bot.ingest.http.fetch import Fetcher, FetchError
from bot.ingest.poll import FeedReport, Poller
from bot.models import TextSource
from bot.store import Store
from tests.fakes.loopback import static
from tests.fakes.newssite import RSS, NewsSite, rss, trickling

HTML = "text/html; charset=utf-8"
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class ToLoopback(httpx.AsyncBaseTransport):
    """Sends every request to 127.0.0.1 whatever host its URL names (the Host header stays)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host="127.0.0.1"),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self._inner.aclose()


def page(title: str) -> bytes:
    """An article page with enough text to be used instead of the feed's summary."""
    para = (
        f"<p>{title}: the harbour authority said on Tuesday that container volumes rose again, "
        "and shipping lines expect the trend to hold through the winter season.</p>"
    )
    return (
        f"<!doctype html><html><head><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{para * 4}</article></body></html>"
    ).encode()


class Sites:
    """Feeds and pages on named hosts, all served by the loopback news site."""

    def __init__(self, site: NewsSite) -> None:
        self.site = site
        self.port = site.base_url.rsplit(":", 1)[1]

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def feed(self, host: str, name: str, fast: int, slow: int = 0) -> str:
        """A feed with `fast` pages that answer at once and `slow` pages that trickle."""
        items = []
        for i in range(fast + slow):
            path = f"/{name}/{i}.html"
            items.append((f"{name}-{i}", self.url(host, path), f"{name} story {i}"))
            body = page(f"{name} story {i}")
            self.site.routes[path] = static(body, HTML) if i < fast else trickling(body, HTML)
        self.site.routes[f"/{name}.xml"] = static(rss(items, title=name), RSS)
        return self.url(host, f"/{name}.xml")

    def speed_up(self, name: str) -> None:
        """Every page of the feed answers at once from now on."""
        for path in [p for p in self.site.routes if p.startswith(f"/{name}/")]:
            title = f"{name} story {path.rsplit('/', 1)[1].removesuffix('.html')}"
            self.site.routes[path] = static(page(title), HTML)


def settings(**overrides: object) -> IngestSettings:
    values: dict = {
        "timeout_seconds": 2.0,
        "request_deadline_seconds": 30.0,
        "feed_time_budget_seconds": 30.0,
        "host_time_budget_seconds": 30.0,
        "per_host_concurrency": 8,
    }
    values.update(overrides)
    return IngestSettings(**values)


async def poll_round(store: Store, ingest: IngestSettings, now: datetime) -> dict[str, FeedReport]:
    """One round, as `newsbot run` polls: a fresh fetcher and poller; reports by feed URL."""
    async with Fetcher(
        user_agent="newsbot-test",
        timeout=ingest.timeout_seconds,
        deadline=ingest.request_deadline_seconds,
        per_host=ingest.per_host_concurrency,
        transport=ToLoopback(),
    ) as fetcher:
        report = await Poller(store, fetcher, ingest, clock=lambda: now).poll_due()
    return {f.url: f for f in report.feeds}


async def titles(store: Store) -> set[str]:
    return {a.title for a in await store.articles_since(None)}


async def test_a_trickling_response_is_cut_off_at_the_request_deadline(site: NewsSite) -> None:
    async with Fetcher(user_agent="newsbot-test", timeout=2.0, deadline=0.5) as client:
        with pytest.raises(FetchError, match=r"no complete response within the 0\.5s request"):
            await client.fetch(site.url("/broken/trickle.xml"))
        # The read timeout alone never fires: a byte comes every 0.2 s.
        assert (await client.fetch(site.url("/good/feed.xml"))).status == 200


async def test_a_trickling_feed_fails_at_the_deadline_and_the_round_goes_on(
    store: Store, site: NewsSite
) -> None:
    sites = Sites(site)
    await store.add_feed(site.url("/broken/trickle.xml"))
    good = sites.feed("quick.test", "quick", fast=2)
    await store.add_feed(good)
    reports = await poll_round(store, settings(request_deadline_seconds=0.5), T0)
    trickle = reports[site.url("/broken/trickle.xml")]
    assert trickle.error and "0.5s request deadline" in trickle.error
    assert reports[good].new == 2 and reports[good].error is None
    feeds = {f.url: f for f in await store.list_feeds()}
    assert feeds[site.url("/broken/trickle.xml")].error_count == 1
    assert "request deadline" in (feeds[site.url("/broken/trickle.xml")].last_error or "")


async def test_a_feed_slower_than_its_time_budget_fails_and_backs_off(
    store: Store, site: NewsSite
) -> None:
    await store.add_feed(site.url("/broken/trickle.xml"))
    reports = await poll_round(store, settings(feed_time_budget_seconds=0.5), T0)
    (report,) = reports.values()
    assert report.error and "0.5s time budget" in report.error and not report.deferred
    (feed,) = await store.list_feeds()
    assert feed.error_count == 1 and feed.next_check_at and feed.next_check_at > T0


async def test_a_feed_out_of_time_leaves_its_unread_entries_for_its_next_poll(
    store: Store, site: NewsSite, caplog: pytest.LogCaptureFixture
) -> None:
    sites = Sites(site)
    slow = sites.feed("slow.test", "slow", fast=3, slow=3)
    quick = sites.feed("quick.test", "quick", fast=1)
    await store.add_feed(slow)
    await store.add_feed(quick)
    with caplog.at_level(logging.WARNING, logger="newsbot.poll"):
        first = await poll_round(store, settings(feed_time_budget_seconds=1.0), T0)
    assert (first[slow].new, first[slow].left, first[slow].out_of_time) == (3, 3, "feed")
    assert first[slow].error is None and first[quick].new == 1
    assert await titles(store) == {f"slow story {i}" for i in range(3)} | {"quick story 0"}
    (line,) = [r for r in caplog.records if getattr(r, "budget", None) == "feed"]
    (feed,) = [f for f in await store.list_feeds() if f.url == slow]
    assert (line.feed_id, line.host, line.left) == (feed.id, "slow.test", 3)  # type: ignore[attr-defined]
    assert line.seconds >= 1.0  # type: ignore[attr-defined]
    assert feed.error_count == 0

    sites.speed_up("slow")
    second = await poll_round(store, settings(), T0 + timedelta(hours=2))
    assert (second[slow].new, second[slow].known, second[slow].left) == (3, 3, 0)
    assert second[quick].not_modified
    articles = await store.articles_since(None)
    assert {a.title for a in articles} == {f"slow story {i}" for i in range(6)} | {"quick story 0"}
    assert all(a.text_source is TextSource.PAGE for a in articles)


async def test_a_host_out_of_time_puts_off_its_other_feeds_and_other_hosts_go_on(
    store: Store, site: NewsSite, caplog: pytest.LogCaptureFixture
) -> None:
    sites = Sites(site)
    first_slow = sites.feed("slow.test", "slow1", fast=1, slow=2)
    second_slow = sites.feed("slow.test", "slow2", fast=1)
    quick = sites.feed("quick.test", "quick", fast=1)
    for url in (first_slow, second_slow, quick):
        await store.add_feed(url)
    # One feed at a time, in the order they were added.
    tight = settings(host_time_budget_seconds=1.0, concurrency=1)
    with caplog.at_level(logging.WARNING, logger="newsbot.poll"):
        first = await poll_round(store, tight, T0)
    assert (first[first_slow].new, first[first_slow].left) == (1, 2)
    assert first[first_slow].out_of_time == "host"
    assert first[second_slow].deferred and first[second_slow].out_of_time == "host"
    assert first[quick].new == 1 and first[quick].out_of_time is None
    feeds = {f.url: f for f in await store.list_feeds()}
    assert feeds[second_slow].next_check_at is None  # still due
    assert feeds[second_slow].error_count == 0 and feeds[second_slow].last_success_at is None
    (put_off,) = [r for r in caplog.records if hasattr(r, "feeds_put_off")]
    assert (put_off.host, put_off.feeds_put_off) == ("slow.test", 1)  # type: ignore[attr-defined]

    sites.speed_up("slow1")
    second = await poll_round(store, settings(), T0 + timedelta(hours=2))
    assert (second[first_slow].new, second[second_slow].new) == (2, 1)
    assert second[quick].not_modified
    assert await titles(store) == {
        "slow1 story 0",
        "slow1 story 1",
        "slow1 story 2",
        "slow2 story 0",
        "quick story 0",
    }


async def test_time_queued_for_a_busy_host_does_not_count_against_the_deadline(
    site: NewsSite,
) -> None:
    import asyncio
    import time

    from tests.fakes.loopback import Response

    def answer(_headers):  # type: ignore[no-untyped-def]
        time.sleep(0.2)
        return Response(200, b"ok", {"Content-Type": "text/plain"})

    site.routes["/busy"] = answer
    # One at a time: the fifth request waits 0.8 s for its turn, then takes 0.2 s.
    async with Fetcher(user_agent="newsbot-test", deadline=0.8, per_host=1) as client:
        results = await asyncio.gather(*(client.fetch(site.url("/busy")) for _ in range(5)))
    assert [r.body for r in results] == [b"ok"] * 5
