"""The news site tests poll: the bundled sample site plus every way a feed can go wrong."""

from __future__ import annotations

import functools
import gzip
import time
from collections.abc import Iterator, Mapping

from bot.demo.server import sample_site_routes
from bot.store import utcnow
from tests.fakes.loopback import LoopbackServer, Response, Route, static

RSS = "application/rss+xml; charset=utf-8"


def rss(items: list[tuple[str, str, str]], title: str = "Test feed") -> bytes:
    """An RSS 2.0 document of (guid, link, title) items."""
    body = "".join(
        f"<item><guid isPermaLink='false'>{g}</guid><link>{link}</link><title>{t}</title>"
        f"<description>Feed summary of {t}.</description>"
        "<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>"
        for g, link, t in items
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title>"
        f"<link>http://example.invalid/</link>{body}</channel></rss>"
    ).encode()


def _slow(seconds: float) -> Route:
    def route(_headers: Mapping[str, str]) -> Response:
        time.sleep(seconds)
        return Response(200, rss([]), {"Content-Type": RSS})

    return route


def _endless(total: int) -> Route:
    def chunks() -> Iterator[bytes]:
        block = b"<!-- padding -->" * 4096
        for _ in range(total // len(block)):
            yield block

    return lambda _headers: Response(200, chunks(), {"Content-Type": RSS}, conditional=False)


def trickling(body: bytes, content_type: str, every: float = 0.2) -> Route:
    """A route that sends its body one byte every ``every`` seconds: never idle long enough for
    a read timeout, so only a deadline on the whole response stops it."""

    def chunks() -> Iterator[bytes]:
        for i in range(len(body)):
            time.sleep(every)
            yield body[i : i + 1]

    return lambda _headers: Response(200, chunks(), {"Content-Type": content_type})


@functools.cache
def _bomb_body() -> bytes:
    return gzip.compress(b"\0" * 60_000_000, compresslevel=9)


def _bomb(_headers: Mapping[str, str]) -> Response:
    # 60 MB of zeros in about 60 kB: only a cap on decoded bytes stops it.
    return Response(200, _bomb_body(), {"Content-Type": RSS, "Content-Encoding": "gzip"})


def _redirect(target: str, status: int = 302) -> Route:
    return lambda _headers: Response(status, b"", {"Location": target}, conditional=False)


def _status(code: int, **headers: str) -> Route:
    return lambda _headers: Response(code, b"error page", headers, conditional=False)


class NewsSite(LoopbackServer):
    """Sample site on 127.0.0.1 with /broken/* routes for every failure the poller must survive."""

    def __init__(self) -> None:
        super().__init__()
        base = self.base_url
        self.routes.update(sample_site_routes(base, utcnow()))
        self.routes.update(
            {
                "/broken/slow.xml": _slow(5.0),
                # 1,000 bytes at 5 a second: 200 s, however short the read timeout.
                "/broken/trickle.xml": trickling(rss([]).ljust(1000), RSS),
                "/broken/404.xml": _status(404),
                "/broken/500.xml": _status(500),
                "/broken/503.xml": _status(503, **{"Retry-After": "7200"}),
                "/broken/html.xml": static(
                    b"<!doctype html><html><body><h1>Welcome</h1></body></html>", "text/html"
                ),
                "/broken/invalid.xml": static(b"\x00\x01 <rss><<<< not xml", "text/xml"),
                "/broken/huge.xml": _endless(50_000_000),
                "/broken/bomb.xml": _bomb,
                "/broken/loop-a.xml": _redirect(base + "/broken/loop-b.xml"),
                "/broken/loop-b.xml": _redirect("/broken/loop-a.xml"),
                "/moved/feed.xml": _redirect(base + "/hop/1", 301),
                "/hop/1": _redirect(base + "/hop/2"),
                "/hop/2": _redirect(base + "/good/feed.xml", 307),
                "/good/feed.xml": static(
                    rss([("g1", base + "/good/a.html?utm_source=rss", "First story")]),
                    RSS,
                    **{"Last-Modified": "Mon, 23 Nov 2026 08:00:00 GMT"},
                ),
                "/good/a.html": static(b"<html><body><p>tiny</p></body></html>", "text/html"),
            }
        )
        for hop in range(1, 10):  # a chain of 9 redirects, more than the default cap of 5
            self.routes[f"/chain/{hop}"] = _redirect(f"/chain/{hop + 1}")
        self.routes["/chain/10"] = self.routes["/good/feed.xml"]

    def url(self, path: str) -> str:
        """Absolute URL of a path on this site."""
        return self.base_url + path
