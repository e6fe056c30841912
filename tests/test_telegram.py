"""The Telegram adapter end to end: the REAL python-telegram-bot against the loopback Bot API
(tests/telegram_api.py), over a store filled through the real ingest (tests/chatbot.py)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from bot import metrics
from bot.chat.command import ChatContext
from bot.chat.telegram.bot import MENU, TelegramBot
from bot.chat.telegram.send import encode_parts
from bot.config import Settings
from bot.config_sections import BotSettings, TelegramSettings
from bot.delivery.planner import DigestPlanner
from bot.delivery.schedule import Schedule, next_slot
from bot.delivery.worker import DeliveryWorker
from bot.reply import Heading, Reply, para
from bot.store import Store, utcnow
from bot.store.chats import ChatStore
from bot.store.outbox import Outbox
from tests.chatbot import ChatBot, testbot_fixture  # noqa: F401
from tests.fakes.telegram_api import (
    BotAPIServer,
    newsbot_run_env,
    parse_html,
    start_newsbot_run,
)

TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"
SECRET = "s3cret-token_42"

# PTB 22 warns, whenever a RetryAfter is built, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
def tg_server() -> Iterator[BotAPIServer]:
    with BotAPIServer() as server:
        yield server


def tg_settings(settings: Settings, server: BotAPIServer, **telegram: object) -> Settings:
    section = TelegramSettings(base_url=f"{server.base_url}/bot", token=TOKEN, **telegram)
    return settings.model_copy(update={"telegram": section})


@pytest.fixture
async def tgbot(testbot: ChatBot, tg_server: BotAPIServer) -> AsyncIterator[TelegramBot]:
    bot = TelegramBot(testbot.core, tg_settings(testbot.settings, tg_server), TOKEN)
    await bot.start()
    tg_server.client_app = bot.app
    try:
        yield bot
    finally:
        await bot.stop()


async def until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def says(server: BotAPIServer, chat: int, text: str, user: int, **kw: object) -> list[dict]:
    """The user writes; returns the bot's messages sent in answer."""
    before = len(server.sent[chat])
    server.user_says(chat, text, user_id=user, **kw)  # type: ignore[arg-type]
    await server.wait_sent(chat, before + 1, timeout=20)
    if server.client_app is not None:  # the rest of a multi-part answer, paced at 1/s
        await server.wait_idle(server.client_app, timeout=30)
    else:
        await asyncio.sleep(0.2)
    return server.sent[chat][before:]


def plain(messages: list[dict]) -> str:
    return "\n".join(m["plain"] for m in messages)


