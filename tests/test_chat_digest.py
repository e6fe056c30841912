"""A chat's digest over the store (SQLite and PostgreSQL): novelty against what the chat was
sent, sections per subscription, exclusions, silence on empty days, the top N."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.chat.command import ChatContext, parse_command
from bot.chat.core import CommandCore
from bot.config import Settings
from bot.models import Article, CompanyMention, SentStory, TextSource
from bot.reply import Buttons, Heading, Reply
from bot.store import Store, utcnow
from bot.store.chats import Chat, ChatStore, Subscription
from bot.store.news import NewsIndex
from bot.store.sent import record_sent, sent_stories
from tests.chatbot import make_core

ADMIN = ChatContext("test", "room-1", "user-1", is_admin=True)
_slugs = itertools.count(1)


class Newsroom:
    """Articles and stories put straight into the store, at chosen times."""

    def __init__(self, store: Store, feed_id: int) -> None:
        self.store = store
        self.feed_id = feed_id
        self.index = NewsIndex(store)

    async def report(
        self,
        title: str,
        source: str,
        at: datetime,
        *,
        story: int | None = None,
        text: str = "",
        companies: tuple[str, ...] = (),
    ) -> int:
        """Store an article (in a new story, or in ``story``); returns its story id."""
        slug = next(_slugs)
        body = text or f"{title}. The report gives the details of what happened on Monday."
        article = Article(
            url=f"https://news.example/{slug}",
            title=title,
            text=body,
            source=source,
            text_source=TextSource.PAGE,
            content_hash=f"hash-{slug}",
            feed_id=self.feed_id,
            published=at,
            fetched_at=at,
        )
        [stored] = await self.store.store_articles([(article, f"entry-{slug}")])
        assert stored.id is not None
        if story is None:
            story = await self.index.new_story(stored.id)
        mentions = [CompanyMention(c, 2, 0, c in title, True, 4.0) for c in companies]
        await self.index.save_index(stored.id, mentions, story)
        return story


@pytest.fixture
async def newsroom(store: Store) -> Newsroom:
    feed, _ = await store.add_feed("https://news.example/feed.xml")
    assert feed.id is not None
    return Newsroom(store, feed.id)


@pytest.fixture
async def core(store: Store, settings: Settings) -> AsyncIterator[CommandCore]:
    limited = settings.model_copy(
        update={"digest": settings.digest.model_copy(update={"max_stories": 3})}
    )
    made = make_core(store, limited)
    try:
        yield made
    finally:
        await made.aclose()


async def room(store: Store, *subs: Subscription) -> Chat:
    chats = ChatStore(store)
    chat, _ = await chats.ensure("test", "room-1", timezone="UTC", digest_time="08:00")
    for sub in subs:
        await chats.subscribe(chat.id, sub)
    return chat


async def say(core: CommandCore, text: str) -> Reply:
    command = parse_command(text)
    assert command is not None
    return await core.handle(command, ADMIN)


def headings(reply: Reply | None) -> list[str]:
    assert reply is not None
    return [b.text for b in reply.blocks if isinstance(b, Heading)]


async def test_a_story_sent_yesterday_comes_back_only_when_a_new_source_reports_it(
    core: CommandCore, store: Store, newsroom: Newsroom
) -> None:
    chat = await room(store)
    day1 = utcnow() - timedelta(days=2)
    day2, day3 = day1 + timedelta(days=1), day1 + timedelta(days=2)
    strike = await newsroom.report("Dock strike ends", "Reuters", day1 - timedelta(hours=2))

    first = await core.digests.build(chat, None, day1)
    assert first.reply is not None and "Dock strike ends" in first.reply.plain()
    assert "Update" not in first.reply.plain()
    await core.digests.record(chat, first)

    # The same outlet writes again: nothing the chat has not read.
    await newsroom.report(
        "Dockers back at work", "Reuters", day1 + timedelta(hours=3), story=strike
    )
    second = await core.digests.build(chat, day1, day2)
    assert second.reply is not None and second.story_count == 0
    assert "No new stories since your last digest" in second.reply.plain()
    await core.digests.record(chat, second)

    # Another outlet reports it: the story comes back, marked as an update.
    await newsroom.report(
        "Ports reopen after strike", "AP", day2 + timedelta(hours=1), story=strike
    )
    third = await core.digests.build(chat, day2, day3)
    assert third.reply is not None and third.story_count == 1
    text = third.reply.plain()
    assert "Dock strike ends" in text and "Update: new from AP" in text
    await core.digests.record(chat, third)

    remembered = await sent_stories(store, chat.id, [strike])
    assert set(remembered[strike].sources) == {"Reuters", "AP"}


async def test_sections_follow_the_subscriptions_and_exclusions_keep_stories_out(
    core: CommandCore, store: Store, newsroom: Newsroom
) -> None:
    chat = await room(
        store,
        Subscription("company", "Huawei"),
        Subscription("keyword", "5g"),
        Subscription("keyword", "crypto", exclude=True),
    )
    now = utcnow()
    await newsroom.report("Operators expand 5G coverage", "AP", now - timedelta(hours=1))
    await newsroom.report(
        "Huawei profit rises", "Reuters", now - timedelta(hours=2), companies=("Huawei",)
    )
    await newsroom.report(
        "Huawei enters crypto mining", "FT", now - timedelta(hours=1), companies=("Huawei",)
    )
    await newsroom.report("Weather turns cold", "BBC", now - timedelta(hours=1))

    built = await core.digests.build(chat, None, now, title="Morning news")
    assert headings(built.reply) == ["Morning news: 2 stories", "Huawei", "“5g”"]
    assert built.reply is not None
    text = built.reply.plain()
    assert text.index("Huawei profit rises") < text.index("Operators expand 5G coverage")
    assert "crypto" not in text and "Weather" not in text


async def test_a_silent_chat_gets_no_empty_digest_but_asking_still_answers(
    core: CommandCore, store: Store
) -> None:
    saved = await say(core, "/settings empty silent")
    assert saved.ok and "When there is no news: no message" in saved.plain()
    chat = await ChatStore(store).get("test", "room-1")
    assert chat is not None and chat.empty_digest == "silent"

    now = utcnow()
    scheduled = await core.digests.build(chat, now - timedelta(days=1), now)
    assert scheduled.reply is None and scheduled.story_count == 0 and scheduled.sent == []
    digest_id = await core.digests.record(chat, scheduled, slot=now)
    assert digest_id > 0 and await store.last_digest_end(chat.id) == now

    asked = await say(core, "/digest")
    assert "No new stories since your last digest" in asked.plain()

    bad = await say(core, "/settings empty sometimes")
    assert not bad.ok and "empty silent" in bad.plain()
    assert "a short “No new stories” message" in (await say(core, "/settings empty notice")).plain()


async def test_a_new_time_starts_the_schedule_afresh(core: CommandCore, store: Store) -> None:
    joined = utcnow()
    await say(core, "/settings empty silent")
    chat = await ChatStore(store).get("test", "room-1")
    assert chat is not None and chat.thread_id is None
    first = chat.schedule_since  # joining starts the schedule: the first digest is the next slot
    assert first is not None and first >= joined
    before = utcnow()
    await say(core, "/settings time 07:00")
    chat = await ChatStore(store).get("test", "room-1")
    assert chat is not None and chat.schedule_since is not None
    assert chat.schedule_since >= before  # a 07:00 slot already past today is not sent
    assert chat.schedule_since > first


async def test_digest_shows_the_top_n_and_says_how_many_more_did_not_fit(
    core: CommandCore, store: Store, newsroom: Newsroom
) -> None:
    now = utcnow()
    for n in range(5):
        await newsroom.report(f"Story number {n}", "Wire", now - timedelta(hours=n + 1))
    reply = await say(core, "/digest")  # max_stories is 3 here
    text = reply.plain()
    assert "Your digest: 3 stories" in text and "2 more stories did not fit" in text
    assert "Find them with /company NAME or /ask QUESTION." in text
    assert [f"Story number {n}" in text for n in range(5)] == [True] * 3 + [False] * 2
    buttons = [b.action for blk in reply.blocks if isinstance(blk, Buttons) for b in blk.buttons]
    assert len([a for a in buttons if a.startswith("summary:")]) == 3
    assert "Reply “summary” to a story" in text

    # The two that did not fit are not sent later either: the next digest starts after this one.
    assert "No new stories since your last digest" in (await say(core, "/digest")).plain()


async def test_what_a_chat_was_sent_is_written_in_the_callers_transaction(
    store: Store, newsroom: Newsroom
) -> None:
    chat = await room(store)
    now = utcnow()
    story = await newsroom.report("Dock strike ends", "Reuters", now)

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with store.engine.begin() as conn:
            await record_sent(conn, chat.id, [SentStory(story, ("Reuters",), 1)], now)
            raise Abort
    assert await sent_stories(store, chat.id, [story]) == {}

    async with store.engine.begin() as conn:
        await record_sent(conn, chat.id, [SentStory(story, ("Reuters",), 1)], now)
    async with store.engine.begin() as conn:  # a second send replaces the first
        await record_sent(conn, chat.id, [SentStory(story, ("Reuters", "AP\nnews"), 2)], now)
    assert await sent_stories(store, chat.id, [story, 999]) == {
        story: SentStory(story, ("Reuters", "AP news"), 2)
    }
