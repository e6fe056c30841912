"""The HTTP client against the loopback news site: validators, caps, redirects, errors."""

from __future__ import annotations

import time

import pytest

from bot.ingest.http.fetch import (
    Fetcher,
    FetchError,
    TooLarge,
    TooManyRedirects,
    parse_max_age,
    parse_retry_after,
)
from tests.fakes.newssite import NewsSite


def fetcher(**overrides: object) -> Fetcher:
    options: dict = {"user_agent": "newsbot-test/1.0", "timeout": 2.0, "max_bytes": 10_000_000}
    options.update(overrides)
    return Fetcher(**options)


async def test_conditional_get_returns_304_with_no_body(site: NewsSite) -> None:
    async with fetcher() as client:
        first = await client.fetch(site.url("/good/feed.xml"))
        assert first.status == 200 and b"First story" in first.body
        assert first.etag and first.last_modified
        again = await client.fetch(site.url("/good/feed.xml"), etag=first.etag)
        by_date = await client.fetch(site.url("/good/feed.xml"), last_modified=first.last_modified)
    assert again.not_modified and again.body == b""
    assert by_date.not_modified


async def test_user_agent_is_honest(site: NewsSite) -> None:
    seen = {}

    def record(headers):  # type: ignore[no-untyped-def]
        seen.update(headers)
        from tests.fakes.loopback import Response

        return Response(200, b"ok", {"Content-Type": "text/plain"})

    site.routes["/ua"] = record
    async with fetcher() as client:
        await client.fetch(site.url("/ua"))
    assert seen["User-Agent"] == "newsbot-test/1.0"


async def test_streamed_body_over_the_cap_is_refused_early(site: NewsSite) -> None:
    async with fetcher(max_bytes=1_000_000) as client:
        started = time.monotonic()
        with pytest.raises(TooLarge, match="1,000,000 byte cap"):
            await client.fetch(site.url("/broken/huge.xml"))
    assert time.monotonic() - started < 2


async def test_declared_length_over_the_cap_is_refused_before_reading(site: NewsSite) -> None:
    from tests.fakes.loopback import static

    site.routes["/big"] = static(b"x" * 2_000_000, "text/plain")
    async with fetcher(max_bytes=1_000_000) as client:
        with pytest.raises(TooLarge, match="2,000,000 bytes exceeds"):
            await client.fetch(site.url("/big"))


async def test_gzip_bomb_is_capped_on_decoded_bytes(site: NewsSite) -> None:
    async with fetcher(max_bytes=5_000_000) as client:
        with pytest.raises(TooLarge):
            await client.fetch(site.url("/broken/bomb.xml"))


async def test_redirects_are_followed_to_the_final_url(site: NewsSite) -> None:
    async with fetcher() as client:
        result = await client.fetch(site.url("/moved/feed.xml"))
    assert result.url == site.url("/good/feed.xml")
    assert b"First story" in result.body


async def test_redirect_cap_and_loop(site: NewsSite) -> None:
    async with fetcher(max_redirects=5) as client:
        with pytest.raises(TooManyRedirects, match="more than 5 redirects"):
            await client.fetch(site.url("/chain/1"))
        with pytest.raises(TooManyRedirects, match="redirect loop"):
            await client.fetch(site.url("/broken/loop-a.xml"))
    async with fetcher(max_redirects=9) as client:
        assert (await client.fetch(site.url("/chain/1"))).status == 200


async def test_slow_answer_times_out(site: NewsSite) -> None:
    async with fetcher(timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 0\.5s"):
            await client.fetch(site.url("/broken/slow.xml"))
    assert time.monotonic() - started < 2


async def test_http_errors_carry_status_and_retry_after(site: NewsSite) -> None:
    async with fetcher() as client:
        with pytest.raises(FetchError, match="HTTP 404") as missing:
            await client.fetch(site.url("/broken/404.xml"))
        with pytest.raises(FetchError, match="HTTP 503") as busy:
            await client.fetch(site.url("/broken/503.xml"))
    assert missing.value.status == 404 and missing.value.retry_after is None
    assert busy.value.status == 503 and busy.value.retry_after == 7200


async def test_refused_connection_is_a_fetch_error() -> None:
    async with fetcher() as client:
        with pytest.raises(FetchError, match="network error"):
            await client.fetch("http://127.0.0.1:9/feed.xml")


async def test_per_host_limit_serialises_requests(site: NewsSite) -> None:
    import asyncio
    import threading

    from tests.fakes.loopback import Response

    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def tracked(_headers):  # type: ignore[no-untyped-def]
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return Response(200, b"ok", {"Content-Type": "text/plain"})

    site.routes["/tracked"] = tracked
    async with fetcher(per_host=2) as client:
        await asyncio.gather(*(client.fetch(site.url("/tracked")) for _ in range(6)))
    assert state["peak"] == 2


def test_header_parsing() -> None:
    assert parse_max_age("public, max-age=600") == 600
    assert parse_max_age("no-cache") is None
    assert parse_max_age('max-age="60", s-maxage=120') == 120
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert parse_retry_after("soon") is None
