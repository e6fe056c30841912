"""Story times on the chat's own clock: "25 Nov, 15:32 CET" for a chat in Europe/Berlin, in
digests (asked for and scheduled), /company, /summary and /sources; and the formatter itself."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.chat.command import ChatContext, parse_command
from bot.chat.core import CommandCore
from bot.config import Settings
from bot.digest.views import local_time, when
from bot.models import Article, Story, TextSource
from bot.nlp.companies import CompanyMention
from bot.reply import Reply
from bot.store import Store, utcnow
from bot.store.chats import ChatStore
from bot.store.news import NewsIndex
from tests.chatbot import make_core

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
STAMP = datetime(2026, 11, 25, 14, 32, tzinfo=UTC)
_slugs = itertools.count(1)


def story_at(published: datetime | None, fetched: datetime | None = None) -> Story:
    article = Article(
        url="https://news.example/1",
        title="Dock strike ends",
        text="The dock strike ended on Monday.",
        source="Reuters",
        text_source=TextSource.PAGE,
        content_hash="hash",
        published=published,
        fetched_at=fetched,
    )
    return Story([article], id=1)


# --- the formatter, without I/O ----------------------------------------------------------------


def test_a_winter_time_in_berlin_is_an_hour_ahead_and_says_cet() -> None:
    assert when(story_at(STAMP), BERLIN, NOW) == "25 Nov, 15:32 CET"


def test_a_summer_time_in_berlin_is_two_hours_ahead_and_says_cest() -> None:
    summer = datetime(2026, 7, 1, 14, 32, tzinfo=UTC)
    assert when(story_at(summer), BERLIN, NOW) == "1 Jul, 16:32 CEST"


def test_kolkata_is_five_and_a_half_hours_ahead() -> None:
    assert when(story_at(STAMP), KOLKATA, NOW) == "25 Nov, 20:02 IST"


def test_a_zone_with_only_a_numeric_abbreviation_shows_the_bare_time() -> None:
    assert when(story_at(STAMP), ZoneInfo("Asia/Dubai"), NOW) == "25 Nov, 18:32"
    assert when(story_at(STAMP), ZoneInfo("America/Sao_Paulo"), NOW) == "25 Nov, 11:32"


def test_a_story_from_last_year_shows_the_year() -> None:
    last_year = datetime(2025, 11, 25, 14, 32, tzinfo=UTC)
    assert when(story_at(last_year), BERLIN, NOW) == "25 Nov 2025, 15:32 CET"


def test_the_current_year_is_the_one_on_the_chat_clock() -> None:
    new_year_in_berlin = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    morning = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    assert when(story_at(new_year_in_berlin), BERLIN, morning) == "1 Jan, 00:30 CET"
    assert when(story_at(new_year_in_berlin), ZoneInfo("UTC"), morning) == (
        "31 Dec 2026, 23:30 UTC"
    )


def test_a_story_with_no_time_shows_none_and_one_only_fetched_shows_that() -> None:
    assert when(story_at(None), BERLIN, NOW) == ""
    assert when(story_at(None, fetched=STAMP), BERLIN, NOW) == "25 Nov, 15:32 CET"
    assert local_time(None, BERLIN, NOW) == ""


# --- through the command core ------------------------------------------------------------------

ROOM = ChatContext("test", "room-berlin", "user-1", is_admin=True)
STRANGER = ChatContext("test", "room-never-seen", "user-2")


@pytest.fixture
async def core(store: Store, settings: Settings) -> AsyncIterator[CommandCore]:
    kolkata_default = settings.model_copy(
        update={"digest": settings.digest.model_copy(update={"default_timezone": "Asia/Kolkata"})}
    )
    made = make_core(store, kolkata_default)
    try:
        yield made
    finally:
        await made.aclose()


def winter_stamp() -> datetime:
    """14:32 UTC on 15 January of the current year on Berlin's clock: 15:32 CET there."""
    return datetime(utcnow().astimezone(BERLIN).year, 1, 15, 14, 32, tzinfo=UTC)


async def report(
    store: Store, title: str, source: str, published: datetime, story: int | None
) -> int:
    """Store an article about Huawei (fetched an hour ago); returns its story id."""
    feed, _ = await store.add_feed("https://news.example/feed.xml")
    slug = next(_slugs)
    article = Article(
        url=f"https://news.example/{slug}",
        title=title,
        text=f"{title}. Huawei said the details on Monday.",
        source=source,
        text_source=TextSource.PAGE,
        content_hash=f"hash-{slug}",
        feed_id=feed.id,
        published=published,
        fetched_at=utcnow() - timedelta(hours=1),
    )
    [stored] = await store.store_articles([(article, f"entry-{slug}")])
    assert stored.id is not None
    index = NewsIndex(store)
    story = story if story is not None else await index.new_story(stored.id)
    await index.save_index(stored.id, [CompanyMention("Huawei", 2, 0, True, True, 4.0)], story)
    return story


async def say(core: CommandCore, text: str, context: ChatContext = ROOM) -> Reply:
    command = parse_command(text)
    assert command is not None
    return await core.handle(command, context)


async def test_a_berlin_chat_reads_every_story_time_on_berlin_time(
    core: CommandCore, store: Store
) -> None:
    assert (await say(core, "/settings tz Europe/Berlin")).ok
    at = winter_stamp()
    story = await report(store, "Huawei opens a lab", "Reuters", at, None)
    await report(store, "Huawei lab opens its doors", "AP", at + timedelta(hours=1), story)

    digest = (await say(core, "/digest")).plain()
    assert "15 Jan, 15:32 CET" in digest and "UTC" not in digest and "14:32" not in digest

    company = (await say(core, "/company huawei")).plain()
    assert "15 Jan, 15:32 CET" in company and "UTC" not in company

    longer = (await say(core, "/summary 1")).plain()
    assert "15 Jan, 15:32 CET" in longer and "UTC" not in longer

    sources = (await say(core, "/sources 1")).plain()
    assert "Reuters: Huawei opens a lab · 15 Jan, 15:32 CET" in sources
    assert "AP: Huawei lab opens its doors · 15 Jan, 16:32 CET" in sources


async def test_a_scheduled_digest_uses_the_chat_zone(core: CommandCore, store: Store) -> None:
    chats = ChatStore(store)
    chat, _ = await chats.ensure("test", "room-berlin", timezone="UTC", digest_time="08:00")
    await chats.update_settings(chat.id, timezone="Europe/Berlin")
    chat = await chats.get("test", "room-berlin")
    assert chat is not None
    await report(store, "Huawei opens a lab", "Reuters", winter_stamp(), None)

    built = await core.digests.build(chat, None, utcnow(), title="Morning digest")
    assert built.reply is not None and "15 Jan, 15:32 CET" in built.reply.plain()


async def test_a_chat_never_registered_reads_the_default_zone_and_stays_unregistered(
    core: CommandCore, store: Store
) -> None:
    await report(store, "Huawei opens a lab", "Reuters", winter_stamp(), None)

    company = (await say(core, "/company huawei", STRANGER)).plain()
    assert "15 Jan, 20:02 IST" in company  # [digest] default_timezone = "Asia/Kolkata"
    assert await ChatStore(store).get("test", "room-never-seen") is None
