"""The follow-up words are the core's, one list: every word, replied to a digest story, means
the same in Telegram (a reply to the story's message) and in Slack (a reply in the digest's
thread), and answers exactly as the command it stands for does on that platform.

Both adapters run on one command core, over the loopback Bot API and Slack Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from bot.chat.command import FOLLOW_UPS
from bot.chat.slack.bot import SlackBot
from bot.chat.slack.service import SlackService
from bot.chat.telegram.bot import TelegramBot
from tests.chatbot import ChatBot, testbot_fixture  # noqa: F401
from tests.fakes.slack_api import SlackAPIServer
from tests.fakes.telegram_api import BotAPIServer
from tests.test_slack import CHANNEL, Workspace, slack_settings, thread_says
from tests.test_slack import numbered_titles as slack_titles
from tests.test_telegram import TOKEN, plain, says, tg_settings

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)
TG_CHAT = 70


@pytest.fixture
def tg_server() -> Iterator[BotAPIServer]:
    with BotAPIServer() as server:
        yield server


@pytest.fixture
def slack_server() -> Iterator[SlackAPIServer]:
    with SlackAPIServer() as server:
        yield server


@pytest.fixture
async def both(
    testbot: ChatBot, tg_server: BotAPIServer, slack_server: SlackAPIServer
) -> AsyncIterator[tuple[TelegramBot, Workspace]]:
    """Telegram and Slack running side by side on the test bot's one core."""
    settings = slack_settings(tg_settings(testbot.settings, tg_server), slack_server)
    telegram = TelegramBot(testbot.core, settings, TOKEN)
    slack = SlackBot(testbot.core, settings, pace_seconds=0.01)
    service = SlackService(slack, settings)
    await telegram.start()
    tg_server.client_app = telegram.app
    await service.start(host="127.0.0.1")
    space = Workspace(slack_server, slack, f"http://127.0.0.1:{service.port}/slack/events")
    try:
        yield telegram, space
    finally:
        await space.http.close()
        await service.stop()
        await telegram.stop()


def slack_answer(messages: list[dict[str, Any]]) -> list[Any]:
    return [m["blocks"] for m in messages]


async def test_every_follow_up_word_works_alike_in_telegram_and_slack(
    both: tuple[TelegramBot, Workspace], tg_server: BotAPIServer, slack_server: SlackAPIServer
) -> None:
    _, workspace = both
    # Telegram: the digest, its story 2, and what /summary 2, /quotes 2, /sources 2 answer.
    digest = await says(tg_server, TG_CHAT, "/digest", TG_CHAT)
    story_2 = next(m for m in digest if "\n2. " in "\n" + m["plain"])
    tg_expected = {
        name: plain(await says(tg_server, TG_CHAT, f"/{name} 2", TG_CHAT))
        for name in set(FOLLOW_UPS.values())
    }
    # Slack: the channel's digest, the message that shows story 2, and the same three answers.
    await workspace.news("digest")
    posted = list(slack_server.posted[CHANNEL])
    parent = next(m for m in posted if 2 in slack_titles([m]))
    slack_expected = {}
    for name in set(FOLLOW_UPS.values()):
        before = len(slack_server.posted[CHANNEL])
        await workspace.news(f"{name} 2")
        slack_expected[name] = slack_answer(slack_server.posted[CHANNEL][before:])
    assert all(slack_expected.values()) and len(set(tg_expected.values())) == 3

    for word, name in FOLLOW_UPS.items():
        for said in (f"{word} 2", f"{word.title()} 2 please", f"{word} #2!"):
            # Telegram: a reply to the message that shows story 2.
            answer = await says(tg_server, TG_CHAT, said, TG_CHAT, reply_to=story_2["message_id"])
            assert plain(answer) == tg_expected[name], (said, "telegram")
        for said in (f"{word} 2", f"{word.title()} 2 please", f"{word} #2!"):
            # Slack: a reply in the thread of the message that shows story 2.
            answer = await thread_says(workspace, said, parent["ts"])
            assert slack_answer(answer) == slack_expected[name], (said, "slack")
        # Without a number, a message of many stories asks which one, in that word.
        asked = await thread_says(workspace, f"{word} please", parent["ts"])
        assert asked and asked[0]["text"].startswith(f"Which story? Reply “{name}”"), word
        [asked] = await says(tg_server, TG_CHAT, f"{word} please", TG_CHAT,
                             reply_to=story_2["message_id"])  # fmt: skip
        assert asked["plain"].startswith(f"Which story? Reply “{name} "), word
