"""A realistic morning on each platform, against platform servers that enforce the flood limits:
start, settings, subscribe, the digest, each of its buttons, a reply to it, /company, /summary
of a link, /ask. Every step is answered once, and the platform never answers 429."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from bot.chat.slack.bot import SlackBot
from bot.chat.slack.mrkdwn import button_actions
from bot.chat.slack.service import SlackService
from bot.chat.telegram.bot import TelegramBot
from bot.chat.telegram.render import MAX_CHARS
from tests.chatbot import ChatBot, make_core, testbot_fixture  # noqa: F401
from tests.fakes.slack_api import BOT_USER_ID, SlackAPIServer, validate_blocks
from tests.fakes.telegram_api import BotAPIServer, parse_html
from tests.test_slack import (
    ADMIN,
    CHANNEL,
    Workspace,
    header,
    numbered_titles,
    slack_settings,
    texts,
)
from tests.test_telegram import TOKEN, plain, tg_settings

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)

QUESTION = "What did Huawei announce?"


def article_url(testbot: ChatBot) -> str:
    path = next(p for p in testbot.site.routes if "huawei" in p and p.endswith(".html"))
    return testbot.site.url(path)


# --- Telegram ----------------------------------------------------------------------------------


@pytest.fixture
def tg_server() -> Iterator[BotAPIServer]:
    with BotAPIServer() as server:
        yield server


@pytest.fixture
async def strict_tg(testbot: ChatBot, tg_server: BotAPIServer) -> AsyncIterator[TelegramBot]:
    """The bot against a Bot API that answers 429 past Telegram's flood limits."""
    tg_server.enforce_limits = True
    settings = tg_settings(testbot.settings, tg_server)
    core = make_core(testbot.store, settings, allow=["127.0.0.0/8"])
    bot = TelegramBot(core, settings, TOKEN)
    await bot.start()
    tg_server.client_app = bot.app
    try:
        yield bot
    finally:
        await bot.stop()


