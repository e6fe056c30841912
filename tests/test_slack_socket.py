"""The Slack adapter over Socket Mode, end to end: SlackService runs slack_bolt's real
AsyncSocketModeHandler (slack_sdk's aiohttp SocketModeClient), which calls apps.connections.open
on ``[slack] base_url`` and connects to the loopback Socket Mode server (tests/slack_socket.py);
answers go to the loopback Web API (tests/slack_api.py); the store is filled through the real
ingest from the loopback news site."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.chat.slack.bot import SlackBot, parse_news, story_numbers
from bot.chat.slack.mrkdwn import button_actions
from bot.chat.slack.render import render_messages
from bot.chat.slack.service import SlackService
from bot.config import ConfigError, Settings
from bot.config_sections import SlackSettings
from tests.chatbot import ChatBot, testbot_fixture  # noqa: F401
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, validate_blocks
from tests.fakes.slack_socket import SlackSocketServer
from tests.test_slack import ADMIN, CHANNEL, ROOT, texts

PING = 2.0  # seconds between the client's pings, and so its checks of the connection


def socket_settings(settings: Settings, server: SlackSocketServer, app_token: str) -> Settings:
    return settings.model_copy(
        update={
            "slack": SlackSettings(
                bot_token=server.token,
                app_token=app_token,
                base_url=server.base_url,
                mode="socket",
                admins=[ADMIN],
            )
        }
    )


@pytest.fixture
def socket_server() -> Iterator[SlackSocketServer]:
    with SlackSocketServer() as server:
        yield server


@pytest.fixture
async def service(
    testbot: ChatBot, socket_server: SlackSocketServer
) -> AsyncIterator[SlackService]:
    settings = socket_settings(testbot.settings, socket_server, socket_server.app_token)
    bot = SlackBot(testbot.core, settings, pace_seconds=0.01)
    running = SlackService(bot, settings, ping_interval=PING)
    await running.start()
    await socket_server.wait_connected()
    try:
        yield running
    finally:
        await running.stop()


def event(kind: str, text: str, ts: str, **fields: Any) -> dict[str, Any]:
    """A message or app_mention event from a user in the test channel."""
    return {"type": kind, "channel": CHANNEL, "user": "U0USER", "text": text, "ts": ts, **fields}


async def story_ids(bot: SlackBot, text: str) -> list[int]:
    """The stories (by their Summary buttons) the bot answers ``/news text`` with."""
    reply = await bot.answer(parse_news(text), bot.context("C0EXPECT", "U0EXPECT", TEAM_ID))
    return story_numbers(reply)[0]


async def answer_text(bot: SlackBot, text: str) -> str:
    """The notification text of the first message the bot answers ``/news text`` with."""
    reply = await bot.answer(parse_news(text), bot.context("C0EXPECT", "U0EXPECT", TEAM_ID))
    return render_messages(reply)[0]["text"]


def summaries(messages: list[dict[str, Any]]) -> list[int]:
    return [int(a.split(":")[1]) for a in button_actions(messages) if a.startswith("summary:")]


# --- commands, mentions, buttons, threads ------------------------------------------------------


async def test_a_slash_command_is_acked_at_once_and_answered_after_the_slow_work(
    service: SlackService, socket_server: SlackSocketServer
) -> None:
    expected = await story_ids(service.bot, "company huawei")
    assert expected
    socket_server.delay("chat.postMessage", 1.5)  # a slow answer must not hold up the ack
    envelope = socket_server.slash("company huawei", channel_id=CHANNEL)
    ack = await socket_server.wait_ack(envelope)
    assert (
        ack.at - socket_server.envelopes[envelope].at < 3.0
    )  # Slack wants the ack within 3 seconds
    assert ack.payload is None and ack.connection == 1
    [answer] = await socket_server.wait_posted(CHANNEL)
    assert answer["posted_at"] - ack.at >= 1.0  # the ack did not wait for the answer
    assert "Huawei" in texts([answer]) and validate_blocks(answer["blocks"]) == []
    assert summaries([answer]) == expected and answer["thread_ts"] is None

    # Where the bot is not a member, the answer reaches the command's response_url instead.
    socket_server.delay("chat.postMessage", 0)
    socket_server.kick("C0OUT")
    envelope = socket_server.slash("company huawei", channel_id="C0OUT", response_id="R-out")
    await socket_server.wait_ack(envelope)
    [shared] = await socket_server.wait_responses("R-out")
    assert shared["response_type"] == "in_channel" and summaries([shared]) == expected
    # A refusal goes to the asker alone, through the response_url; even so quick an answer
    # comes after the ack.
    envelope = socket_server.slash("settings time 07:30", channel_id=CHANNEL, response_id="R-no")
    [refused] = await socket_server.wait_responses("R-no")
    assert refused["response_type"] == "ephemeral" and "admin" in refused["text"].lower()
    ack = await socket_server.wait_ack(envelope)
    assert ack.at < socket_server.responded_at["R-no"][0]
    assert socket_server.strays == []


async def test_a_mention_is_answered_in_the_channel_in_its_thread(
    service: SlackService, socket_server: SlackSocketServer
) -> None:
    mention = event("app_mention", f"<@{BOT_USER_ID}> company huawei", "1800000000.000300")
    envelope = socket_server.event(mention)
    ack = await socket_server.wait_ack(envelope)
    assert ack.at - socket_server.envelopes[envelope].at < 3.0
    [answer] = await socket_server.wait_posted(CHANNEL)
    assert answer["thread_ts"] == "1800000000.000300" and "Huawei" in texts([answer])
    assert summaries([answer]) == await story_ids(service.bot, "company huawei")


async def test_a_redelivered_envelope_is_acked_and_not_answered_again(
    service: SlackService, socket_server: SlackSocketServer
) -> None:
    mention = event("app_mention", f"<@{BOT_USER_ID}> company huawei", "1800000000.000500")
    first = socket_server.event(mention)
    await socket_server.wait_ack(first)
    await socket_server.wait_posted(CHANNEL)
    again = socket_server.redeliver(first)  # Slack thought the ack was lost
    await socket_server.wait_ack(again)
    await service.bot.idle()
    await asyncio.sleep(0.2)
    answers = [m for m in socket_server.posted[CHANNEL] if m["thread_ts"] == mention["ts"]]
    assert len(answers) == 1


async def test_digest_buttons_and_summary_replies_are_answered_in_the_story_thread(
    service: SlackService, socket_server: SlackSocketServer
) -> None:
    bot = service.bot
    socket_server.slash("digest", channel_id=CHANNEL)
    await socket_server.wait_posted(CHANNEL)
    await bot.idle()
    digest = list(socket_server.posted[CHANNEL])
    assert digest[0]["blocks"][0]["type"] == "header"
    story = next(a for a in button_actions(digest) if a.startswith("summary:"))
    parent = next(m for m in digest if story in button_actions([m]))

    # The Summary button under a story: the longer summary, in that message's thread.
    press = socket_server.press("newsbot:1", story, channel_id=CHANNEL, message_ts=parent["ts"])
    ack = await socket_server.wait_ack(press)
    assert ack.payload is None and ack.at - socket_server.envelopes[press].at < 3.0
    await socket_server.wait_posted(CHANNEL, len(digest) + 1)
    [long] = [m for m in socket_server.posted[CHANNEL] if m["thread_ts"] == parent["ts"]]
    assert long["blocks"][0]["type"] == "header" and validate_blocks(long["blocks"]) == []
    assert long["text"] == await answer_text(bot, f"summary #{story.split(':')[1]}")

    # "summary 1" replied in the digest's thread: story 1's summary, in that thread.
    first = digest[0]
    asked = event("message", "summary 1", "1800000000.000100", thread_ts=first["ts"])
    await socket_server.wait_ack(socket_server.event({**asked, "channel_type": "channel"}))
    await socket_server.wait_posted(CHANNEL, len(digest) + 2)
    answer = socket_server.posted[CHANNEL][-1]
    assert answer["thread_ts"] == first["ts"] and answer["blocks"][0]["type"] == "header"
    story_1 = bot.posted[(CHANNEL, first["ts"])].numbers[1]
    assert answer["text"] == await answer_text(bot, f"summary #{story_1}")


# --- the connection ----------------------------------------------------------------------------


async def test_refresh_requested_makes_the_client_reconnect_and_answer_on(
    service: SlackService, socket_server: SlackSocketServer
) -> None:
    old = socket_server.disconnect("refresh_requested")
    new = await socket_server.wait_connected(2)
    assert socket_server.count("apps.connections.open") == 2
    await socket_server.wait_closed(old)
    assert old.closed_by == "client" and old.close_code == 1000 and new.open
    envelope = socket_server.slash("company huawei", channel_id=CHANNEL)
    ack = await socket_server.wait_ack(envelope)
    assert ack.connection == new.number
    assert "Huawei" in texts(await socket_server.wait_posted(CHANNEL))


async def test_a_dropped_connection_is_replaced_and_commands_go_on(
    service: SlackService, socket_server: SlackSocketServer
) -> None:
    dropped = socket_server.drop()
    new = await socket_server.wait_connected(2, timeout=6 * PING + 5)
    assert dropped.closed_by == "dropped" and not dropped.open
    assert socket_server.count("apps.connections.open") == 2
    envelope = socket_server.slash("help", channel_id=CHANNEL, response_id="R-help")
    assert (await socket_server.wait_ack(envelope)).connection == new.number
    assert "/news company" in texts(await socket_server.wait_responses("R-help"))


async def test_a_long_outage_outlives_the_connection_url_and_still_reconnects(
    testbot: ChatBot, socket_server: SlackSocketServer
) -> None:
    settings = socket_settings(testbot.settings, socket_server, socket_server.app_token)
    bot = SlackBot(testbot.core, settings, pace_seconds=0.01)
    running = SlackService(bot, settings, ping_interval=PING, url_refresh=2 * PING)
    await running.start()
    try:
        await socket_server.wait_connected()
        socket_server.refuse_connections = True  # Slack is down; its URLs expire meanwhile
        socket_server.drop()
        await asyncio.sleep(3 * PING)
        socket_server.expire_tickets()
        socket_server.refuse_connections = False
        await socket_server.wait_connected(2, timeout=8 * PING + 5)
        envelope = socket_server.slash("help", channel_id=CHANNEL, response_id="R-help")
        await socket_server.wait_ack(envelope)
        assert "/news company" in texts(await socket_server.wait_responses("R-help"))
    finally:
        await running.stop()


async def test_a_silent_connection_is_given_up_and_replaced(
    service: SlackService, socket_server: SlackSocketServer
) -> None:
    stalled = socket_server.stall()  # pings go unanswered, as on a dead route
    new = await socket_server.wait_connected(2, timeout=6 * PING + 5)
    assert new.number == 2 and socket_server.count("apps.connections.open") == 2
    envelope = socket_server.slash("help", channel_id=CHANNEL, response_id="R-help")
    assert (await socket_server.wait_ack(envelope)).connection == 2
    await socket_server.wait_responses("R-help")
    assert (await socket_server.wait_closed(stalled)).closed_by == "client"


async def test_when_the_websocket_is_refused_start_goes_on_and_connects_later(
    testbot: ChatBot, socket_server: SlackSocketServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    socket_server.refuse_connections = True  # a Slack outage: the handshake answers 503
    settings = socket_settings(testbot.settings, socket_server, socket_server.app_token)
    bot = SlackBot(testbot.core, settings, pace_seconds=0.01)
    running = SlackService(bot, settings, ping_interval=PING, connect_timeout=0.5)
    began = time.monotonic()
    await running.start()
    try:
        assert time.monotonic() - began < 5 and socket_server.connections == []
        assert any("not connected yet" in r.getMessage() for r in caplog.records)
        socket_server.refuse_connections = False
        await socket_server.wait_connected(timeout=4 * PING + 5)
        envelope = socket_server.slash("help", channel_id=CHANNEL, response_id="R-help")
        await socket_server.wait_ack(envelope)
        await socket_server.wait_responses("R-help")
        assert any(r.getMessage() == "slack connected (socket mode)" for r in caplog.records)
    finally:
        await running.stop()


@pytest.mark.parametrize(
    ("token", "error"),
    [
        (None, "not_allowed_token_type"),  # the bot token where the app token belongs
        ("xapp-1-A0NEWSBOT-1-revoked0or0mistyped0token", "invalid_auth"),
    ],
)
async def test_a_wrong_app_token_stops_the_start_naming_the_setting(
    testbot: ChatBot,
    socket_server: SlackSocketServer,
    caplog: pytest.LogCaptureFixture,
    token: str | None,
    error: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = token or socket_server.token
    settings = socket_settings(testbot.settings, socket_server, token)
    running = SlackService(SlackBot(testbot.core, settings), settings, ping_interval=PING)
    began = time.monotonic()
    with pytest.raises(ConfigError) as raised:
        await running.start()
    await running.stop()
    message = str(raised.value)
    assert time.monotonic() - began < 5
    assert error in message and "NEWSBOT_SLACK__APP_TOKEN" in message and token not in message
    assert socket_server.connections == [] and socket_server.count("apps.connections.open") == 1
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert token not in logged and socket_server.app_token not in logged


async def test_a_wrong_bot_token_stops_the_start_naming_the_setting(
    testbot: ChatBot, socket_server: SlackSocketServer
) -> None:
    settings = socket_settings(testbot.settings, socket_server, socket_server.app_token)
    wrong = "xoxb-0000-mistyped-bot-token"
    settings.slack.bot_token = SecretStr(wrong)
    running = SlackService(SlackBot(testbot.core, settings), settings, ping_interval=PING)
    with pytest.raises(ConfigError) as raised:
        await running.start()
    await running.stop()
    message = str(raised.value)
    assert "invalid_auth" in message and "NEWSBOT_SLACK__BOT_TOKEN" in message
    assert wrong not in message and socket_server.connections == []


# --- inside `newsbot run` ----------------------------------------------------------------------


def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout}s for {what}")
        time.sleep(0.05)


def _newsbot_run(tmp_path: Path, server: SlackSocketServer, app_token: str) -> subprocess.Popen:
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "newsbot.db"}"\n'
        f'[ingest]\nfeeds_file = "{tmp_path / "none.opml"}"\n'
        f'[slack]\nbase_url = "{server.base_url}"\n'
    )
    env = {
        **os.environ,
        "NEWSBOT_CONFIG": str(config),
        "NEWSBOT_SLACK__BOT_TOKEN": server.token,
        "NEWSBOT_SLACK__APP_TOKEN": app_token,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_newsbot_run_serves_slack_over_socket_mode_and_stops_on_sigterm(
    tmp_path: Path, socket_server: SlackSocketServer
) -> None:
    proc = _newsbot_run(tmp_path, socket_server, socket_server.app_token)
    try:
        _until(lambda: bool(socket_server.open_connections()), 30, "newsbot run to connect")
        envelope = socket_server.slash("help", channel_id=CHANNEL, response_id="R-help")
        _until(lambda: envelope in socket_server.acks, 10, "the ack")
        _until(lambda: bool(socket_server.responses["R-help"]), 10, "the answer")
        [answer] = socket_server.responses["R-help"]
        assert answer["response_type"] == "ephemeral" and "/news company" in texts([answer])
        assert not socket_server.posted[CHANNEL]  # help is for the asker alone
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    [connection] = socket_server.connections
    assert connection.closed_by == "client" and connection.close_code == 1000
    assert "slack connected (socket mode)" in err and "stopping" in err
    assert socket_server.app_token not in err and socket_server.token not in err
    assert "Traceback" not in err  # a job that SIGTERM stops midway ends quietly


def test_newsbot_run_with_a_bot_token_for_the_app_token_exits_naming_the_setting(
    tmp_path: Path, socket_server: SlackSocketServer
) -> None:
    proc = _newsbot_run(tmp_path, socket_server, socket_server.token)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 2, err
    assert "NEWSBOT_SLACK__APP_TOKEN" in err and "not_allowed_token_type" in err
    assert "Traceback" not in err and socket_server.token not in err
    assert socket_server.connections == []


async def test_the_loopback_socket_server_speaks_slacks_shapes(
    socket_server: SlackSocketServer,
) -> None:
    """apps.connections.open refuses other tokens as Slack does; a ticket is good once."""
    import aiohttp
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(base_url=socket_server.base_url)
    for token, error in [
        (socket_server.token, "not_allowed_token_type"),
        ("xapp-unknown", "invalid_auth"),
        ("", "not_authed"),
    ]:
        with pytest.raises(SlackApiError) as raised:
            await client.apps_connections_open(app_token=token)
        assert raised.value.response["error"] == error
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(
            token=socket_server.app_token, base_url=socket_server.base_url
        ).chat_postMessage(channel=CHANNEL, text="hi")
    assert raised.value.response["error"] == "not_allowed_token_type"

    opened = await client.apps_connections_open(app_token=socket_server.app_token)
    assert opened["ok"] is True and opened["url"].startswith("ws://127.0.0.1:")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(opened["url"]) as ws:
            hello = await ws.receive_json(timeout=5)
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": "A0NEWSBOT"}
            envelope = socket_server.push(
                "events_api", {"type": "event_callback"}, accepts_response_payload=False
            )
            frame = await ws.receive_json(timeout=5)
            assert frame["envelope_id"] == envelope and frame["type"] == "events_api"
            await ws.send_json({"envelope_id": envelope})
            assert (await socket_server.wait_ack(envelope)).payload is None
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(opened["url"])
        assert refused.value.status == 401
    await asyncio.sleep(0)
