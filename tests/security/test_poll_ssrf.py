"""SSRF through feeds: the poller reads feeds and their article links through the guard.

The feed site is the loopback news site on 127.0.0.1, which the settings allow with
``[ingest] allow_private = ["127.0.0.1"]``. The "private network" is a second loopback server on
127.0.0.2, which nothing allows: it must never be asked for anything. Host names resolve
through the guard's resolver hook, never through real DNS.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.chat.commands.feeds import health
from bot.cli import main
from bot.config import Settings
from bot.ingest.poll import Poller
from bot.logs import ConsoleFormatter, JsonFormatter
from bot.models import TextSource
from bot.polling import poll_fetcher
from bot.store import Store
from tests.chatbot import article_page
from tests.fakes.loopback import LoopbackServer, Response, static
from tests.fakes.newssite import RSS, NewsSite, rss

INSIDE = "127.0.0.2"
SECRET = "INSIDE-ONLY credentials table"
REFUSED_LINK = "article link refused by the SSRF guard, using the feed's text"
REFUSED_FEED = "feed refused by the SSRF guard"
GOOD_TEXT = "The council approved the new tram line after a long debate. " * 12


@pytest.fixture
def inside() -> Iterator[LoopbackServer]:
    """A server on 127.0.0.2 playing a host inside the private network, full of secrets."""
    secret = static(article_page("Internal admin", [SECRET * 20]), "text/html")
    routes = {path: secret for path in ("/a", "/b", "/c", "/feed.xml")}
    try:
        server = LoopbackServer(routes, host=INSIDE)
    except OSError as exc:  # 127.0.0.0/8 is all loopback on Linux, not on every system
        if exc.errno == errno.EADDRNOTAVAIL:
            pytest.skip(f"cannot listen on {INSIDE}")
        raise
    with server:
        yield server


class Resolver:
    """The guard's resolver hook: a fixed table, every question recorded."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [self.table[host]]


def _redirect(target: str) -> object:
    return lambda _headers: Response(302, b"", {"Location": target}, conditional=False)


def _port(server: LoopbackServer) -> str:
    return server.base_url.rsplit(":", 1)[1]


def _lines(records: list[logging.LogRecord]) -> str:
    return "\n".join(
        f(r) for r in records for f in (JsonFormatter().format, ConsoleFormatter().format)
    )


