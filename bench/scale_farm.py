"""The loopback news farm of bench/scale.py, in a process of its own.

Every one of the 20 loopback hosts (127.0.1.1 …, so per-host politeness does not serialise the
farm) serves every path; a feed's URL picks its host. Two kinds of feed:

- ``/feed/N.xml``: ``ARTICLES`` articles, each a page ``/a/N/K.html`` (the ingest run);
- ``/round/N.xml``: no article in its first version; after ``changed.set()`` the feeds whose
  number is a multiple of ``CHANGE_EVERY`` carry one (their second version), and the others
  still answer 304 to the validators of their first version (the 304 round).

Feeds send ETag and Last-Modified and honour If-None-Match and If-Modified-Since as a web
server does (an ETag that matches wins; without one, a date no older than the document's).
The farm counts its answers by kind in shared counters, so the bench can check that the round
really was answered 304.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
from dataclasses import dataclass
from multiprocessing import Array, Event
from typing import Any

from aiohttp import web

HOSTS = [f"127.0.1.{n}" for n in range(1, 21)]
PORT = 18931
ARTICLES = 10
CHANGE_EVERY = 10  # 1 round feed in 10 changed: 90 % answer 304
COVERAGE = 4  # feeds in a group cover the same stories, as outlets covering the same news
# Words every article may use, whatever its story.
VOCABULARY = """
    market chip supplier factory quarter revenue profit battery vehicle network cloud server
    bank rate inflation merger deal regulator court ruling launch phone satellite airline
    fuel price shipping port harbor union strike wage energy grid solar wind storage retail
    store online sales forecast investor shares bond yield export import tariff minister
