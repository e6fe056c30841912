"""/feeds in the core: the list for chat admins, add and remove for the bot's owners, feeds
fetched from a site on 127.0.0.1 (allowlisted, as an operator would for an intranet); and the
feed links of HTML pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.chat.command import ChatContext, parse_command
from bot.chat.core import CommandCore
from bot.config import Settings
from bot.config_sections import BotSettings
from bot.ingest.discover import feed_links
from bot.ingest.http.guard import MESSAGES
from bot.polling import poll_once
from bot.reply import Reply
from bot.store import Store
from tests.chatbot import BOT_NAME, make_core
from tests.fakes.loopback import static
from tests.fakes.newssite import RSS, NewsSite, rss

OWNER = ChatContext("telegram", "-100", "42", is_admin=True)
ADMIN = ChatContext("telegram", "-100", "5", is_admin=True)
MEMBER = ChatContext("telegram", "-100", "6")
HTML = "text/html; charset=utf-8"
MAX_BYTES = 20_000


def page(head: str) -> bytes:
    return f"<!doctype html><html><head>{head}</head><body><p>Hello</p></body></html>".encode()


@pytest.fixture
async def core(store: Store, settings: Settings, site: NewsSite) -> AsyncIterator[CommandCore]:
    """A core owned by telegram:42 that may fetch the loopback site, which serves a feed, a
    blog page naming its feed, pages naming none or a broken one, and a feed too large."""
    base = site.base_url
    items = [(f"n{i}", f"{base}/news/{i}.html", f"Story {i}") for i in range(3)]
    site.routes.update(
        {
            "/news/feed.xml": static(rss(items, "Example News"), RSS),
            "/blog/": static(
                page(
                    '<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">'
                    '<link rel="alternate" type="application/rss+xml" href="feed.xml">'
                ),
                HTML,
            ),
            "/blog/feed.xml": static(rss(items[:2], "Loopback Blog"), RSS),
            "/plain.html": static(page("<title>No feed here</title>"), HTML),
            "/liar.html": static(
                page('<link rel="alternate" type="application/rss+xml" href="/plain.html">'), HTML
            ),
            "/inside.html": static(
                page(
                    '<link rel="alternate" type="application/atom+xml" '
                    'href="http://169.254.169.254/latest/feed">'
                ),
                HTML,
            ),
            "/big.xml": static(rss(items, "Big").ljust(MAX_BYTES * 2), RSS),
        }
    )
    settings = settings.model_copy(
        update={
            "bot": BotSettings(owners=["telegram:42"]),
            "ingest": settings.ingest.model_copy(update={"max_body_bytes": MAX_BYTES}),
        }
    )
    made = make_core(store, settings, allow=["127.0.0.0/8"])
    try:
        yield made
    finally:
        await made.aclose()


async def say(core: CommandCore, text: str, context: ChatContext = OWNER) -> Reply:
    command = parse_command(text, bot_name=BOT_NAME)
    assert command is not None
    return await core.handle(command, context)


async def urls(store: Store) -> list[str]:
    return [f.url for f in await store.list_feeds()]


# /feeds add ----------------------------------------------------------------------------------


async def test_an_owner_adds_a_feed_that_is_polled_next(
    core: CommandCore, store: Store, site: NewsSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="newsbot.chat")
    # A feed's query may select the feed (?rss, ?format=atom): it is stored whole.
    reply = await say(core, f"/feeds add {site.url('/news/feed.xml?rss')}#top")
    assert reply.ok, reply.plain()
    assert reply.plain().startswith("Added Example News (3 entries).")
    assert "within a few minutes" in reply.plain()
    [feed] = await store.list_feeds()
    assert (feed.url, feed.title) == (site.url("/news/feed.xml?rss"), "Example News")
    assert [f.url for f in await store.due_feeds(datetime.now().astimezone())] == [feed.url]
    [record] = [r for r in caplog.records if r.getMessage() == "feed added from chat"]
    assert [getattr(record, k) for k in ("user", "chat", "feed_id")] == ["42", "-100", feed.id]

    fetches = site.hits.get("/news/feed.xml", 0)
    again = await say(core, f"/feeds add {site.url('/news/feed.xml?rss')}")
    assert again.plain().startswith("Already reading Example News.")
    assert site.hits.get("/news/feed.xml", 0) == fetches  # known: not fetched again
    assert len(await store.list_feeds()) == 1


async def test_a_page_that_names_its_feed_adds_the_feed(
    core: CommandCore, store: Store, site: NewsSite
) -> None:
    reply = await say(core, f"/feeds add {site.url('/blog/')}")
    assert reply.ok and reply.plain().startswith("Added Loopback Blog (2 entries)."), reply.plain()
    assert await urls(store) == [site.url("/blog/feed.xml")]
    again = await say(core, f"/feeds add {site.url('/blog/')}")
    assert again.plain().startswith("Already reading Loopback Blog.")
    assert len(await store.list_feeds()) == 1


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/plain.html", "That page is not a feed and names none."),
        ("/liar.html", "/plain.html as its feed, but that is not a feed I can read."),
        ("/broken/404.xml", "HTTP 404"),
        ("/big.xml", "too much to be a feed"),
        ("/inside.html", MESSAGES["private"]),  # the feed a page names is vetted too
    ],
)
async def test_what_is_no_feed_is_refused_and_nothing_is_stored(
    core: CommandCore, store: Store, site: NewsSite, path: str, expected: str
) -> None:
    reply = await say(core, f"/feeds add {site.url(path)}")
    assert not reply.ok and expected in reply.plain(), reply.plain()
    assert await store.list_feeds() == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://169.254.169.254/latest/meta-data/", MESSAGES["private"]),
        ("http://10.1.2.3/feed", MESSAGES["private"]),
        ("http://[::1]/feed", MESSAGES["private"]),
        ("ftp://example.com/feed.xml", "http:// and https://"),
        ("not-a-url", "http:// and https://"),
        ("http://127.0.0.1:1/feed", "couldn't fetch"),  # nothing listens on port 1
    ],
)
async def test_addresses_that_cannot_be_fetched_get_a_clear_answer(
    core: CommandCore, store: Store, url: str, expected: str
) -> None:
    reply = await say(core, f"/feeds add {url}")
    assert not reply.ok and expected in reply.plain(), reply.plain()
    assert "/feeds add https://" in reply.plain() or "try again" in reply.plain()
    assert await store.list_feeds() == []


async def test_only_owners_change_the_feeds_and_are_told_how_to_become_one(
    core: CommandCore, store: Store, site: NewsSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="newsbot.chat")
    await store.add_feed(site.url("/good/feed.xml"))
    for text in (f"/feeds add {site.url('/news/feed.xml')}", "/feeds remove 1"):
        reply = await say(core, text, ADMIN)  # a chat admin is no owner
        assert not reply.ok
        out = reply.plain()
        assert "Only the bot's owners" in out and "shared by every chat" in out
        assert 'owners = ["telegram:5"]' in out and "newsbot feeds add" in out
    assert await urls(store) == [site.url("/good/feed.xml")]
    assert site.hits.get("/news/feed.xml", 0) == 0
    refusals = [r for r in caplog.records if r.getMessage() == "feeds change refused: not an owner"]
    assert [getattr(r, "user", None) for r in refusals] == ["5", "5"]


# /feeds list and remove ----------------------------------------------------------------------


async def test_admins_see_the_feeds_with_their_health(
    core: CommandCore, store: Store, site: NewsSite, settings: Settings
) -> None:
    for path in ("/good/feed.xml", "/broken/404.xml"):
        await store.add_feed(site.url(path))
    await poll_once(store, settings)
    await store.add_feed(site.url("/news/feed.xml"))

    reply = await say(core, "/feeds", ADMIN)
    out = reply.plain()
    assert reply.ok and "I read 3 feeds" in out, out
    assert "1. Test feed — ok, last fetched just now" in out
    assert (
        f"2. {site.url('/broken/404.xml')} — failing (1 failed poll in a row): HTTP 404 Not Found; "
        "never fetched"
    ) in out
    assert f"3. {site.url('/news/feed.xml')} — new: waiting for its first poll" in out
    assert "Only the bot's owners can add or remove feeds." in out
    assert "/feeds add URL" in (await say(core, "/feeds")).plain()  # the owner is told how

    console = ChatContext("console", "console", "console", is_admin=True)
    assert (await say(core, "/feeds", console)).ok


async def test_members_are_pointed_to_sources(core: CommandCore, store: Store) -> None:
    reply = await say(core, "/feeds", MEMBER)
    assert not reply.ok
    assert "Only chat administrators" in reply.plain() and "/sources" in reply.plain()


async def test_an_owner_removes_a_feed_by_number_or_address(
    core: CommandCore, store: Store, site: NewsSite
) -> None:
    for path in ("/good/feed.xml", "/news/feed.xml", "/blog/feed.xml"):
        await store.add_feed(site.url(path), title=path.split("/")[1].capitalize())

    removed = await say(core, "/feeds remove 2")
    assert removed.ok and removed.plain().startswith("Removed News; its stored stories stay.")
    assert await urls(store) == [site.url("/good/feed.xml"), site.url("/blog/feed.xml")]

    # The address as a reader might paste it: a dot after the host, a tracking parameter.
    pasted = site.url("/blog/feed.xml?utm_medium=social").replace("127.0.0.1", "127.0.0.1.")
    by_url = await say(core, f"/feeds remove {pasted}")
    assert by_url.ok and "Removed Blog" in by_url.plain(), by_url.plain()
    assert await urls(store) == [site.url("/good/feed.xml")]

    for unknown in ("7", site.url("/blog/feed.xml"), "#0"):
        reply = await say(core, f"/feeds remove {unknown}")
        assert not reply.ok and "I don't read a feed" in reply.plain() and "/feeds" in reply.plain()
    assert await urls(store) == [site.url("/good/feed.xml")]


async def test_feeds_is_in_help_and_explains_itself(core: CommandCore) -> None:
    assert "/feeds [add URL | remove NUMBER]" in (await say(core, "/help")).plain()
    assert "/feeds" in (await say(core, "/help", MEMBER)).plain()
    assert "For example: /feeds add https://" in (await say(core, "/feeds add")).plain()
    assert "/feeds remove NUMBER" in (await say(core, "/feeds frobnicate")).plain()


# feed links of HTML pages (no I/O) -----------------------------------------------------------


def test_feed_links_are_found_in_page_order_and_resolved() -> None:
    html = page(
        '<link rel="stylesheet" href="/style.css">'
        '<link rel="alternate" type="text/html" hreflang="de" href="/de/">'
        '<link REL="Alternate" TYPE="application/atom+xml; charset=utf-8" href="atom.xml">'
        '<link rel="alternate feed" type="application/rss+xml" href="/rss?utm_source=x">'
        '<link rel="alternate" type="application/feed+json" href="//cdn.example.com/f.json">'
        '<link rel="alternate" type="application/rss+xml" href="atom.xml#dup">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:void(0)">'
        '<link rel="alternate" type="application/rss+xml">'
    )
    assert feed_links(html, "https://example.com/blog/post") == [
        "https://example.com/blog/atom.xml",
        "https://example.com/rss?utm_source=x",
        "https://cdn.example.com/f.json",
    ]


def test_a_base_tag_moves_relative_feed_links() -> None:
    html = page(
        '<base href="https://static.example.com/site/">'
        '<link rel="alternate" type="application/rss+xml" href="feed.xml">'
    )
    assert feed_links(html, "https://example.com/") == ["https://static.example.com/site/feed.xml"]


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"\x00\x01\xff garbage", page("<title>none</title>"), rss([("g", "l", "t")])],
)
def test_pages_without_feed_links_have_none(body: bytes) -> None:
    assert feed_links(body, "https://example.com/") == []
