"""Per-user rate limits on /summary and /ask: the sliding window, and what users of Telegram (the
REAL python-telegram-bot against tests/telegram_api.py, /ask's LLM the real openai client
against tests/openai_server.py) and Slack (signed requests into the Bolt app) notice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.chat.limits import RateLimits
from bot.chat.slack.mrkdwn import button_actions
from bot.chat.telegram.bot import TelegramBot
from bot.config_sections import BotSettings, LimitsSettings
from tests.chatbot import ChatBot, make_core, testbot_fixture  # noqa: F401
from tests.fakes.openai_server import OpenAIServer, completion
from tests.fakes.slack_api import SlackAPIServer
from tests.fakes.telegram_api import BotAPIServer
from tests.test_access import slack_workspace
from tests.test_slack import CHANNEL
from tests.test_telegram import TOKEN, plain, says, tg_settings

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)
QUESTION = "What did Huawei announce?"
ASKED_A_LOT = "You've asked a lot this hour — try again in"


@pytest.fixture
def tg_server() -> Iterator[BotAPIServer]:
    with BotAPIServer() as server:
        yield server


@pytest.fixture
def slack_server() -> Iterator[SlackAPIServer]:
    with SlackAPIServer() as server:
        yield server


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


# --- the window --------------------------------------------------------------------------------


def test_uses_slide_out_of_the_hour() -> None:
    clock = Clock()
    limits = RateLimits({"ask": 3}, clock=clock)
    for minute in (0, 10, 20):
        clock.now = 5000 + minute * 60
        assert limits.take("ask", "telegram:1") is None
    clock.now = 5000 + 30 * 60
    assert limits.take("ask", "telegram:1") == pytest.approx(30 * 60)  # the first use expires
    assert limits.take("ask", "telegram:2") is None  # users count apart
    assert limits.take("company", "telegram:1") is None  # commands without a limit
    clock.now = 5000 + 60 * 60
    assert limits.take("ask", "telegram:1") is None  # the first use left the window
    assert limits.take("ask", "telegram:1") is not None  # the refused one was not counted


def test_zero_means_unlimited_and_the_reply_says_when() -> None:
    clock = Clock()
    limits = RateLimits.from_settings(
        LimitsSettings(summary_per_hour=0, ask_per_hour=1), clock=clock
    )
    assert all(limits.check("summary", "u") is None for _ in range(100))
    assert limits.check("ask", "u") is None
    clock.now += 47 * 60 + 30
    reply = limits.check("ask", "u")
    assert reply is not None and not reply.ok
    assert reply.plain() == f"{ASKED_A_LOT} 13 minutes."
    clock.now += 12 * 60 + 10
    assert limits.check("ask", "u").plain() == f"{ASKED_A_LOT} 1 minute."  # type: ignore[union-attr]
    limits = RateLimits({"summary": 1}, clock=clock)
    limits.check("summary", "u")
    assert "a lot of summaries this hour — try again in 60 minutes." in (
        limits.check("summary", "u").plain()  # type: ignore[union-attr]
    )


async def test_the_core_counts_per_user_and_only_real_requests(testbot: ChatBot) -> None:
    clock = Clock()
    testbot.core.limits = RateLimits({"ask": 2}, clock=clock)
    assert "What would you like to know" in await testbot.exec("/ask")  # a hint: not counted
    for _ in range(2):
        assert ASKED_A_LOT not in await testbot.exec(f"/ask {QUESTION}")
    assert ASKED_A_LOT in await testbot.exec(f"/ask {QUESTION}")
    assert ASKED_A_LOT not in await testbot.exec("/company huawei")
    clock.now += 3600
    assert ASKED_A_LOT not in await testbot.exec(f"/ask {QUESTION}")


# --- Telegram: the 11th /ask of an hour --------------------------------------------------------

OWNER = 9


@pytest.fixture
def llm() -> Iterator[OpenAIServer]:
    with OpenAIServer(completion("Huawei will sell HarmonyOS laptops in Europe [1].")) as server:
        yield server


@pytest.fixture
async def limited_tg(
    testbot: ChatBot, tg_server: BotAPIServer, llm: OpenAIServer
) -> AsyncIterator[TelegramBot]:
    settings = tg_settings(testbot.settings, tg_server).model_copy(
        update={"bot": BotSettings(owners=[f"telegram:{OWNER}"])}
    )
    assert settings.limits.ask_per_hour == 10  # the default
    core = make_core(testbot.store, settings, llm_url=llm.url)
    bot = TelegramBot(core, settings, TOKEN)
    await bot.start()
    tg_server.client_app = bot.app
    try:
        yield bot
    finally:
        await bot.stop()
        await core.aclose()


async def test_the_11th_ask_of_an_hour_is_refused_without_calling_the_llm(
    limited_tg: TelegramBot, tg_server: BotAPIServer, llm: OpenAIServer
) -> None:
    for n in range(10):
        answer = plain(await says(tg_server, 42, f"/ask {QUESTION} ({n})", 42))
        assert "HarmonyOS laptops" in answer
    assert llm.count == 10
    [limited] = await says(tg_server, 42, f"/ask {QUESTION}", 42)
    assert limited["plain"] == f"{ASKED_A_LOT} 60 minutes."
    assert llm.count == 10  # the LLM was not called
    # Another user still may; the owner has no limit.
    assert "HarmonyOS" in plain(await says(tg_server, 43, f"/ask {QUESTION}", 43))
    for n in range(11):
        assert "HarmonyOS" in plain(await says(tg_server, OWNER, f"/ask {QUESTION} {n}", OWNER))
    assert llm.count == 22


# --- Slack: digest buttons and "summary" in a thread count as /summary -------------------------


async def test_summary_buttons_and_thread_replies_share_the_summary_limit(
    testbot: ChatBot, slack_server: SlackAPIServer
) -> None:
    limited = testbot.settings.model_copy(update={"limits": LimitsSettings(summary_per_hour=2)})
    async with slack_workspace(testbot, slack_server, base=limited) as ws:
        await ws.news("digest")
        digest = slack_server.posted[CHANNEL]
        first = digest[0]
        story = next(a for a in button_actions([first]) if a.startswith("summary:"))
        for _ in range(2):
            assert await ws.press(story, first["ts"]) == 200
        threaded = [m for m in slack_server.posted[CHANNEL] if m["thread_ts"] == first["ts"]]
        assert len(threaded) == 2 and all(m["blocks"][0]["type"] == "header" for m in threaded)

        body = slack_server.block_actions(
            "newsbot:1", story, channel_id=CHANNEL, message_ts=first["ts"], response_id="RLIMIT"
        )
        assert await ws.post(body) == 200
        [answer] = slack_server.responses["RLIMIT"]
        assert answer["response_type"] == "ephemeral" and "a lot of summaries" in answer["text"]

        await ws.event(
            {
                "type": "message",
                "channel": CHANNEL,
                "user": "U0USER",
                "text": "summary 1",
                "ts": "1800000000.000100",
                "thread_ts": first["ts"],
            }
        )
        threaded = [m for m in slack_server.posted[CHANNEL] if m["thread_ts"] == first["ts"]]
        assert len(threaded) == 3 and "a lot of summaries" in json.dumps(threaded[-1])
        assert threaded[-1]["blocks"][0]["type"] != "header"  # no summary was made
