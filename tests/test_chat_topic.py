"""/settings topic: a forum supergroup's digest goes to the topic it was asked for in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.chat.command import ChatContext, parse_command
from bot.chat.core import CommandCore
from bot.config import Settings
from bot.reply import Reply
from bot.store import Store
from bot.store.chats import Chat, ChatStore
from bot.store.outbox import Outbox
from bot.store.schema import chats
from tests.chatbot import BOT_NAME, make_core

GROUP = "-1001234"
IN_TOPIC = ChatContext("telegram", GROUP, "5", is_admin=True, thread_key="7")
IN_MAIN = ChatContext("telegram", GROUP, "5", is_admin=True)
MEMBER_IN_TOPIC = ChatContext("telegram", GROUP, "6", is_admin=False, thread_key="7")
LONG_AGO = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
async def core(store: Store, settings: Settings) -> AsyncIterator[CommandCore]:
    made = make_core(store, settings)
    try:
        yield made
    finally:
        await made.aclose()


async def say(core: CommandCore, text: str, context: ChatContext) -> Reply:
    command = parse_command(text, bot_name=BOT_NAME)
    assert command is not None
    return await core.handle(command, context)


async def stored(store: Store) -> Chat:
    chat = await ChatStore(store).get("telegram", GROUP)
    assert chat is not None
    return chat


def since(chat: Chat) -> datetime | None:
    stamp = chat.schedule_since
    return stamp.replace(tzinfo=UTC) if stamp is not None and stamp.tzinfo is None else stamp


async def next_delivery_topic(store: Store, chat: Chat, slot: datetime) -> str | None:
    """The topic the chat's next digest is sent to, as the Telegram sender reads it."""
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    await outbox.plan(
        chat_id=chat.id,
        platform="telegram",
        slot=slot,
        window_start=None,
        window_end=slot,
        story_count=1,
        parts=["digest"],
    )
    [delivery] = await outbox.claim(["telegram"], 10)
    assert await outbox.start_sending(delivery)
    await outbox.sent(delivery.id, "1")
    return delivery.thread_id


async def test_topic_here_sends_the_digest_to_that_topic_and_off_brings_it_back(
    core: CommandCore, store: Store
) -> None:
    assert "Digest goes to" not in (await say(core, "/settings", IN_MAIN)).plain()

    saved = await say(core, "/settings topic here", IN_TOPIC)
    assert saved.ok and "Digest goes to: this topic #7" in saved.plain(), saved.plain()
    chat = await stored(store)
    assert chat.thread_id == "7"
    assert await next_delivery_topic(store, chat, LONG_AGO) == "7"

    from_main = (await say(core, "/settings", IN_MAIN)).plain()
    assert "Digest goes to: forum topic #7" in from_main and "/settings topic off" in from_main

    back = await say(core, "/settings topic off", IN_MAIN)
    assert back.ok and "Digest goes to: the main chat" in back.plain(), back.plain()
    chat = await stored(store)
    assert chat.thread_id is None
    assert await next_delivery_topic(store, chat, LONG_AGO + timedelta(days=1)) is None
    shown = (await say(core, "/settings", IN_TOPIC)).plain()
    assert "Digest goes to" not in shown and "/settings topic here" in shown


@pytest.mark.parametrize("word", ["off", "main", "none", "MAIN"])
async def test_every_word_for_off_means_the_main_chat(
    core: CommandCore, store: Store, word: str
) -> None:
    assert (await say(core, "/settings topic here", IN_TOPIC)).ok
    assert (await say(core, f"/settings topic {word}", IN_TOPIC)).ok
    assert (await stored(store)).thread_id is None


async def test_topic_here_outside_a_topic_says_where_to_send_it(
    core: CommandCore, store: Store
) -> None:
    reply = await say(core, "/settings topic here", IN_MAIN)
    assert not reply.ok
    assert "from inside the forum topic" in reply.plain() and "Slack" not in reply.plain()
    assert (await stored(store)).thread_id is None
    private = ChatContext("telegram", "42", "42", is_admin=True)
    assert "Private chats" in (await say(core, "/settings topic here", private)).plain()


async def test_where_there_are_no_topics_settings_do_not_talk_about_them(
    core: CommandCore,
) -> None:
    slack = ChatContext("slack", "C0123", "U5", is_admin=True)
    refused = await say(core, "/settings topic here", slack)
    assert not refused.ok
    assert refused.plain() == "There are no forum topics here: the digest goes to this chat itself."
    shown = (await say(core, "/settings", slack)).plain()
    assert "topic" not in shown.casefold()
    helped = (await say(core, "/help", slack)).plain()
    assert "[topic here|off]" not in helped and "[empty silent|notice]" in helped
    assert "[topic here|off]" in (await say(core, "/help", IN_MAIN)).plain()


async def test_only_admins_choose_the_topic(core: CommandCore, store: Store) -> None:
    refused = await say(core, "/settings topic here", MEMBER_IN_TOPIC)
    assert not refused.ok and "administrators" in refused.plain()
    assert (await stored(store)).thread_id is None
    assert (await say(core, "/settings topic here", IN_TOPIC)).ok
    assert not (await say(core, "/settings topic off", MEMBER_IN_TOPIC)).ok
    assert (await stored(store)).thread_id == "7"


async def test_an_unreadable_topic_word_says_what_to_write(core: CommandCore, store: Store) -> None:
    reply = await say(core, "/settings topic sideways", IN_TOPIC)
    assert not reply.ok and "topic here" in reply.plain() and "topic off" in reply.plain()
    assert (await stored(store)).thread_id is None


async def test_changing_the_topic_keeps_the_schedule(core: CommandCore, store: Store) -> None:
    assert (await say(core, "/settings", IN_MAIN)).ok  # registers the chat
    async with store.engine.begin() as conn:
        await conn.execute(update(chats).values(schedule_since=LONG_AGO))

    assert (await say(core, "/settings topic here", IN_TOPIC)).ok
    assert since(await stored(store)) == LONG_AGO
    assert (await say(core, "/settings topic off", IN_TOPIC)).ok
    assert since(await stored(store)) == LONG_AGO

    both = await say(core, "/settings time 09:15 topic here", IN_TOPIC)
    assert both.ok and "09:15" in both.plain() and "this topic #7" in both.plain()
    chat = await stored(store)
    assert chat.thread_id == "7" and since(chat) != LONG_AGO  # a new time starts afresh