async def test_a_new_user_starts_sets_subscribes_reads_and_asks(
    tgbot: TelegramBot, tg_server: BotAPIServer
) -> None:
    assert tg_server.menu() == [name for name, _ in MENU]

    welcome = await says(tg_server, 42, "/start", 42)
    assert "08:00 (UTC)" in plain(welcome) and welcome[0]["parse_mode"] == "HTML"

    saved = await says(tg_server, 42, "/settings time 07:30 tz Europe/Berlin", 42)
    assert "07:30 (Europe/Berlin)" in plain(saved)

    subscribed = await says(tg_server, 42, "/subscribe company huawei", 42)
    assert "Subscribed: Huawei" in plain(subscribed)

    digest = await says(tg_server, 42, "/digest", 42)
    assert "Huawei" in plain(digest)
    stories = [m for m in digest if m["reply_markup"]]
    assert stories and all(m["link_preview_options"]["is_disabled"] for m in digest)
    row = stories[0]["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in row] == ["Summary 1", "Quotes 1", "Sources 1"]
    story_id = row[0]["callback_data"].split(":")[1]
    for message in digest:
        parse_html(message["text"])  # valid Telegram HTML
        assert len(message["plain"]) <= 4096

    before = len(tg_server.sent[42])
    tg_server.user_presses(42, stories[0]["message_id"], f"summary:{story_id}", user_id=42)
    await tg_server.wait_sent(42, before + 1)
    assert tg_server.callback_answers  # answered, so the button stops spinning
    longer = tg_server.sent[42][before]
    assert longer["reply_to"] == stories[0]["message_id"] and "Sources:" in longer["plain"]

    before = len(tg_server.sent[42])
    tg_server.user_presses(42, stories[0]["message_id"], f"sources:{story_id}", user_id=42)
    await tg_server.wait_sent(42, before + 1)
    sources = tg_server.sent[42][before]
    assert sources["reply_to"] == stories[0]["message_id"] and "http" in sources["text"]

    before = len(tg_server.sent[42])
    tg_server.user_presses(42, stories[0]["message_id"], f"quotes:{story_id}", user_id=42)
    await tg_server.wait_sent(42, before + 1)
    quotes = tg_server.sent[42][before]
    assert quotes["reply_to"] == stories[0]["message_id"] and quotes["plain"]

    company = await says(tg_server, 42, "/company huawei", 42)
    found = await tgbot.core.find_company("huawei", ChatContext("telegram", "42", "42"))
    assert found.company == "Huawei" and found.stories
    assert all(view.story.lead.title in plain(company) for view in found.stories)

    replied = await says(tg_server, 42, "summary 1", 42, reply_to=stories[0]["message_id"])
    assert replied[0]["plain"].splitlines()[0] == longer["plain"].splitlines()[0]

    slash = await says(tg_server, 42, "/summary 1", 42, reply_to=stories[0]["message_id"])
    assert slash[0]["plain"].splitlines()[0] == longer["plain"].splitlines()[0]

    answer = await says(tg_server, 42, "/ask What did Huawei announce?", 42)
    assert answer and answer[0]["plain"]


async def test_group_admins_only_and_addressing(
    tgbot: TelegramBot, tg_server: BotAPIServer
) -> None:
    group = -1001000
    tg_server.add_chat(group, "supergroup")
    tg_server.set_member(group, 5, "member")
    tg_server.set_member(group, 6, "administrator")
    refused = await says(tg_server, group, "/settings time 09:00", 5)
    assert "administrators" in plain(refused)
    allowed = await says(tg_server, group, "/settings@newsbot_test_bot time 09:00", 6)
    assert "09:00" in plain(allowed)

    tg_server.user_says(group, "/company@OtherBot huawei", user_id=5)
    shown = await says(tg_server, group, "/help", 5)
    assert "Here is what I can do" in plain(shown)
    assert len(tg_server.sent[group]) == 2 + len(shown)  # nothing answered the other bot's command


async def test_feeds_is_for_group_administrators_even_without_arguments(
    tgbot: TelegramBot, tg_server: BotAPIServer
) -> None:
    group = -1001001
    tg_server.add_chat(group, "supergroup")
    tg_server.set_member(group, 5, "member")
    tg_server.set_member(group, 6, "administrator")
    refused = await says(tg_server, group, "/feeds", 5)
    assert "Only chat administrators" in plain(refused)
    listed = await says(tg_server, group, "/feeds", 6)
    assert "feed" in plain(listed) and "Only chat administrators" not in plain(listed)


ADMIN_MENU = [name for name, _ in MENU] + ["feeds"]


async def test_command_menus_for_everyone_group_admins_and_owners(
    testbot: ChatBot, caplog: pytest.LogCaptureFixture
) -> None:
    owners = ["telegram:501", "telegram:502", "slack:U0123ABCD"]
    with BotAPIServer(strict_chats=True) as server:  # unknown chats answer "chat not found"
        server.add_chat(501)  # owner 501 has started a chat with the bot; 502 never did
        settings = tg_settings(testbot.settings, server)
        settings = settings.model_copy(update={"bot": BotSettings(owners=owners)})
        async with TelegramBot(testbot.core, settings, TOKEN):
            assert server.menu() == [name for name, _ in MENU]
            assert server.menu("all_chat_administrators") == ADMIN_MENU
            assert server.menu("chat", chat_id=501) == ADMIN_MENU
            assert server.menu("chat", chat_id=502) == []
            assert [call["scope"] for call in server.menu_calls] == [
                {"type": "default"},
                {"type": "all_chat_administrators"},
                {"type": "chat", "chat_id": 501},
            ]
            assert "no command menu for an owner" in caplog.text
            shown = await says(server, 501, "/help", 501)  # the bot runs all the same
            assert "Here is what I can do" in plain(shown)
            # Owner 502 opens a chat with the bot now: /start gives them the menu, no restart.
            server.add_chat(502)
            await says(server, 502, "/start", 502)
            assert server.menu("chat", chat_id=502) == ADMIN_MENU
            server.add_chat(600)
            await says(server, 600, "/start", 600)
            assert server.menu("chat", chat_id=600) == []  # not an owner: the everyday menu


async def test_a_long_reply_arrives_as_ordered_parts(
    tgbot: TelegramBot, tg_server: BotAPIServer
) -> None:
    text = " ".join(f"Sentence {i} of a very long digest & <stuff>." for i in range(250))
    assert len(text) > 10_000
    sent = await tgbot.send_reply(50, Reply([Heading("Long"), para(text)]))
    messages = tg_server.sent[50]
    assert len(sent) == len(messages) >= 3
    assert all(len(m["plain"]) <= 4096 for m in messages)
    joined = " ".join(m["plain"] for m in messages)
    assert " ".join(joined.split()) == " ".join(("Long " + text).split())


async def deliver_due(bot: TelegramBot, now: dtm.datetime) -> int:
    """What `newsbot run` does each minute: plan the due digests, deliver them; returns how
    many digests were planned."""
    outbox = Outbox(bot.core.store, "test", lease=dtm.timedelta(seconds=30))
    planner = DigestPlanner(
        bot.core.store,
        bot.core.digests,
        bot.core.gate.access.admits_scheduled,
        outbox,
        {"telegram": encode_parts},
        grace=dtm.timedelta(minutes=30),
    )
    planned = await planner.plan_due(now)
    await DeliveryWorker(outbox, {"telegram": bot.sender}).drain()
    return planned


async def next_digest(store: Store, chat_key: str) -> dtm.datetime:
    chat = await ChatStore(store).get("telegram", chat_key)
    assert chat is not None
    schedule = Schedule.parse(chat.timezone, chat.digest_time, chat.weekdays, chat.schedule_since)
    slot = next_slot(schedule, utcnow())
    assert slot is not None
    return slot


async def test_forbidden_pauses_the_chat(
    tgbot: TelegramBot, tg_server: BotAPIServer, testbot: ChatBot
) -> None:
    await says(tg_server, 43, "/start", 43)
    tg_server.block(43)
    slot = await next_digest(testbot.store, "43")
    assert await deliver_due(tgbot, slot + dtm.timedelta(minutes=1)) == 1
    paused = await ChatStore(testbot.store).get("telegram", "43")
    assert paused is not None and paused.paused
    assert len(tg_server.sent[43]) == 1  # the welcome only
    tg_server.unblock(43)
    tomorrow = slot + dtm.timedelta(days=1, minutes=1)
    assert await deliver_due(tgbot, tomorrow) == 0  # a paused chat is not sent to
    assert len(tg_server.sent[43]) == 1


async def test_a_reply_to_a_chat_that_blocked_the_bot_pauses_it(
    tgbot: TelegramBot, tg_server: BotAPIServer, testbot: ChatBot
) -> None:
    await says(tg_server, 48, "/start", 48)
    tg_server.block(48)
    assert await tgbot.send_reply(48, Reply.message("hello", "part two")) == []
    chat = await ChatStore(testbot.store).get("telegram", "48")
    assert chat is not None and chat.paused


async def test_a_refused_reply_is_logged_and_the_rest_not_sent(
    tgbot: TelegramBot, tg_server: BotAPIServer, caplog: pytest.LogCaptureFixture
) -> None:
    tg_server.fail_next(49, "bad_request", method="sendMessage", description="message is too long")
    text = " ".join(f"Sentence {i} of a long answer." for i in range(400))
    assert await tgbot.send_reply(49, Reply([para(text)])) == []
    assert tg_server.sent[49] == [] and "telegram refused a reply" in caplog.text


async def test_retry_after_is_honoured(tgbot: TelegramBot, tg_server: BotAPIServer) -> None:
    tg_server.fail_next(44, "retry_after", retry_after=1, method="sendMessage")
    counted = metrics.RATE_LIMITED.labels("telegram")._value.get()
    began = time.monotonic()
    sent = await tgbot.send_reply(44, Reply.message("hello"))
    assert len(sent) == 1 and time.monotonic() - began >= 1.0
    assert metrics.RATE_LIMITED.labels("telegram")._value.get() == counted + 1  # on /metrics
    assert [m["plain"] for m in tg_server.sent[44]] == ["hello"]


async def test_a_migrated_group_is_followed(
    tgbot: TelegramBot, tg_server: BotAPIServer, testbot: ChatBot
) -> None:
    chats = ChatStore(testbot.store)
    await chats.ensure("telegram", "-4242", timezone="UTC", digest_time="08:00")
    tg_server.migrate(-4242, -1001234567890)
    await tgbot.send_reply(-4242, Reply.message("digest", "part two"))
    assert [m["plain"] for m in tg_server.sent[-1001234567890]] == ["digest\n\npart two"]
    assert await chats.get("telegram", "-4242") is None
    assert await chats.get("telegram", "-1001234567890") is not None


async def test_unparsable_html_is_resent_as_plain_text(
    tgbot: TelegramBot, tg_server: BotAPIServer, caplog: pytest.LogCaptureFixture
) -> None:
    tg_server.fail_next(
        45, "bad_request", method="sendMessage", description="can't parse entities: boom"
    )
    await tgbot.send_reply(45, Reply([para("a < b & c")]))
    [message] = tg_server.sent[45]
    assert message["parse_mode"] is None and message["plain"] == "a < b & c"
    assert "plain text" in caplog.text


async def test_a_forum_topic_gets_the_replies_and_the_digest(
    tgbot: TelegramBot, tg_server: BotAPIServer, testbot: ChatBot
) -> None:
    forum = -1002002
    tg_server.add_chat(forum, "supergroup", is_forum=True)
    tg_server.add_topic(forum, 7)
    tg_server.set_member(forum, 5, "member")
    tg_server.set_member(forum, 6, "administrator")
    await says(tg_server, forum, "/start", 6, thread_id=7)

    refused = await says(tg_server, forum, "/settings topic here", 5, thread_id=7)
    assert "Only the chat's administrators" in plain(refused)
    assert refused[0]["message_thread_id"] == 7
    chat = await ChatStore(testbot.store).get("telegram", str(forum))
    assert chat is not None and chat.thread_id is None

    saved = await says(tg_server, forum, "/settings topic here", 6, thread_id=7)
    assert all(m["message_thread_id"] == 7 for m in saved)
    assert "this topic" in plain(saved)

    before = len(tg_server.sent[forum])
    slot = await next_digest(testbot.store, str(forum))
    assert await deliver_due(tgbot, slot + dtm.timedelta(minutes=1)) == 1
    digest = tg_server.sent[forum][before:]
    assert digest and all(m["message_thread_id"] == 7 for m in digest)
    assert "digest" in digest[0]["plain"].split("\n")[0]

    tg_server.delete_topic(forum, 7)  # the next digest goes to the chat itself
    before = len(tg_server.sent[forum])
    assert await deliver_due(tgbot, slot + dtm.timedelta(days=1, minutes=1)) == 1
    digest = tg_server.sent[forum][before:]
    assert digest and all(m["message_thread_id"] is None for m in digest)
    # and the chat's settings say so: the deleted topic is forgotten
    chat = await ChatStore(testbot.store).get("telegram", str(forum))
    assert chat is not None and chat.thread_id is None


async def test_a_reply_in_a_deleted_topic_goes_to_the_main_chat(
    tgbot: TelegramBot, tg_server: BotAPIServer, caplog: pytest.LogCaptureFixture
) -> None:
    forum = -1002003
    tg_server.add_chat(forum, "supergroup", is_forum=True)
    topic = tg_server.add_topic(forum)
    tg_server.user_says(forum, "/help", user_id=5, thread_id=topic)
    tg_server.delete_topic(forum, topic)  # before the bot answers, with the /help in it
    await tg_server.wait_sent(forum)
    await tg_server.wait_idle(tgbot.app)  # the rest of the answer
    answer = tg_server.sent[forum]
    assert "Here is what I can do" in plain(answer)
    assert all(m["message_thread_id"] is None and m["reply_to"] is None for m in answer)
    assert caplog.text.count("topic is gone") == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_checks_the_secret_token(testbot: ChatBot, tg_server: BotAPIServer) -> None:
    port = _free_port()
    settings = tg_settings(
        testbot.settings,
        tg_server,
        webhook_url="https://bot.example.com/telegram/hook",
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    bot = TelegramBot(testbot.core, settings, TOKEN)
    await bot.start()
    try:
        assert tg_server.webhook["url"] == "https://bot.example.com/telegram/hook"
        assert tg_server.webhook["secret_token"] == SECRET
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": 77, "type": "private", "first_name": "Ann"},
                "from": {"id": 77, "is_bot": False, "first_name": "Ann"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        url = f"http://127.0.0.1:{port}/telegram/hook"
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with session.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            assert not tg_server.sent[77]
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200
        [help_message] = await tg_server.wait_sent(77)
        assert "Here is what I can do" in help_message["plain"]
    finally:
        await bot.stop()


async def test_due_digests_go_to_chats_at_their_own_time(
    tgbot: TelegramBot, tg_server: BotAPIServer, testbot: ChatBot
) -> None:
    from zoneinfo import ZoneInfo

    soon = utcnow() + dtm.timedelta(minutes=1)
    berlin = soon.astimezone(ZoneInfo("Europe/Berlin"))
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[berlin.weekday()]
    await says(tg_server, 46, "/start", 46)
    await says(tg_server, 46, f"/settings time {berlin:%H:%M} tz Europe/Berlin days {day}", 46)
    other = (soon + dtm.timedelta(hours=2)).strftime("%H:%M")
    await says(tg_server, 47, "/start", 47)
    await says(tg_server, 47, f"/settings time {other}", 47)
    before = {chat: len(tg_server.sent[chat]) for chat in (46, 47)}
    at = soon.replace(second=30)
    assert await deliver_due(tgbot, at) == 1
    assert len(tg_server.sent[46]) > before[46] and len(tg_server.sent[47]) == before[47]
    assert "digest" in tg_server.sent[46][before[46]]["plain"].split("\n")[0]
    assert await deliver_due(tgbot, at + dtm.timedelta(seconds=20)) == 0  # once per slot
    assert await deliver_due(tgbot, at + dtm.timedelta(days=1)) == 0  # only on its day


def test_newsbot_run_answers_on_telegram_and_stops_on_sigterm(
    tmp_path, tg_server: BotAPIServer
) -> None:  # type: ignore[no-untyped-def]
    import signal

    proc = start_newsbot_run(tg_server, tmp_path, TOKEN)
    try:
        deadline = time.monotonic() + 30
        tg_server.user_says(42, "/start", user_id=42)
        while not tg_server.sent[42] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "Welcome to newsbot" in tg_server.sent[42][0]["plain"]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "telegram bot is running" in err
    assert " info    apscheduler" not in err  # jobs added, run, done: not news


@pytest.mark.parametrize("token", ["12:ab", "123456:REVOKED-token_abcdefghijklmnopqrstu"])
def test_newsbot_run_with_a_rejected_token_names_the_setting_never_the_token(
    tmp_path, tg_server: BotAPIServer, token: str
) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    tg_server.revoked_tokens.add(token)
    env = newsbot_run_env(tg_server, tmp_path, token)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, capture_output=True, text=True, timeout=60
    )
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert "NEWSBOT_TELEGRAM__TOKEN" in said and "rejected" in said
    assert token not in said and token.split(":")[1] not in said
    assert "Traceback" not in said and len(said.strip().splitlines()) <= 3, said


# story numbers, follow-ups, plain text, /stop ------------------------------------------------


def numbered_titles(messages: list[dict]) -> dict[int, str]:
    """A digest's stories as Telegram shows them: number → title."""
    import re

    found = {}
    for line in plain(messages).splitlines():
        match = re.match(r"^(\d+)\. (.+)$", line)
        if match:
            found[int(match[1])] = match[2]
    return found


def first_line(messages: list[dict]) -> str:
    return messages[0]["plain"].splitlines()[0]


async def test_a_number_is_the_story_of_the_latest_digest_and_buttons_keep_theirs(
    tgbot: TelegramBot, tg_server: BotAPIServer, testbot: ChatBot
) -> None:
    digest = await says(tg_server, 60, "/digest", 60)
    titles = numbered_titles(digest)
    assert len(titles) >= 3
    assert "press its Summary button, or reply “summary 2”" in plain(digest)
    assert first_line(await says(tg_server, 60, "/summary 2", 60)) == titles[2]
    assert first_line(await says(tg_server, 60, "/quotes 2", 60)) == titles[2]

    story_2 = next(m for m in digest if "\n2. " in "\n" + m["plain"])
    [button] = [
        b["callback_data"]
        for row in story_2["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "Summary 2"
    ]
    await testbot.publish(
        "harbour-reopens",
        "The old harbour of Marseille reopens after a year of works",
        [
            "The old harbour of Marseille reopened to boats on Monday after a year of works "
            "that deepened its basin and rebuilt its quays, the city said.",
            "“It is the heart of the city again,” said Claire Martin, the deputy mayor in "
            "charge of the sea. “Fishermen will sell on the quay from Tuesday.”",
        ],
    )
    newer = await says(tg_server, 60, "/digest", 60)
    assert numbered_titles(newer)[1] == "The old harbour of Marseille reopens after a year of works"
    assert first_line(await says(tg_server, 60, "/summary 1", 60)) == numbered_titles(newer)[1]

    before = len(tg_server.sent[60])
    tg_server.user_presses(60, story_2["message_id"], button, user_id=60)
    await tg_server.wait_sent(60, before + 1)
    assert first_line(tg_server.sent[60][before:]) == titles[2]  # the old button: its own story

    # A number replied to a message of the older digest is that digest's story.
    for word in ("quotes 2", "sources 2", "tell me more 2", "More 2"):
        answer = await says(tg_server, 60, word, 60, reply_to=story_2["message_id"])
        assert first_line(answer) == titles[2], word
    # Without one, a message of several stories asks which.
    [asked] = await says(tg_server, 60, "quotes", 60, reply_to=story_2["message_id"])
    assert asked["plain"].startswith("Which story? Reply “quotes "), asked["plain"]
    [asked] = await says(tg_server, 60, "/sources", 60, reply_to=story_2["message_id"])
    assert asked["plain"].startswith("Which story? Reply “sources "), asked["plain"]


async def test_private_plain_text_is_read_and_a_group_s_talk_is_not(
    tgbot: TelegramBot, tg_server: BotAPIServer
) -> None:
    hint = await says(tg_server, 61, "hello", 61)
    assert plain(hint) == "I didn't catch that. Try /company huawei, ask a question, or /help."
    asked = await says(tg_server, 61, "what did huawei announce?", 61)
    assert "Sources:" in plain(asked) and "/what" not in plain(asked)
    company = await says(tg_server, 61, "company huawei", 61)
    assert "Huawei: the latest" in plain(company)
    unknown = await says(tg_server, 61, "/frobnicate", 61)
    assert plain(unknown).startswith("I don't know /frobnicate.")

    group = -1001061
    tg_server.add_chat(group, "supergroup")
    tg_server.user_says(group, "hello", user_id=5)
    tg_server.user_says(group, "what did huawei announce?", user_id=5)
    shown = await says(tg_server, group, "/help", 5)
    assert "Here is what I can do" in plain(shown)
    assert len(tg_server.sent[group]) == len(shown)  # the plain talk got no answer


async def test_stop_is_for_group_administrators_and_start_resumes(
    tgbot: TelegramBot, tg_server: BotAPIServer, testbot: ChatBot
) -> None:
    assert "stop" in tg_server.menu()
    group = -1001062
    tg_server.add_chat(group, "supergroup")
    tg_server.set_member(group, 5, "member")
    tg_server.set_member(group, 6, "administrator")
    await says(tg_server, group, "/start", 6)
    refused = await says(tg_server, group, "/stop", 5)
    assert "Only the chat's administrators can pause the digests here" in plain(refused)
    stopped = await says(tg_server, group, "/stop", 6)
    assert plain(stopped).startswith("Digests paused. /start brings them back.")
    chats = ChatStore(testbot.store)
    assert (await chats.get("telegram", str(group))).paused  # type: ignore[union-attr]
    await says(tg_server, group, "/start", 5)
    assert (await chats.get("telegram", str(group))).paused  # type: ignore[union-attr]
    resumed = await says(tg_server, group, "/start", 6)
    assert "Digests are on again" in plain(resumed)
    assert not (await chats.get("telegram", str(group))).paused  # type: ignore[union-attr]


async def test_topic_wording_in_a_private_chat_is_about_telegram(
    tgbot: TelegramBot, tg_server: BotAPIServer
) -> None:
    answer = plain(await says(tg_server, 63, "/settings topic here", 63))
    assert "Private chats and plain groups have no topics" in answer and "Slack" not in answer
    helped = plain(await says(tg_server, 63, "/help", 63))
    assert "[topic here|off]" in helped and "/quotes 2" in helped and "/stop" in helped


async def test_a_reply_to_a_company_answer_of_several_stories_asks_which(
    tgbot: TelegramBot, tg_server: BotAPIServer
) -> None:
    company = await says(tg_server, 62, "/company huawei", 62)
    [shown] = [m for m in company if m["reply_markup"]]
    rows = shown["reply_markup"]["inline_keyboard"]
    assert len(rows) > 1 and all(row[0]["text"].startswith("Longer summary: ") for row in rows)
    [asked] = await says(tg_server, 62, "summary", 62, reply_to=shown["message_id"])
    assert asked["plain"].startswith("Which story? Press the button under it"), asked["plain"]
    before = len(tg_server.sent[62])
    tg_server.user_presses(62, shown["message_id"], rows[1][0]["callback_data"], user_id=62)
    await tg_server.wait_sent(62, before + 1)
    title = rows[1][0]["text"].removeprefix("Longer summary: ")
    assert tg_server.sent[62][before]["plain"].startswith(title[:40])
