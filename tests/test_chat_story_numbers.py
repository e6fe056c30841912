"""A story's number means its place in the chat's latest digest; buttons keep their story by its
id. Through the core, over a store filled by the real ingest (tests/chatbot.py); the digests
table's new column through its migration on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, inspect, select, text

from bot.chat.command import ChatContext
from bot.delivery.planner import DigestPlanner
from bot.reply import Buttons, Heading, Reply
from bot.store import Store, utcnow
from bot.store.chats import ChatStore
from bot.store.outbox import Outbox
from bot.store.schema import articles, digests
from tests.chatbot import BOT_NAME, ChatBot, testbot_fixture  # noqa: F401

ROOM = ChatContext("test", "room-7", "user-1", is_admin=True)
NUMBERED = re.compile(r"^(\d+)\. (.+)$")


def numbered(reply: Reply) -> dict[int, str]:
    """The digest's stories as it shows them: number → title."""
    found = {}
    for line in reply.plain().splitlines():
        match = NUMBERED.match(line)
        if match:
            found[int(match[1])] = match[2].removesuffix("  [new]")
    return found


def summary_ids(reply: Reply) -> list[int]:
    return [
        int(b.action.split(":")[1])
        for block in reply.blocks
        if isinstance(block, Buttons)
        for b in block.buttons
        if b.action.startswith("summary:")
    ]


def title(reply: Reply) -> str:
    first = reply.blocks[0]
    assert isinstance(first, Heading), reply.plain()
    return first.text


async def test_a_typed_number_is_the_story_of_the_latest_digest(testbot: ChatBot) -> None:
    digest = await testbot.reply("/digest", as_=ROOM)
    shown = numbered(digest)
    assert len(shown) >= 3, digest.plain()
    for command in ("summary", "quotes", "sources"):
        reply = await testbot.reply(f"/{command} 2", as_=ROOM)
        assert reply.ok and title(reply) == shown[2], (command, reply.plain())
    count = len(shown)
    too_far = await testbot.reply(f"/quotes {count + 1}", as_=ROOM)
    assert not too_far.ok
    assert too_far.plain() == (
        f"Your latest digest has {count} stories: send /quotes 1 to {count}, or press a "
        "story's Quotes button."
    )


async def test_without_a_digest_a_number_says_how_to_get_one(testbot: ChatBot) -> None:
    reply = await testbot.reply("/summary 1", as_=ChatContext("test", "never-digested", "u"))
    assert not reply.ok
    assert reply.plain() == (
        "You have no digest yet: send /digest, then /summary with a story's number."
    )


async def test_a_button_keeps_its_story_after_a_newer_digest(testbot: ChatBot) -> None:
    first = await testbot.reply("/digest", as_=ROOM)
    first_titles = numbered(first)
    button = summary_ids(first)[1]  # story 2's Summary button
    await testbot.publish(
        "dock-strike",
        "Dock workers end a three-day strike at the port of Rotterdam",
        [
            "Dock workers at the port of Rotterdam ended a three-day strike on Tuesday after "
            "the union and the port's employers agreed on a new wage deal.",
            "“The ships are moving again,” said Anna de Vries, a spokeswoman for the port. "
            "“We expect the backlog to be cleared by the weekend.”",
        ],
    )
    second = await testbot.reply("/digest", as_=ROOM)
    assert numbered(second)[1] == "Dock workers end a three-day strike at the port of Rotterdam"

    pressed = await testbot.core.story_action(f"summary:{button}", ROOM)
    assert pressed.ok and title(pressed) == first_titles[2]
    typed = await testbot.reply("/summary 1", as_=ROOM)
    assert title(typed) == "Dock workers end a three-day strike at the port of Rotterdam"
    power_user = await testbot.reply(f"/quotes #{button}", as_=ROOM)
    assert title(power_user) == first_titles[2]


async def test_a_button_for_a_story_that_is_gone_says_so(testbot: ChatBot) -> None:
    digest = await testbot.reply("/digest", as_=ROOM)
    gone = summary_ids(digest)[0]
    async with testbot.store.engine.begin() as conn:  # what retention does to old articles
        await conn.execute(delete(articles).where(articles.c.story_id == gone))
    for kind in ("summary", "quotes", "sources"):
        reply = await testbot.core.story_action(f"{kind}:{gone}", ROOM)
        assert not reply.ok and reply.plain().startswith("That story is no longer available.")
    typed = await testbot.reply("/summary 1", as_=ROOM)
    assert typed.plain().startswith("That story is no longer available.")


