"""The chat's own commands in the core: /start, /settings, /subscribe, /digest, the buttons."""

from __future__ import annotations

from bot.chat.commands import parse_command
from bot.chat.core import ChatContext
from bot.chat.handlers_settings import parse_days
from bot.chat.reply import Buttons, Reply
from bot.store.chats import ChatStore
from tests.chatbot import BOT_NAME, ChatBot, testbot_fixture  # noqa: F401

ADMIN = ChatContext("test", "chat-9", "user-1", is_admin=True)
MEMBER = ChatContext("test", "group-1", "user-2", is_admin=False)


async def say(testbot: ChatBot, text: str, context: ChatContext = ADMIN) -> Reply:
    command = parse_command(text, bot_name=BOT_NAME)
    assert command is not None
    return await testbot.core.handle(command, context)


def actions(reply: Reply) -> list[str]:
    return [b.action for block in reply.blocks if isinstance(block, Buttons) for b in block.buttons]


def test_days_are_read_in_every_common_way() -> None:
    assert parse_days("mon-fri") == ("mon", "tue", "wed", "thu", "fri")
    assert parse_days("Mon,Wed,friday") == ("mon", "wed", "fri")
    assert parse_days("fri-mon") == ("mon", "fri", "sat", "sun")
    assert parse_days("weekends") == ("sat", "sun")
    assert parse_days("someday") is None


async def test_a_new_chat_starts_sets_subscribes_and_gets_its_digest(testbot: ChatBot) -> None:
    started = await say(testbot, "/start")
    assert started.ok and "08:00 (UTC)" in started.plain() and "/subscribe" in started.plain()

    saved = await say(testbot, "/settings time 7:30 tz europe/berlin days mon-fri")
    assert saved.ok, saved.plain()
    assert "07:30 (Europe/Berlin)" in saved.plain() and "Monday to Friday" in saved.plain()
    shown = await say(testbot, "/settings")
    assert "07:30 (Europe/Berlin)" in shown.plain()

    bad = await say(testbot, "/settings tz Mars/Olympus")
    assert not bad.ok and "IANA" in bad.plain()

    unknown = await say(testbot, "/subscribe company huawai")
    assert not unknown.ok and "Huawei" in unknown.plain()
    sub = await say(testbot, "/subscribe company huawei")
    assert sub.ok and "Huawei" in sub.plain()
    again = await say(testbot, "/subscribe company Huawei")
    assert "Already" in again.plain()
    listed = await say(testbot, "/subscribe")
    assert "company Huawei" in listed.plain()

    digest = await say(testbot, "/digest")
    assert digest.ok, digest.plain()
    ids = [a.split(":")[1] for a in actions(digest) if a.startswith("summary:")]
    assert ids, digest.plain()
    assert "Huawei" in digest.plain()
    assert {f"quotes:{ids[0]}", f"sources:{ids[0]}"} <= set(actions(digest))

    for kind in ("summary", "quotes", "sources"):
        answer = await testbot.core.story_action(f"{kind}:{ids[0]}", ADMIN)
        assert answer.ok, (kind, answer.plain())

    nothing = await say(testbot, "/digest")
    assert "No new stories" in nothing.plain()

    assert (await say(testbot, "/unsubscribe company huawei")).ok
    assert not (await say(testbot, "/unsubscribe company huawei")).ok


async def test_only_admins_change_a_group(testbot: ChatBot) -> None:
    refused = await say(testbot, "/settings time 09:00", MEMBER)
    assert not refused.ok and "administrators" in refused.plain()
    assert not (await say(testbot, "/subscribe keyword 5g", MEMBER)).ok
    assert (await say(testbot, "/settings", MEMBER)).ok  # looking is fine


async def test_keywords_and_exclusions_filter_the_digest(testbot: ChatBot) -> None:
    assert (await say(testbot, "/subscribe keyword zzzunlikelyword")).ok
    empty = await say(testbot, "/digest")
    assert "No new stories for your subscriptions" in empty.plain()

    everything = await say(testbot, "/digest", ChatContext("test", "chat-2", "u", is_admin=True))
    assert everything.ok and actions(everything)


async def test_sources_and_pause_and_migration(testbot: ChatBot) -> None:
    feeds = await say(testbot, "/sources")
    assert feeds.ok and "feed" in feeds.plain()
    chats = ChatStore(testbot.store)
    await say(testbot, "/start")
    assert await chats.set_paused("test", "chat-9", True)
    assert (await chats.get("test", "chat-9")).paused  # type: ignore[union-attr]
    await chats.migrate("test", "chat-9", "chat-10")
    assert await chats.get("test", "chat-9") is None
    moved = await chats.get("test", "chat-10")
    assert moved is not None and moved.paused


async def test_unknown_button_is_answered(testbot: ChatBot) -> None:
    reply = await testbot.core.story_action("nonsense", ADMIN)
    assert not reply.ok
