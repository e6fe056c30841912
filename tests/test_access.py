"""Who may use the bot: the pure policy, the config that sets it, and what users of Telegram
(the REAL python-telegram-bot against tests/telegram_api.py) and Slack (signed requests into the
Bolt app, the real slack_sdk against tests/slack_api.py) notice when they are not allowed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.chat.access import Access, AccessGate
from bot.chat.command import ChatContext, make_command
from bot.chat.commands.registry import Spec
from bot.chat.core import COMMANDS, CommandCore
from bot.chat.slack.bot import SlackBot
from bot.chat.slack.service import SlackService
from bot.chat.telegram.bot import TelegramBot
from bot.config import ConfigError, Settings, load_settings
from bot.config_sections import BotSettings
from bot.reply import Button, Buttons, Reply, para
from bot.store.chats import ChatStore
from tests.chatbot import ChatBot, make_core, testbot_fixture  # noqa: F401
from tests.fakes.slack_api import TEAM_ID, SlackAPIServer
from tests.fakes.telegram_api import BotAPIServer
from tests.test_slack import CHANNEL, Workspace, slack_settings
from tests.test_telegram import TOKEN, plain, says, tg_settings

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)
PRIVATE = "This bot is private. Ask its owner to add this"


@pytest.fixture
def tg_server() -> Iterator[BotAPIServer]:
    with BotAPIServer() as server:
        yield server


@pytest.fixture
def slack_server() -> Iterator[SlackAPIServer]:
    with SlackAPIServer() as server:
        yield server


def tg(chat: int | str, user: int | str = "") -> ChatContext:
    return ChatContext("telegram", str(chat), str(user))


def sl(channel: str, user: str = "U1", team: str = "T1") -> ChatContext:
    return ChatContext("slack", channel, user, team_key=team)


# --- the policy --------------------------------------------------------------------------------


def test_empty_lists_mean_open() -> None:
    access = Access()
    assert access.check(tg(-100123, 5)) is None
    assert access.check(sl("C1", team="T9")) is None
    assert access.check(ChatContext("console", "console", "console")) is None


def test_telegram_takes_a_listed_chat_or_a_listed_user() -> None:
    access = Access(telegram_chats=frozenset({"-1001"}), telegram_users=frozenset({"7"}))
    assert access.check(tg(-1001, 5)) is None  # everyone in a listed chat
    assert access.check(tg(-2002, 7)) is None  # a listed user anywhere
    assert access.check(tg(7, 7)) is None  # ... their direct messages too
    refusal = access.check(tg(-2002, 5))
    assert refusal is not None and refusal.reason == "chat"
    assert refusal.message == f"{PRIVATE} chat."
    assert access.check(tg(-2002)) is not None  # a channel post names no user
    assert Access(telegram_users=frozenset({"7"})).check(tg(-1001, 5)) is not None


def test_slack_needs_the_workspace_and_the_channel() -> None:
    access = Access(slack_workspaces=frozenset({"T1"}), slack_channels=frozenset({"C1"}))
    assert access.check(sl("C1")) is None
    assert access.check(sl("C1", team="T2")).reason == "workspace"  # type: ignore[union-attr]
    assert access.check(sl("C2")).reason == "channel"  # type: ignore[union-attr]
    assert access.check(sl("D1")) is not None  # a DM is a channel
    assert Access(slack_channels=frozenset({"C1"})).check(sl("C1", team="T2")) is None


def test_owners_are_always_let_in_and_the_console_is_the_owner() -> None:
    access = Access(
        telegram_chats=frozenset({"1"}),
        slack_workspaces=frozenset({"T1"}),
        owners=frozenset({"telegram:9", "slack:U9"}),
    )
    assert access.is_owner(tg(-5, 9)) and access.check(tg(-5, 9)) is None
    assert access.check(sl("C7", "U9", "T7")) is None
    assert not access.is_owner(sl("C7", "9")) and not access.is_owner(tg(9))
    assert access.is_owner(ChatContext("console", "console"))


def test_a_refused_chat_is_told_once_an_hour() -> None:
    now = [1000.0]
    gate = AccessGate(Access(telegram_chats=frozenset({"1"})), clock=lambda: now[0])
    assert gate.admit(tg(1, 1)) is None
    first = gate.admit(tg(2, 2))
    assert first is not None and first.plain() == f"{PRIVATE} chat." and not first.ok
    for _ in range(5):
        again = gate.admit(tg(2, 3))
        assert again is not None and again.blocks == []  # refused, silently
    assert gate.admit(tg(3, 3), notify=False).blocks == []  # type: ignore[union-attr]
    assert gate.admit(tg(3, 3)).blocks  # type: ignore[union-attr]  # not used up above
    now[0] += 3599
    assert gate.admit(tg(2, 2)).blocks == []  # type: ignore[union-attr]
    now[0] += 2
    assert gate.admit(tg(2, 2)).blocks  # type: ignore[union-attr]


# --- the config --------------------------------------------------------------------------------


def test_the_config_sets_the_lists(tmp_path: Path) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text(
        "[telegram]\nallowed_chats = [-1001234567890, 42]\nallowed_users = [7]\n"
        '[slack]\nallowed_workspaces = ["T0123ABCD"]\nallowed_channels = ["C0123ABCD"]\n'
        '[bot]\nowners = ["telegram:12345", "slack:U0123ABCD"]\n'
    )
    access = Access.from_settings(load_settings(path))
    assert access.telegram_chats == {"-1001234567890", "42"} and access.telegram_users == {"7"}
    assert access.slack_workspaces == {"T0123ABCD"} and access.slack_channels == {"C0123ABCD"}
    assert access.owners == {"telegram:12345", "slack:U0123ABCD"}


@pytest.mark.parametrize(
    ("toml", "says_what"),
    [
        ('[slack]\nallowed_channels = ["#general"]', r"\[slack\] allowed_channels.*C0123ABCD"),
        ('[bot]\nowners = ["12345"]', r"\[bot\] owners.*telegram:12345"),
        ('[bot]\nowners = ["telegram:@ann"]', r"platform:user_id"),
        ('[telegram]\nallowed_chats = ["@mygroup"]', r"\[telegram\] allowed_chats"),
    ],
)
def test_wrong_entries_say_what_to_write(tmp_path: Path, toml: str, says_what: str) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text(toml + "\n")
    with pytest.raises(ConfigError, match=says_what):
        load_settings(path)


# --- commands for owners only ------------------------------------------------------------------


async def test_commands_for_everyone_run_for_owners_only(
    testbot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def feeds(core: CommandCore, args: str, context: ChatContext) -> Reply:
        return Reply.message(f"Added {args}.")

    monkeypatch.setitem(
        COMMANDS, "feeds", Spec("feeds", "/feeds add URL", "/feeds add X", "feeds", feeds, True)
    )
    settings = testbot.settings.model_copy(update={"bot": BotSettings(owners=["telegram:9"])})
    core = make_core(testbot.store, settings)
    try:
        refused = await core.handle(make_command("feeds", "add x"), tg(5, 5))
        done = await core.handle(make_command("feeds", "add x"), tg(9, 9))
        admin = ChatContext("telegram", "-5", "5", is_admin=True)  # a group admin is no owner
        still = await core.handle(make_command("feeds", "add x"), admin)
    finally:
        await core.aclose()
    assert "Only the bot's owner" in refused.plain() and not refused.ok
    assert done.plain() == "Added add x." and "Only" in still.plain()


# --- Telegram ----------------------------------------------------------------------------------

OWNER = 9


@pytest.fixture
async def private_tg(testbot: ChatBot, tg_server: BotAPIServer) -> AsyncIterator[TelegramBot]:
    """A bot for chat 100 and user 7 only, owned by user 9."""
    settings = tg_settings(testbot.settings, tg_server, allowed_chats=[100], allowed_users=[7])
    settings = settings.model_copy(update={"bot": BotSettings(owners=[f"telegram:{OWNER}"])})
    core = make_core(testbot.store, settings)
    bot = TelegramBot(core, settings, TOKEN)
    await bot.start()
    tg_server.client_app = bot.app
    try:
        yield bot
    finally:
        await bot.stop()
        await core.aclose()


async def test_a_telegram_chat_not_allowed_gets_one_refusal_and_nothing_runs(
    private_tg: TelegramBot, tg_server: BotAPIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    [refusal] = await says(tg_server, 200, "/start", 200)
    assert refusal["plain"] == f"{PRIVATE} chat."
    for text in ("/help", "/ask What did Huawei announce?", "/company huawei", "hello"):
        tg_server.user_says(200, text, user_id=200)
    await tg_server.wait_idle(private_tg.app)  # every message handled
    assert len(tg_server.sent[200]) == 1  # no reply loop, no second refusal within the hour
    assert await ChatStore(private_tg.core.store).get("telegram", "200") is None  # /start: not run
    [logged, *_] = [r for r in caplog.records if r.getMessage() == "refused: not on the allowlist"]
    assert (logged.__dict__["chat"], logged.__dict__["user"]) == ("200", "200")
    assert logged.__dict__["platform"] == "telegram" and logged.__dict__["reason"] == "chat"

    # An hour later the chat is told again, once.
    now = [0.0]
    private_tg.core.gate = AccessGate(private_tg.core.gate.access, clock=lambda: now[0])
    assert plain(await says(tg_server, 200, "/help", 200)).startswith(PRIVATE)
    now[0] += 3601
    assert plain(await says(tg_server, 200, "/help", 200)).startswith(PRIVATE)


async def test_a_group_not_allowed_stays_quiet_unless_addressed(
    private_tg: TelegramBot, tg_server: BotAPIServer
) -> None:
    group = -1005
    tg_server.add_chat(group, "supergroup")
    tg_server.user_says(group, "/company@OtherBot huawei", user_id=5)  # another bot's command
    await tg_server.wait_idle(private_tg.app)
    assert tg_server.sent[group] == []
    [refusal] = await says(tg_server, group, "/settings time 09:00", 5)
    assert refusal["plain"].startswith(PRIVATE)
    assert tg_server.count("getChatMember") == 0  # refused before any admin check
    # A listed user may use the bot there; so may the owner.
    assert "Here is what I can do" in plain(await says(tg_server, group, "/help", 7))
    assert "Here is what I can do" in plain(await says(tg_server, group, "/help", OWNER))


async def test_allowed_chats_and_the_owner_are_answered(
    private_tg: TelegramBot, tg_server: BotAPIServer
) -> None:
    assert "Welcome to newsbot" in plain(await says(tg_server, 100, "/start", 100))
    assert "Huawei" in plain(await says(tg_server, 100, "/company huawei", 100))
    assert "Here is what I can do" in plain(await says(tg_server, OWNER, "/help", OWNER))


async def test_a_button_from_a_chat_not_allowed_is_refused_the_same_way(
    private_tg: TelegramBot, tg_server: BotAPIServer
) -> None:
    # A digest sent before the chat was taken off the list.
    digest = Reply([para("1. Story"), Buttons((Button("Summary", "summary:1"),))])
    [message] = await private_tg.send_reply(300, digest)
    for _ in range(2):
        tg_server.user_presses(300, message.message_id, "summary:1", user_id=300)
    await tg_server.wait_sent(300, 2)
    await tg_server.wait_idle(private_tg.app)
    assert len(tg_server.callback_answers) == 2  # each button stops spinning
    [_, refusal] = tg_server.sent[300]
    assert refusal["plain"] == f"{PRIVATE} chat." and refusal["reply_to"] == message.message_id


# --- Slack -------------------------------------------------------------------------------------


@asynccontextmanager
async def slack_workspace(
    testbot: ChatBot,
    server: SlackAPIServer,
    owners: tuple[str, ...] = (),
    *,
    base: Settings | None = None,
    **lists: Any,
) -> AsyncIterator[Workspace]:
    """A running Slack app with these [slack] allowlists and [bot] owners (over ``base``)."""
    settings = slack_settings(base or testbot.settings, server)
    settings = settings.model_copy(
        update={
            "slack": settings.slack.model_copy(update=lists),
            "bot": BotSettings(owners=list(owners)),
        }
    )
    core = make_core(testbot.store, settings)
    bot = SlackBot(core, settings, pace_seconds=0.01)
    service = SlackService(bot, settings)
    await service.start(host="127.0.0.1")
    space = Workspace(server, bot, f"http://127.0.0.1:{service.port}/slack/events")
    try:
        yield space
    finally:
        await space.http.close()
        await service.stop()
        await core.aclose()


async def test_a_slash_command_from_a_workspace_not_allowed_is_refused(
    testbot: ChatBot, slack_server: SlackAPIServer
) -> None:
    async with slack_workspace(testbot, slack_server, allowed_workspaces=["T0ELSEWHERE"]) as ws:
        rid = await ws.news("company huawei")
        [answer] = slack_server.responses[rid]
        assert answer["response_type"] == "ephemeral"
        assert answer["text"] == f"{PRIVATE} workspace."
        again = await ws.news("help")
        assert slack_server.responses[again] == []  # told once an hour
        assert slack_server.posted == {}  # nothing ran, nothing was posted


async def test_slack_channels_not_allowed_are_refused_and_listed_ones_answered(
    testbot: ChatBot, slack_server: SlackAPIServer
) -> None:
    async with slack_workspace(
        testbot,
        slack_server,
        owners=("slack:U0OWNER",),
        allowed_workspaces=[TEAM_ID],
        allowed_channels=[CHANNEL],
    ) as ws:
        await ws.news("company huawei")
        assert "Huawei" in str(slack_server.posted[CHANNEL])

        rid = await ws.news("company huawei", channel="C0OTHER")
        [answer] = slack_server.responses[rid]
        assert answer["text"] == f"{PRIVATE} channel." and "C0OTHER" not in slack_server.posted

        body = slack_server.block_actions(
            "newsbot:1", "summary:1", channel_id="C0BUTTON", response_id="RBUTTON"
        )
        assert await ws.post(body) == 200
        [pressed] = slack_server.responses["RBUTTON"]
        assert pressed["text"] == f"{PRIVATE} channel." and "C0BUTTON" not in slack_server.posted

        mention = {"type": "app_mention", "channel": "C0MENTION", "user": "U0USER"}
        await ws.event({**mention, "text": "<@U0NEWSBOT> company huawei", "ts": "1800000000.1"})
        await ws.event({**mention, "text": "<@U0NEWSBOT> help", "ts": "1800000000.2"})
        [told] = slack_server.posted["C0MENTION"]
        assert told["text"] == f"{PRIVATE} channel." and told["thread_ts"] == "1800000000.1"

        await ws.news("company huawei", user="U0OWNER", channel="C0OTHER")  # the owner may
        assert "Huawei" in str(slack_server.posted["C0OTHER"])