"""
COMMON = VOCABULARY.split()
_ONSETS, _VOWELS = "bdfgklmnprstvz", "aeiou"
# When each version of a round feed was published (Last-Modified).
VERSION_DATES = {1: "Sat, 05 Dec 2026 12:00:00 GMT", 2: "Sun, 06 Dec 2026 12:00:00 GMT"}
COUNTERS = ("feed 200", "feed 304", "round 200", "round 304", "page 200")


def host_of_feed(number: int) -> str:
    """The loopback host serving feed ``number``."""
    return HOSTS[number % len(HOSTS)]


def feed_url(number: int, kind: str = "feed") -> str:
    """The URL of feed ``number`` (``kind``: feed or round)."""
    return f"http://{host_of_feed(number)}:{PORT}/{kind}/{number}.xml"


def story_of(feed: int, n: int) -> int:
    """The story article ``n`` of feed ``feed`` reports: the feeds of a group of COVERAGE (on
    different hosts) report the same ARTICLES stories."""
    return (feed // COVERAGE) * ARTICLES + n


def _story_words(story: int) -> list[str]:
    """A story's own words: made-up names and terms (three syllables), as a real story has
    its people, places and companies. Without them every article shared every word, and the
    clusterer put all 20,000 in one story."""
    rng = random.Random(f"story {story}")
    return ["".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(3)) for _ in range(40)]


def title(feed: int, n: int) -> str:
    """An article's headline: its story's first words, and which article it is."""
    words = _story_words(story_of(feed, n))
    return f"{' '.join(words[:4]).capitalize()} {feed}-{n}"


def article_text(feed: int, n: int) -> str:
    """Six paragraphs mixing the story's words and common ones, the same every time for (feed,
    n): articles of one story are alike, not copies."""
    own = _story_words(story_of(feed, n))
    rng = random.Random(feed * 1000 + n)
    paragraphs = []
    for _ in range(6):
        words = [rng.choice(own) if rng.random() < 0.5 else rng.choice(COMMON) for _ in range(60)]
        paragraphs.append(f"{title(feed, n)}: " + " ".join(words) + ".")
    return "\n".join(paragraphs)


def page(feed: int, n: int) -> str:
    """An article page: navigation and footer around the article."""
    body = "".join(f"<p>{p}</p>" for p in article_text(feed, n).split("\n"))
    return (
        f"<!doctype html><html><head><title>{title(feed, n)}</title></head><body>"
        f"<nav>Home News Markets</nav><article><h1>{title(feed, n)}</h1>{body}</article>"
        "<footer>Farm news</footer></body></html>"
    )


def feed_document(host: str, number: int, items: range) -> str:
    """An RSS document of feed ``number`` with the articles numbered ``items``."""
    entries = "".join(
        f"<item><title>{title(number, n)}</title>"
        f"<link>http://{host}:{PORT}/a/{number}/{n}.html</link><guid>{number}-{n}</guid>"
        f"<pubDate>Sun, 06 Dec 2026 0{n % 10}:00:00 GMT</pubDate>"
        f"<description>{title(number, n)} in brief.</description></item>"
        for n in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Farm feed '
        f"{number}</title><link>http://{host}:{PORT}/</link>{entries}</channel></rss>"
    )


def round_etag(number: int, version: int) -> str:
    """The ETag of version ``version`` of round feed ``number``."""
    return f'"r{number}-v{version}"'


def not_modified(request: web.Request, etag: str, last_modified: str) -> bool:
    """Whether the client's validators match the document (RFC 9110 §13.2.2: If-None-Match
    first; If-Modified-Since only without it)."""
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        return etag in [t.strip() for t in tags.split(",")] or tags.strip() == "*"
    since = request.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        asked = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return email.utils.parsedate_to_datetime(last_modified) <= asked


@dataclass
class Farm:
    """Handles to the farm process: ready and stop events, the round switch, the counters."""

    ready: Any
    stop: Any
    changed: Any
    counts: Any  # multiprocessing Array, one per COUNTERS

    @classmethod
    def make(cls) -> Farm:
        """New events and counters (pass the Farm to ``serve`` in a Process)."""
        return cls(Event(), Event(), Event(), Array("q", len(COUNTERS)))

    def count(self, what: str) -> int:
        """How many answers of a kind (one of COUNTERS) the farm gave."""
        return int(self.counts[COUNTERS.index(what)])

    def reset(self) -> None:
        """Counters back to 0 and every round feed back to its first version."""
        with self.counts.get_lock():
            for i in range(len(COUNTERS)):
                self.counts[i] = 0
        self.changed.clear()


def serve(farm: Farm) -> None:
    """The farm's process: serves until ``farm.stop`` is set."""

    def tally(what: str) -> None:
        with farm.counts.get_lock():
            farm.counts[COUNTERS.index(what)] += 1

    def validated(request: web.Request, kind: str, text: str, etag: str, date: str) -> web.Response:
        headers = {"ETag": etag, "Last-Modified": date}
        if not_modified(request, etag, date):
            tally(f"{kind} 304")
            return web.Response(status=304, headers=headers)
        tally(f"{kind} 200")
        return web.Response(text=text, content_type="application/rss+xml", headers=headers)

    async def feed_route(request: web.Request) -> web.Response:
        number = int(request.match_info["n"])
        host = request.host.split(":")[0]
        text = feed_document(host, number, range(ARTICLES))
        return validated(request, "feed", text, f'"f{number}"', VERSION_DATES[1])

    async def round_route(request: web.Request) -> web.Response:
        number = int(request.match_info["n"])
        version = 2 if farm.changed.is_set() and number % CHANGE_EVERY == 0 else 1
        host = request.host.split(":")[0]
        text = feed_document(host, number, range(version - 1))
        return validated(
            request, "round", text, round_etag(number, version), VERSION_DATES[version]
        )

    async def page_route(request: web.Request) -> web.Response:
        f, n = int(request.match_info["f"]), int(request.match_info["n"])
        tally("page 200")
        return web.Response(text=page(f, n), content_type="text/html")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", feed_route)
        app.router.add_get("/round/{n}.xml", round_route)
        app.router.add_get("/a/{f}/{n}.html", page_route)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for host in HOSTS:
            await web.TCPSite(runner, host, PORT).start()
        farm.ready.set()
        while not farm.stop.is_set():
            await asyncio.sleep(0.2)
        await runner.cleanup()

    asyncio.run(main())