async def test_article_links_into_the_private_network_are_never_fetched(
    store: Store,
    settings: Settings,
    site: NewsSite,
    inside: LoopbackServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port, inside_port = _port(site), _port(inside)
    dns = Resolver({"news.example": "127.0.0.1", "intranet.example": INSIDE})
    good = f"http://news.example:{port}/ssrf/good.html"
    links = {
        "literal": f"http://{INSIDE}:{inside_port}/a?token=tok-literal-123",
        "named": f"http://intranet.example:{inside_port}/b?token=tok-named-456",
        "redirect": f"http://news.example:{port}/ssrf/out?token=tok-redirect-789",
        "metadata": "http://169.254.169.254/latest/meta-data/iam/",
        "good": good,
    }
    site.routes["/ssrf/out"] = _redirect(f"http://{INSIDE}:{inside_port}/c")  # type: ignore[assignment]
    site.routes["/ssrf/good.html"] = static(article_page("Tram line", [GOOD_TEXT]), "text/html")
    items = [(name, link, f"Story {name}") for name, link in links.items()]
    site.routes["/ssrf/feed.xml"] = static(rss(items, "Hostile feed"), RSS)
    feed, _ = await store.add_feed(site.url("/ssrf/feed.xml"))

    caplog.set_level(logging.INFO, logger="newsbot")
    async with poll_fetcher(settings, resolver=dns) as fetcher:
        poller = Poller(store, fetcher, settings.ingest)
        report = await poller.poll_due()
        await store.make_due(feed.id)
        again = await poller.poll_due()

    assert inside.hits == {}  # nothing reached the private network, by any route
    assert site.hits["/ssrf/out"] == 1 and site.hits["/ssrf/good.html"] == 1
    assert "intranet.example" in dns.asked  # refused on its answer, not for want of one
    assert report.failed == [] and report.new == 5
    stored = {a.title: a for a in await store.articles_since(None)}
    assert stored["Story good"].text_source is TextSource.PAGE
    assert "tram line" in stored["Story good"].text
    for name in ("literal", "named", "redirect", "metadata"):
        article = stored[f"Story {name}"]  # nothing lost: the entry, with the feed's own text
        assert article.text_source is TextSource.FEED
        assert article.text == f"Feed summary of Story {name}."
    assert all("INSIDE-ONLY" not in a.text for a in stored.values())

    refused = [r for r in caplog.records if r.getMessage() == REFUSED_LINK]
    assert sorted((r.feed_id, r.host, r.reason) for r in refused) == [  # type: ignore[attr-defined]
        (feed.id, INSIDE, "private"),  # the literal address
        (feed.id, INSIDE, "private"),  # the redirect's second hop
        (feed.id, "169.254.169.254", "private"),
        (feed.id, "intranet.example", "private"),
    ]
    assert all(r.levelno == logging.WARNING for r in refused)
    assert not [r for r in caplog.records if r.getMessage() == "url refused"]  # logged once
    lines = _lines(caplog.records)
    for secret in ("tok-literal", "tok-named", "tok-redirect", "meta-data"):
        assert secret not in lines
    # Refused entries were stored, so they are seen: the next poll neither refetches nor logs.
    assert again.new == 0 and again.failed == []
    assert len([r for r in caplog.records if r.getMessage() == REFUSED_LINK]) == 4


async def test_a_feed_that_points_inside_fails_with_a_clear_error(
    store: Store,
    settings: Settings,
    site: NewsSite,
    inside: LoopbackServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dns = Resolver({"intranet.example": INSIDE})
    site.routes["/ssrf/moved.xml"] = _redirect("http://10.0.0.5/admin/feed.xml")  # type: ignore[assignment]
    urls = [
        f"http://{INSIDE}:{_port(inside)}/feed.xml?key=feed-key-123",
        f"http://intranet.example:{_port(inside)}/feed.xml",
        site.url("/ssrf/moved.xml"),
        site.url("/good/feed.xml"),
    ]
    for url in urls:
        await store.add_feed(url)

    caplog.set_level(logging.INFO, logger="newsbot")
    async with poll_fetcher(settings, resolver=dns) as fetcher:
        report = await Poller(store, fetcher, settings.ingest).poll_due()

    assert inside.hits == {}
    assert len(report.failed) == 3 and report.new == 1
    by_url = {f.url: f for f in await store.list_feeds()}
    allow = "points inside a private network; allow it with [ingest] allow_private"
    assert [by_url[url].last_error for url in urls] == [
        f"refused: {INSIDE} {allow}",
        f"refused: intranet.example ({INSIDE}) {allow}",
        f"refused: 10.0.0.5 {allow}",
        None,
    ]
    now = datetime.now(UTC)
    assert health(by_url[urls[0]], now) == (  # the chat's /feeds
        f"failing (1 failed poll in a row): refused: {INSIDE} {allow}; never fetched"
    )
    refused = [r for r in caplog.records if r.getMessage() == REFUSED_FEED]
    assert sorted((r.feed_id, r.host) for r in refused) == [  # type: ignore[attr-defined]
        (by_url[urls[0]].id, INSIDE),
        (by_url[urls[1]].id, "intranet.example"),
        (by_url[urls[2]].id, "10.0.0.5"),
    ]
    lines = _lines(caplog.records)
    assert "feed-key-123" not in lines and "/admin" not in lines


def test_operator_sees_the_refusal_in_poll_and_feeds_list(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    site: NewsSite,
    inside: LoopbackServer,
) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n'
        f'[ingest]\nfeeds_file = "{tmp_path}/none.opml"\nallow_private = ["127.0.0.1"]\n'
    )
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
    private = f"http://{INSIDE}:{_port(inside)}/feed.xml"
    assert main(["feeds", "add", private]) == 2  # refused at the door ...
    assert capsys.readouterr().err == (
        f"newsbot feeds add: refused: {INSIDE} points inside a private network; "
        "allow it with [ingest] allow_private\n"
    )
    assert main(["feeds", "add", site.url("/good/feed.xml")]) == 0

    async def store_it() -> None:  # ... and by the poller, for a feed stored before the door
        store = await Store.open(f"sqlite:///{tmp_path}/n.db")
        await store.add_feed(private)
        await store.close()

    asyncio.run(store_it())
    capsys.readouterr()

    assert main(["poll"]) == 0
    err = capsys.readouterr().err
    message = (
        f"refused: {INSIDE} points inside a private network; allow it with [ingest] allow_private"
    )
    assert "1 new article, 1 failed" in err
    assert f"✗ {private}: {message}" in err
    assert "feed refused by the SSRF guard" in err and f"host={INSIDE}" in err
    assert main(["feeds", "list"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    start, end = header.index("last error"), header.index("next check")
    assert message in " ".join(" ".join(row[start:end] for row in rows).split())
    assert inside.hits == {}