class TelegramMorning:
    """One user's morning in one chat: what they do, and the bot's answer to each."""

    def __init__(self, server: BotAPIServer, chat: int, user: int) -> None:
        self.server, self.chat, self.user = server, chat, user

    async def _answer(self, before: int, asked: int) -> list[dict[str, Any]]:
        await self.server.wait_sent(self.chat, before + 1, timeout=60)
        await self.server.wait_idle(self.server.client_app, timeout=120)
        answer = self.server.sent[self.chat][before:]
        # Answered once: one message answers what was asked, the rest of the answer follows it.
        assert [m["reply_to"] for m in answer].count(asked) == 1, answer
        return answer

    async def says(self, text: str, **kw: Any) -> list[dict[str, Any]]:
        before = len(self.server.sent[self.chat])
        said = self.server.user_says(self.chat, text, user_id=self.user, **kw)
        return await self._answer(before, said["message_id"])

    async def presses(self, message: dict[str, Any], label: str) -> list[dict[str, Any]]:
        [data] = [
            b["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == label
        ]
        before = len(self.server.sent[self.chat])
        self.server.user_presses(self.chat, message["message_id"], data, user_id=self.user)
        return await self._answer(before, message["message_id"])


def story_titles(messages: list[dict[str, Any]]) -> dict[int, str]:
    import re

    found = {}
    for line in plain(messages).splitlines():
        match = re.match(r"^(\d+)\. (.+)$", line)
        if match:
            found[int(match[1])] = match[2]
    return found


@pytest.mark.parametrize("chat", ["private", "group"])
async def test_a_morning_on_telegram_meets_no_flood_limit_and_no_answer_twice(
    strict_tg: TelegramBot, tg_server: BotAPIServer, testbot: ChatBot, chat: str
) -> None:
    if chat == "private":
        morning = TelegramMorning(tg_server, 42, 42)
    else:
        tg_server.add_chat(-100777, "supergroup")
        tg_server.set_member(-100777, 5, "administrator")
        morning = TelegramMorning(tg_server, -100777, 5)
    started = time.monotonic()

    assert "Welcome to newsbot" in plain(await morning.says("/start"))
    saved = await morning.says("/settings time 07:30 tz Europe/Berlin")
    assert "07:30 (Europe/Berlin)" in plain(saved)
    assert "Subscribed: Huawei" in plain(await morning.says("/subscribe company huawei"))

    digest = await morning.says("/digest")
    titles = story_titles(digest)
    assert len(titles) >= 2 and "Huawei" in plain(digest)
    # Fewer messages than stories: each holds whole stories, up to Telegram's 4,096 characters.
    assert len(digest) < len(titles)
    for message in digest:
        parse_html(message["text"])
        assert len(message["plain"]) <= MAX_CHARS
    for number, title in titles.items():
        [holder] = [m for m in digest if f"{number}. {title}" in m["plain"]]
        labels = [b["text"] for row in holder["reply_markup"]["inline_keyboard"] for b in row]
        assert {f"Summary {number}", f"Quotes {number}", f"Sources {number}"} <= set(labels)
    first = digest[0]

    longer = await morning.presses(first, "Summary 1")
    assert longer[0]["plain"].splitlines()[0] == titles[1] and "Sources:" in plain(longer)
    assert "“" in plain(await morning.presses(first, "Quotes 1"))
    assert "http" in (await morning.presses(first, "Sources 1"))[0]["text"]

    replied = await morning.says("summary 1", reply_to=first["message_id"])
    assert replied[0]["plain"] == longer[0]["plain"]

    company = await morning.says("/company huawei")
    assert "Huawei" in plain(company)
    labels = [
        b["text"]
        for m in company
        for row in (m["reply_markup"] or {}).get("inline_keyboard", [])
        for b in row
    ]
    assert labels and len(set(labels)) == len(labels)  # each button says which story
    link = await morning.says(f"/summary {article_url(testbot)}")
    assert "Huawei brings HarmonyOS laptops to Europe" in plain(link)
    assert "Sources:" in plain(await morning.says(f"/ask {QUESTION}"))

    assert tg_server.too_many_requests == 0
    print(
        f"telegram {chat}: {len(tg_server.sent[morning.chat])} messages, digest of "
        f"{len(titles)} stories in {len(digest)}, {time.monotonic() - started:.1f} s"
    )


# --- Slack -------------------------------------------------------------------------------------


@pytest.fixture
def slack_server() -> Iterator[SlackAPIServer]:
    with SlackAPIServer() as server:
        yield server


@pytest.fixture
async def strict_slack(testbot: ChatBot, slack_server: SlackAPIServer) -> AsyncIterator[Workspace]:
    """The app against a Web API that answers 429 past one message a second per channel."""
    slack_server.enforce_limits = True
    settings = slack_settings(testbot.settings, slack_server)
    core = make_core(testbot.store, settings, allow=["127.0.0.0/8"])
    bot = SlackBot(core, settings)  # the real pace: about one message a second per channel
    service = SlackService(bot, settings)
    await service.start(host="127.0.0.1")
    space = Workspace(slack_server, bot, f"http://127.0.0.1:{service.port}/slack/events")
    try:
        yield space
    finally:
        await space.http.close()
        await service.stop()


async def test_a_morning_on_slack_meets_no_rate_limit_and_no_answer_twice(
    strict_slack: Workspace, slack_server: SlackAPIServer, testbot: ChatBot
) -> None:
    space = strict_slack
    posted = slack_server.posted[CHANNEL]

    async def news(text: str, *, user: str = "U0USER") -> list[dict[str, Any]]:
        before = len(posted)
        await space.news(text, user=user)
        return posted[before:]

    assert "/news digest" in texts(await news("start", user=ADMIN))
    [saved] = await news("settings time 07:30 tz Europe/Berlin", user=ADMIN)
    assert texts([saved]).startswith(f"<@{ADMIN}> set this for the channel:\nSettings saved")
    assert "Huawei" in texts(await news("subscribe company huawei", user=ADMIN))

    digest = await news("digest")
    titles = numbered_titles(digest)
    assert len(titles) >= 2 and all(validate_blocks(m["blocks"]) == [] for m in digest)
    parent = next(m for m in digest if 2 in numbered_titles([m]))
    story = next(a for a in button_actions([parent]) if a.startswith("summary:"))
    for action in ("summary", "quotes", "sources"):
        before = len(posted)
        assert await space.press(story.replace("summary", action), parent["ts"]) == 200
        [answer] = [m for m in posted[before:] if m["thread_ts"] == parent["ts"]]
        assert answer["blocks"]

    # "@newsbot summary 2" in the digest's thread: Slack sends it as app_mention and message.
    before = len(posted)
    said = {
        "channel": CHANNEL,
        "user": "U0USER",
        "text": f"<@{BOT_USER_ID}> summary 2",
        "ts": "1800000009.000100",
        "thread_ts": parent["ts"],
    }
    assert await space.event({"type": "app_mention", **said}) == 200
    assert await space.event({"type": "message", "channel_type": "channel", **said}) == 200
    [answer] = posted[before:]
    assert answer["thread_ts"] == parent["ts"] and header(answer) == titles[2]

    assert "Huawei" in texts(await news("company huawei"))
    link = await news(f"summary {article_url(testbot)}")
    assert "Huawei brings HarmonyOS laptops to Europe" in texts(link)
    assert "Sources:" in texts(await news(f"ask {QUESTION}"))

    assert slack_server.too_many_requests == 0
