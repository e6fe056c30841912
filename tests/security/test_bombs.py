"""Decompression and entity-expansion bombs served on 127.0.0.1: refused, memory bounded."""

from __future__ import annotations

import gzip
import time
import tracemalloc

import pytest

from bot.config import Settings
from bot.ingest.feeds import defuse, parse_feed
from bot.ingest.http.fetch import Fetcher
from bot.ingest.poll import Poller
from bot.store import Store
from tests.fakes.loopback import static
from tests.fakes.newssite import RSS, NewsSite

CAP = 10_000_000  # the default max_body_bytes

# Nine levels of ten: fully expanded, &lol9; is a billion "lol"s (3 GB).
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + ']><rss version="2.0"><channel><title>&lol9;</title>'
    "<item><guid>1</guid><title>Entry &lol9;</title><link>http://x.invalid/1</link></item>"
    "</channel></rss>"
).encode()
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<rss version="2.0"><channel><title>&xxe;</title><item><guid>1</guid>'
    b"<title>&xxe;</title></item></channel></rss>"
)
PLAIN_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY id "tag:example.com,">]>'
    b'<rss version="2.0"><channel><title>t</title><item><guid>&id;1</guid>'
    b"<title>Fine</title></item></channel></rss>"
)


def peak_during(work) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(peak traced memory growth in MB, seconds) while running work()."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        work()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / 1e6, time.monotonic() - started


def test_billion_laughs_is_not_expanded() -> None:
    parsed = {}
    peak, seconds = peak_during(lambda: parsed.update(f=parse_feed(LAUGHS, "http://x.invalid/")))
    feed = parsed["f"]
    assert "lol" * 100 not in (feed.title or "") + feed.entries[0].title
    assert peak < 2 and seconds < 1  # bound: 2 MB and 1 s for an 800-byte document


def test_external_entities_are_never_read() -> None:
    feed = parse_feed(EXTERNAL, "http://x.invalid/")
    assert "root:" not in (feed.title or "") + feed.entries[0].title


def test_plain_entities_still_work() -> None:
    assert defuse(PLAIN_ENTITY) == PLAIN_ENTITY
    assert parse_feed(PLAIN_ENTITY, "http://x.invalid/").entries[0].key == "tag:example.com,1"


@pytest.mark.parametrize("path", ["/bomb/gzip.xml", "/bomb/laughs.xml"])
async def test_bombs_served_over_http_are_refused_with_bounded_memory(
    path: str, store: Store, settings: Settings, site: NewsSite
) -> None:
    bomb = gzip.compress(b" " * 200_000_000, compresslevel=9)  # 200 MB in about 200 kB
    site.routes["/bomb/gzip.xml"] = static(bomb, RSS, **{"Content-Encoding": "gzip"})
    site.routes["/bomb/laughs.xml"] = static(LAUGHS, RSS)
    await store.add_feed(site.url(path))
    poller = Poller(store, Fetcher(user_agent="t", max_bytes=CAP), settings.ingest)
    tracemalloc.start()
    try:
        report = await poller.poll_due()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await poller.fetcher.aclose()
    # Bound: three times the body cap, whatever the bomb would expand to.
    assert peak < 3 * CAP, f"peak {peak / 1e6:.1f} MB"
    (feed,) = await store.list_feeds()
    if path == "/bomb/gzip.xml":
        assert "cap" in (report.feeds[0].error or "") and feed.error_count == 1
    else:
        assert report.feeds[0].error is None and await store.count("articles") <= 1