async def test_a_scheduled_digest_numbers_its_stories_too(testbot: ChatBot) -> None:
    chats = ChatStore(testbot.store)
    chat, _ = await chats.ensure("test", "room-7", timezone="UTC", digest_time="08:00")
    planned: list[Reply] = []

    def encode(reply: Reply) -> list[str]:
        planned.append(reply)
        return ["part"]

    outbox = Outbox(testbot.store, "test", lease=timedelta(seconds=30))
    planner = DigestPlanner(
        testbot.core.store,
        testbot.core.digests,
        testbot.core.gate.access.admits_scheduled,
        outbox,
        {"test": encode},
        grace=timedelta(days=2),
    )
    now = utcnow()
    assert await planner.plan_chat(chat, now + timedelta(days=1))
    [reply] = planned
    shown = numbered(reply)
    assert title(await testbot.reply("/sources 3", as_=ROOM)) == shown[3]


async def test_company_replies_show_no_numbers_and_keep_their_buttons(testbot: ChatBot) -> None:
    reply = await testbot.reply("/company huawei", as_=ROOM)
    assert reply.ok and not numbered(reply)
    [first, *_] = summary_ids(reply)
    pressed = await testbot.core.story_action(f"summary:{first}", ROOM)
    assert pressed.ok and "Huawei" in pressed.plain()


async def test_story_commands_without_a_story_say_what_to_send(testbot: ChatBot) -> None:
    quotes = await testbot.reply("/quotes", as_=ROOM)
    assert not quotes.ok and "story ." not in quotes.plain()
    assert quotes.plain() == (
        "Which story? Send /quotes with its number in your latest digest, for example "
        "/quotes 2, or press a story's Quotes button."
    )
    summary = await testbot.reply("/summary", as_=ROOM)
    assert "/summary 2" in summary.plain() and "/summary https://" in summary.plain()
    assert "not a story number" in (await testbot.reply("/quotes two", as_=ROOM)).plain()


async def test_help_uses_small_story_numbers_and_lists_stop(testbot: ChatBot) -> None:
    out = (await testbot.reply("/help", as_=ROOM)).plain()
    assert "/quotes 2" in out and "/quotes 42" not in out
    assert "/stop" in out and "[empty silent|notice]" in out


# the digests table's column ------------------------------------------------------------------


def _migrate(conn: Any, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from bot.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    step = command.upgrade if revision == "head" else command.downgrade
    step(cfg, revision)


def _columns(conn: Any) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns("digests")}


async def test_migration_0005_adds_and_removes_the_story_order(store: Store) -> None:
    chat = await store.ensure_chat("test", "m-1", timezone="UTC", digest_time="08:00")
    now = utcnow()
    async with store.engine.begin() as conn:
        assert "story_ids" in await conn.run_sync(_columns)
        await conn.run_sync(_migrate, "0004")
        assert "story_ids" not in await conn.run_sync(_columns)
        await conn.execute(
            text(
                "INSERT INTO digests (chat_id, window_end, story_count, created_at)"
                " VALUES (:chat, :now, 3, :now)"
            ),
            {"chat": chat, "now": now},
        )
        await conn.run_sync(_migrate, "head")
        assert "story_ids" in await conn.run_sync(_columns)
        old = (await conn.execute(select(digests.c.story_count, digests.c.story_ids))).one()
    assert tuple(old) == (3, None)  # a digest from before keeps no order

    from bot.store.digests import insert_digest
    from bot.store.sent import latest_digest

    async with store.engine.begin() as conn:
        await insert_digest(
            conn, chat, window_start=now, window_end=now, story_count=0, now=now, story_ids=[]
        )
    latest = await latest_digest(store, "test", "m-1")
    # An empty digest shows no numbers: the latest with stories is the old one, order unknown.
    assert latest is not None and latest.story_ids is None
    async with store.engine.begin() as conn:
        await insert_digest(
            conn, chat, window_start=now, window_end=now, story_count=2, now=now, story_ids=[9, 4]
        )
    latest = await latest_digest(store, "test", "m-1")
    assert latest is not None and latest.story_ids == [9, 4]
