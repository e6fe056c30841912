"""The one HTTP client of newsbot: conditional GET, caps, redirects, per-host limits.

Every feed and page newsbot reads goes through :class:`Fetcher`.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC
from types import TracebackType

import httpx

from bot.ingest.http.decode import BoundedDecoder, DecodeError, Overflow
from bot.ingest.http.urls import host_of, web_url

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_REDIRECTS = {301, 302, 303, 307, 308}

UrlGuard = Callable[[str], Awaitable[None]]


class FetchError(Exception):
    """A fetch that failed; the message is fit for a log line and a feed's health."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class TooLarge(FetchError):
    """The body is larger than the cap."""


class TooManyRedirects(FetchError):
    """More redirects than allowed, or a redirect loop."""


@dataclass(slots=True)
class FetchResult:
    """A response that was read in full (or a 304)."""

    url: str  # after redirects
    status: int
    body: bytes
    headers: httpx.Headers
    elapsed: float

    @property
    def not_modified(self) -> bool:
        """The server said our copy is current (304): nothing to parse."""
        return self.status == 304

    @property
    def etag(self) -> str | None:
        """The validator to send as If-None-Match next time."""
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        """The validator to send as If-Modified-Since next time."""
        return self.headers.get("last-modified")

    @property
    def max_age(self) -> int | None:
        """Cache-Control max-age (or s-maxage) in seconds, when the server set one."""
        return parse_max_age(self.headers.get("cache-control", ""))

    @property
    def content_type(self) -> str:
        """The media type, without parameters, lower-cased."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_max_age(value: str) -> int | None:
    """The max-age of a Cache-Control header, or None."""
    ages = []
    for directive in value.split(","):
        name, _, arg = directive.strip().partition("=")
        if name.lower() in ("max-age", "s-maxage") and arg.strip().strip('"').isdigit():
            ages.append(int(arg.strip().strip('"')))
    return max(ages) if ages else None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))  # delta-seconds (some APIs send fractions)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class _WhatwgRedirects(httpx.AsyncBaseTransport):
    """Gives httpx a redirect's Location as the one URL parser reads it: httpx parses it
    before the Fetcher sees the response and would fail on ``http://0177.0.0.1/``, which
    the guard must see as the address it is (127.0.0.1) to refuse it for that."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request; canonicalise the Location of a redirect."""
        response = await self._inner.handle_async_request(request)
        location = response.headers.get("location")
        if location is not None and response.status_code in _REDIRECTS:
            canonical = web_url(location, base=str(request.url))
            if canonical is not None:
                response.headers["location"] = canonical
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


class Fetcher:
    """Async HTTP GET with every safeguard newsbot needs; use as an async context manager.

    ``timeout`` bounds each wait (connecting, the next bytes of a response); ``deadline`` bounds
    a whole request (every redirect hop, headers and body), so a server that trickles bytes just
    fast enough to beat ``timeout`` is still cut off. Time spent queued for one of the host's
    ``per_host`` slots does not count against the deadline.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 20.0,
        deadline: float = 60.0,
        max_bytes: int = 10_000_000,
        max_redirects: int = 5,
        per_host: int = 2,
        url_guard: UrlGuard | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.per_host = per_host
        self.url_guard = url_guard
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=_WhatwgRedirects(transport or httpx.AsyncHTTPTransport(trust_env=False)),
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        """GET a URL, following redirects, within the size, time and redirect caps.

        Raises FetchError (with status and retry_after when the server gave them).
        """
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.deadline) as limit:
                return await self._follow(url, headers, started, limit)
        except TimeoutError:
            raise FetchError(
                f"timed out: no complete response within the {self.deadline:g}s request deadline"
            ) from None
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"network error: {type(exc).__name__}: {exc}") from None
        except httpx.InvalidURL as exc:  # not an HTTPError; a URL web_url let through
            raise FetchError(f"not a valid web address: {exc}") from None

    async def _follow(
        self, url: str, headers: dict[str, str], started: float, limit: asyncio.Timeout
    ) -> FetchResult:
        seen = {url}
        for _hop in range(self.max_redirects + 1):
            if self.url_guard is not None:
                await self.url_guard(url)
            # httpx is given the one parser's reading of the URL, the one the guard vetted.
            canonical = web_url(url)
            if canonical is None:
                raise FetchError("not a valid http(s) address")
            url = canonical
            async with (
                self._turn_at_host(url, limit),
                self._client.stream("GET", url, headers=headers) as r,
            ):
                if r.status_code in _REDIRECTS and "location" in r.headers:
                    url = web_url(r.headers["location"], base=url) or r.headers["location"]
                    if url in seen:
                        raise TooManyRedirects(f"redirect loop at {url}")
                    seen.add(url)
                    continue
                if r.status_code == 304:
                    return FetchResult(url, 304, b"", r.headers, time.monotonic() - started)
                if r.status_code >= 400:
                    raise FetchError(
                        f"HTTP {r.status_code} {r.reason_phrase}".strip(),
                        status=r.status_code,
                        retry_after=parse_retry_after(r.headers.get("retry-after")),
                    )
                body = await self._read_capped(r)
                return FetchResult(url, r.status_code, body, r.headers, time.monotonic() - started)
        raise TooManyRedirects(f"more than {self.max_redirects} redirects")

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(f"body of {int(declared):,} bytes exceeds the {self.max_bytes:,} cap")
        if response.is_stream_consumed:  # built from bytes in memory (a transport in tests)
            if len(response.content) > self.max_bytes:
                raise TooLarge(f"body exceeds the {self.max_bytes:,} byte cap")
            return response.content
        try:
            decoder = BoundedDecoder(response.headers.get("content-encoding", ""), self.max_bytes)
        except DecodeError as exc:
            raise FetchError(str(exc)) from None
        chunks: list[bytes] = []
        try:
            # Raw bytes, decoded here in bounded steps: the cap also stops compression bombs.
            async for raw in response.aiter_raw(16384):
                chunks.extend(decoder.feed(raw))
        except Overflow:
            raise TooLarge(f"body exceeds the {self.max_bytes:,} byte cap") from None
        except DecodeError as exc:
            raise FetchError(str(exc)) from None
        return b"".join(chunks)

    @asynccontextmanager
    async def _turn_at_host(self, url: str, limit: asyncio.Timeout) -> AsyncIterator[None]:
        """Hold one of the host's slots; the deadline stands still while queued for it."""
        loop = asyncio.get_running_loop()
        when = limit.when()
        left = max(0.0, when - loop.time()) if when is not None else None
        limit.reschedule(None)
        async with self._host_slot(url):
            limit.reschedule(None if left is None else loop.time() + left)
            yield

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = host_of(url)
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.per_host)
        return slot
