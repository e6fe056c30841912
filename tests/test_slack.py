"""The Slack adapter end to end: signed HTTP requests into the Bolt app that `newsbot run`
starts, the real slack_sdk client against the loopback Web API (tests/slack_api.py), and the
store filled through the real ingest from the loopback news site."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import metrics
from bot.chat.slack.bot import SlackBot, parse_news, story_numbers
from bot.chat.slack.mrkdwn import blocks_text, button_actions
from bot.chat.slack.service import SlackService
from bot.chat.slack.words import is_private
from bot.config import Settings
from bot.config_sections import SlackSettings
from bot.reply import Bold, Button, Buttons, Heading, Link, QuoteBlock, Reply, para
from tests.chatbot import ChatBot, testbot_fixture  # noqa: F401
from tests.fakes.slack_api import BOT_USER_ID, SlackAPIServer, signed_headers, validate_blocks

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-signing-secret"
ADMIN = "U0ADMIN"
CHANNEL = "C0NEWS"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slack_settings(settings: Settings, server: SlackAPIServer) -> Settings:
    return settings.model_copy(
        update={
            "slack": SlackSettings(
                bot_token=server.token,
                signing_secret=SECRET,
                base_url=server.base_url,
                mode="http",
                port=_free_port(),
                admins=[ADMIN],
            )
        }
    )


@pytest.fixture
def slack_server() -> Iterator[SlackAPIServer]:
    with SlackAPIServer() as server:
        yield server


class Workspace:
    """The Slack side of a test: what users do, sent as Slack sends it, signed."""

    def __init__(self, server: SlackAPIServer, bot: SlackBot, url: str) -> None:
        self.server = server
        self.bot = bot
        self.url = url
        self.http = aiohttp.ClientSession()

    async def post(self, body: bytes, *, secret: str = SECRET, **kwargs: Any) -> int:
        headers = signed_headers(body, secret, **kwargs)
        async with self.http.post(self.url, data=body, headers=headers) as response:
            await response.read()
            status = response.status
        await self.bot.idle()
        return status

    async def news(self, text: str, *, user: str = "U0USER", channel: str = CHANNEL) -> str:
        """Run `/news text`; returns the response_url id."""
        rid = f"R{time.monotonic_ns()}"
        body = self.server.slash_command(
            "/news", text, user_id=user, channel_id=channel, response_id=rid
        )
        assert await self.post(body) == 200
        return rid

    async def press(self, value: str, message_ts: str, *, channel: str = CHANNEL) -> int:
        body = self.server.block_actions(
            "newsbot:1", value, channel_id=channel, message_ts=message_ts
        )
        return await self.post(body)

    async def event(self, event: dict[str, Any]) -> int:
        payload = self.server.event_callback(event)
        return await self.post(json.dumps(payload).encode(), content_type="application/json")


@pytest.fixture
async def workspace(
    testbot: ChatBot,
    slack_server: SlackAPIServer,
) -> AsyncIterator[Workspace]:
    settings = slack_settings(testbot.settings, slack_server)
    bot = SlackBot(testbot.core, settings, pace_seconds=0.01)
    service = SlackService(bot, settings)
    await service.start(host="127.0.0.1")
    space = Workspace(slack_server, bot, f"http://127.0.0.1:{service.port}/slack/events")
    try:
        yield space
    finally:
        await space.http.close()
        await service.stop()


def texts(messages: list[dict[str, Any]]) -> str:
    return blocks_text([{"blocks": m.get("blocks") or []} for m in messages]) + "\n".join(
        m["text"] for m in messages
    )


# --- the Bolt app over HTTP --------------------------------------------------------------------


async def test_signed_requests_are_accepted_and_forged_or_stale_ones_get_401(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    body = slack_server.slash_command("/news", "help", channel_id=CHANNEL, response_id="R-help")
    assert await workspace.post(body, secret="wrong-secret") == 401
    assert await workspace.post(body, timestamp=int(time.time()) - 600) == 401
    assert slack_server.responses == {}
    assert await workspace.post(body) == 200
    [answer] = slack_server.responses["R-help"]
    assert "/news company" in texts([answer]) and validate_blocks(answer["blocks"]) == []
    assert slack_server.count("auth.test") >= 1  # Bolt's first-request check, on our base URL


async def test_a_new_user_gets_a_digest_presses_buttons_and_asks_in_the_thread(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    # /news digest in a channel: a Block Kit digest with buttons, posted with chat.postMessage.
    await workspace.news("digest")
    digest = slack_server.posted[CHANNEL]
    assert digest, slack_server.responses
    first = digest[0]
    assert first["blocks"][0]["type"] == "header" and "digest" in first["text"].lower()
    assert first["unfurl_links"] is False
    for message in digest:
        assert validate_blocks(message["blocks"]) == []
    actions = button_actions([{"blocks": m["blocks"]} for m in digest])
    summaries = [a for a in actions if a.startswith("summary:")]
    assert summaries and any(a.startswith("quotes:") for a in actions)
    assert any(a.startswith("sources:") for a in actions)
    story = summaries[0]
    parent = next(m for m in digest if story in button_actions([{"blocks": m["blocks"]}]))

    # The Summary button: the longer summary, in the digest's thread.
    assert await workspace.press(story, parent["ts"]) == 200
    [long] = [m for m in slack_server.posted[CHANNEL] if m["thread_ts"] == parent["ts"]]
    assert long["blocks"][0]["type"] == "header"
    # The Sources button too.
    assert await workspace.press(story.replace("summary", "sources"), parent["ts"]) == 200
    in_thread = [m for m in slack_server.posted[CHANNEL] if m["thread_ts"] == parent["ts"]]
    assert len(in_thread) == 2 and "<http" in json.dumps(in_thread[1]["blocks"])

    # /news company huawei
    before = len(slack_server.posted[CHANNEL])
    await workspace.news("company huawei")
    company = slack_server.posted[CHANNEL][before:]
    assert company and "Huawei" in texts(company)

    # "summary 1" replied in the digest's thread: answered in that thread.
    await workspace.event(
        {
            "type": "message",
            "channel": CHANNEL,
            "user": "U0USER",
            "text": "summary 1",
            "ts": "1800000000.000100",
            "thread_ts": digest[0]["ts"],
            "channel_type": "channel",
        }
    )
    answered = [m for m in slack_server.posted[CHANNEL] if m["thread_ts"] == digest[0]["ts"]]
    assert answered and answered[-1]["blocks"][0]["type"] == "header"
    # A "summary" in a thread that is not ours is left alone.
    count = len(slack_server.posted[CHANNEL])
    await workspace.event(
        {
            "type": "message",
            "channel": CHANNEL,
            "user": "U0USER",
            "text": "summary",
            "ts": "1800000000.000200",
            "thread_ts": "1700000000.999999",
        }
    )
    assert len(slack_server.posted[CHANNEL]) == count

    # @newsbot company huawei: answered in the mention's thread.
    await workspace.event(
        {
            "type": "app_mention",
            "channel": CHANNEL,
            "user": "U0USER",
            "text": f"<@{BOT_USER_ID}> company huawei",
            "ts": "1800000000.000300",
        }
    )
    mention = slack_server.posted[CHANNEL][-1]
    assert mention["thread_ts"] == "1800000000.000300" and "Huawei" in texts([mention])

    # /news ask is for the channel; /news alone is help, for the asker alone.
    before = len(slack_server.posted[CHANNEL])
    await workspace.news("ask What did Huawei announce?")
    assert "Sources:" in texts(slack_server.posted[CHANNEL][before:])
    before = len(slack_server.posted[CHANNEL])
    helped = await workspace.news("")
    assert len(slack_server.posted[CHANNEL]) == before
    [answer] = slack_server.responses[helped]
    assert answer["response_type"] == "ephemeral" and "/news subscribe" in texts([answer])


async def test_only_configured_admins_change_a_channel(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    refused = await workspace.news("settings time 07:30", user="U0SOMEONE")
    [answer] = slack_server.responses[refused]
    assert answer["response_type"] == "ephemeral" and "admin" in answer["text"].lower()
    assert CHANNEL not in slack_server.posted
    await workspace.news("settings time 07:30 tz Europe/Berlin", user=ADMIN)
    await workspace.news("subscribe company huawei", user=ADMIN)
    shown = texts(slack_server.posted[CHANNEL])
    assert "07:30" in shown and "Huawei" in shown
    # In a direct message the user changes their own settings.
    await workspace.news("settings time 06:00", user="U0SOMEONE", channel="D0DM")
    assert "06:00" in texts(slack_server.posted["D0DM"])


async def test_answers_that_only_inform_the_asker_are_seen_by_them_alone(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    await workspace.news("start", user=ADMIN)  # registering the channel is news for everyone
    assert "/news digest" in texts(slack_server.posted[CHANNEL])
    in_channel = len(slack_server.posted[CHANNEL])
    shown = {}
    for text, user in [
        ("help", "U0USER"),
        ("settings", "U0USER"),
        ("subscribe", "U0USER"),
        ("unsubscribe", "U0USER"),
        ("feeds", ADMIN),
        ("settings", ADMIN),
    ]:
        [answer] = slack_server.responses[await workspace.news(text, user=user)]
        assert answer["response_type"] == "ephemeral", (text, answer)
        shown[text] = texts([answer])
    assert len(slack_server.posted[CHANNEL]) == in_channel  # nothing for the whole channel
    assert "/news quotes 2" in shown["help"] and "/news subscribe" in shown["help"]
    assert "/news settings time" in shown["settings"]

    # Stories, and every change with who made it, are for the channel.
    rid = await workspace.news("company huawei")
    assert "Huawei" in texts(slack_server.posted[CHANNEL][in_channel:])
    assert slack_server.responses[rid] == []
    in_channel = len(slack_server.posted[CHANNEL])
    rid = await workspace.news("settings time 07:30", user=ADMIN)
    changed = slack_server.posted[CHANNEL][in_channel:]
    assert "07:30" in texts(changed) and slack_server.responses[rid] == []
    in_channel = len(slack_server.posted[CHANNEL])
    await workspace.news("subscribe company huawei", user=ADMIN)
    assert "Huawei" in texts(slack_server.posted[CHANNEL][in_channel:])


def test_which_news_answers_are_private() -> None:
    private = ["", "help", "help me", "settings", "subscribe", "unsubscribe", "feeds"]
    private += ["feeds add https://example.com/feed", "feeds remove 2", "FEEDS"]
    public = ["start", "stop", "digest", "company huawei", "summary 2", "quotes 2", "sources"]
    public += ["ask who?", "what did huawei announce?", "settings time 07:30"]
    public += ["subscribe company huawei", "unsubscribe keyword 5g", "hello"]
    assert [t for t in private if not is_private(parse_news(t))] == []
    assert [t for t in public if is_private(parse_news(t))] == []


async def test_slack_errors_are_logged_and_the_user_gets_a_short_answer(
    workspace: Workspace, slack_server: SlackAPIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack_server.fail_next("chat.postMessage", "internal_error")
    rid = await workspace.news("company huawei")
    [answer] = slack_server.responses[rid]
    assert answer["response_type"] == "ephemeral"
    assert "internal_error" in answer["text"] and "Traceback" not in answer["text"]
    refused = [r for r in caplog.records if r.getMessage() == "slack refused a message"]
    assert refused and refused[0].__dict__["error"] == "internal_error"
    assert not any(r.exc_info for r in caplog.records if r.name.startswith("newsbot"))

    # Where the bot is not a member, the answer goes through the command's response_url.
    slack_server.kick("C0OUT")
    rid = await workspace.news("company huawei", channel="C0OUT")
    [shared] = slack_server.responses[rid]
    assert shared["response_type"] == "in_channel" and "Huawei" in json.dumps(shared)


# --- posting: rate limits and long digests -----------------------------------------------------


def _digest(stories: int) -> Reply:
    reply = Reply([Heading(f"Your digest: {stories} stories")])
    for n in range(1, stories + 1):
        reply.add(
            para(Bold(f"{n}. Story {n}: <!channel> & @here")),
            para("What happened, in two sentences of a summary. " * 6),
            QuoteBlock(f"We said {n} things", "A spokesperson"),
            para("2026-11-25 08:00 UTC · 1 source: ", Link("Wire", f"https://w.example/{n}")),
            Buttons((Button("Summary", f"summary:{n}"), Button("Quotes", f"quotes:{n}"))),
        )
    return reply


def _bot(server: SlackAPIServer, settings: Settings, pace: float) -> SlackBot:
    return SlackBot(None, slack_settings(settings, server), pace_seconds=pace)  # type: ignore[arg-type]


async def test_a_60_story_digest_is_split_in_order_within_the_limits(
    slack_server: SlackAPIServer,
) -> None:
    slack_server.enforce_limits = True  # one message per second per channel, else 429
    bot = _bot(slack_server, Settings(), pace=1.0)
    sent = await bot.send("C0BIG", _digest(60))
    posted = slack_server.posted["C0BIG"]
    assert [m["ts"] for m in posted] == sent and len(sent) >= 2
    assert slack_server.too_many_requests == 0
    for part, message in enumerate(posted, start=1):
        assert validate_blocks(message["blocks"]) == []
        assert message["text"].endswith(f"({part}/{len(posted)})")
        assert "<!channel>" not in json.dumps(message)
    numbers = [a for a in button_actions(posted) if a.startswith("summary:")]
    assert numbers == [f"summary:{n}" for n in range(1, 61)]
    # Every message remembers its own stories, for "summary N" in its thread.
    assert [s for ts in sent for s in bot.posted[("C0BIG", ts)].stories] == list(range(1, 61))


async def test_an_answer_longer_than_a_response_url_takes_says_what_is_missing(
    slack_server: SlackAPIServer,
) -> None:
    bot = _bot(slack_server, Settings(), pace=0.0)
    reply = _digest(200)  # far more than five messages
    url = slack_server.response_url("long")
    await bot.respond(url, reply, ephemeral=True)
    got = slack_server.responses["long"]
    assert len(got) == 5  # all Slack takes; none refused
    assert [m["response_type"] for m in got] == ["ephemeral"] * 5
    assert "more messages that Slack won't take" in got[-1]["text"]
    assert "direct message" in got[-1]["text"]
    shown = [a for a in button_actions(got[:-1]) if a.startswith("summary:")]
    assert shown == [f"summary:{n}" for n in range(1, len(shown) + 1)] and shown


async def test_429_retry_after_holds_up_that_channel_only(slack_server: SlackAPIServer) -> None:
    bot = _bot(slack_server, Settings(), pace=0.0)
    slack_server.fail_next("chat.postMessage", "ratelimited", channel="C0SLOW", retry_after=1)
    done: dict[str, float] = {}
    began = time.monotonic()

    async def send(channel: str) -> None:
        await bot.send(channel, Reply.message(f"hello {channel}"))
        done[channel] = time.monotonic() - began

    counted = metrics.RATE_LIMITED.labels("slack")._value.get()
    await asyncio.gather(send("C0SLOW"), send("C0FAST"))
    assert done["C0FAST"] < 0.8 <= 1.0 <= done["C0SLOW"]
    assert [m["text"] for m in slack_server.posted["C0SLOW"]] == ["hello C0SLOW"]
    assert slack_server.too_many_requests == 1
    assert metrics.RATE_LIMITED.labels("slack")._value.get() == counted + 1  # on /metrics


def test_news_subcommands_and_thread_numbers() -> None:
    assert parse_news("company  Huawei").name == "company"
    assert parse_news("company  Huawei").args == "Huawei"
    assert parse_news(f"<@{BOT_USER_ID}> ask who?").name == "ask"
    assert parse_news("").name == "help"
    ids, numbers = story_numbers(_digest(3))
    assert ids == [1, 2, 3] and numbers == {1: 1, 2: 2, 3: 3}


# --- inside `newsbot run` ----------------------------------------------------------------------


async def test_due_channels_get_their_digest_on_schedule_and_thread_follow_ups_survive(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.chat.slack.send import encode_parts
    from bot.delivery.planner import DigestPlanner
    from bot.delivery.worker import DeliveryWorker
    from bot.store.chats import ChatStore
    from bot.store.outbox import Outbox

    soon = datetime.now(UTC) + timedelta(minutes=1)
    store = workspace.bot.core.store
    due, later = soon.strftime("%H:%M"), (soon + timedelta(hours=2)).strftime("%H:%M")
    await ChatStore(store).ensure("slack", "C0DAILY", timezone="UTC", digest_time=due)
    await ChatStore(store).ensure("slack", "C0LATER", timezone="UTC", digest_time=later)
    slack_server.add_channel("C0DAILY", "daily")
    outbox = Outbox(store, "test", lease=timedelta(seconds=30))
    planner = DigestPlanner(
        workspace.bot.core.store,
        workspace.bot.core.digests,
        workspace.bot.core.gate.access.admits_scheduled,
        outbox,
        {"slack": encode_parts},
        grace=timedelta(minutes=30),
    )
    at = soon.replace(second=30)
    assert await planner.plan_due(at) == 1
    await DeliveryWorker(outbox, {"slack": workspace.bot.sender}).drain()
    assert "C0LATER" not in slack_server.posted
    posted = slack_server.posted["C0DAILY"]
    assert posted[0]["blocks"][0]["type"] == "header"
    assert posted[0]["metadata"]["event_payload"]["key"].endswith(":part0")
    assert await planner.plan_due(at + timedelta(seconds=20)) == 0  # once per slot

    # A restart forgets what was posted; "summary 1" in the digest's thread still works.
    workspace.bot.posted.clear()
    before = len(slack_server.posted["C0DAILY"])
    await workspace.event(
        {
            "type": "message",
            "channel": "C0DAILY",
            "user": "U0USER",
            "text": "summary 1",
            "ts": "1800000000.000900",
            "thread_ts": posted[0]["ts"],
            "channel_type": "channel",
        }
    )
    replies = slack_server.posted["C0DAILY"][before:]
    assert replies and replies[0]["thread_ts"] == posted[0]["ts"]
    assert replies[0]["blocks"][0]["type"] == "header"


def test_newsbot_run_serves_slack_over_http_and_stops_on_sigterm(
    tmp_path: Path, slack_server: SlackAPIServer
) -> None:
    port = _free_port()
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "newsbot.db"}"\n'
        f'[ingest]\nfeeds_file = "{tmp_path / "none.opml"}"\n'
        f'[slack]\nbase_url = "{slack_server.base_url}"\nmode = "http"\nport = {port}\n'
    )
    env = {
        **os.environ,
        "NEWSBOT_CONFIG": str(config),
        "NEWSBOT_SLACK__BOT_TOKEN": slack_server.token,
        "NEWSBOT_SLACK__SIGNING_SECRET": SECRET,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = slack_server.slash_command("/news", "help", channel_id=CHANNEL, response_id="R1")
        status = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and status is None:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/slack/events",
                    data=body,
                    headers=signed_headers(body, SECRET),
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    status = response.status
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.2)
        assert status == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not slack_server.responses["R1"]:
            time.sleep(0.1)
        assert "/news company" in texts(slack_server.responses["R1"])
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "slack listening" in err and "stopping" in err
    assert "/slack/events HTTP" not in err and "apscheduler" not in err  # no line per request
    assert "Traceback" not in err


def test_the_manifest_defines_news_socket_mode_and_the_scopes() -> None:
    manifest = (ROOT / "slack-app-manifest.yml").read_text(encoding="utf-8")
    assert "- command: /news" in manifest and "socket_mode_enabled: true" in manifest
    for scope in ("chat:write", "commands", "app_mentions:read", "channels:history", "users:read"):
        assert f"- {scope}" in manifest
    for event in ("app_mention", "message.channels"):
        assert f"- {event}" in manifest
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "slack-app-manifest.yml" in readme and "NEWSBOT_SLACK__APP_TOKEN" in readme


# --- Slack's words, story numbers, plain text, follow-ups in threads ---------------------------


def numbered_titles(messages: list[dict[str, Any]]) -> dict[int, str]:
    """A digest's stories as Slack shows them: number → title."""
    import re

    found = {}
    for line in blocks_text([{"blocks": m["blocks"] or []} for m in messages]).splitlines():
        match = re.match(r"^(\d+)\. (.+)$", line)
        if match:
            found[int(match[1])] = match[2]
    return found


def header(message: dict[str, Any]) -> str:
    block = message["blocks"][0]
    assert block["type"] == "header", message
    return str(block["text"]["text"])


async def thread_says(workspace: Workspace, text: str, thread_ts: str) -> list[dict[str, Any]]:
    """A user replies ``text`` in a thread; returns what the bot posted in it for everyone, then
    what it showed the user alone (ephemeral, ``"ephemeral": True``)."""
    posted = workspace.server.posted[CHANNEL]
    before = len(posted)
    shown = len(workspace.server.ephemeral[CHANNEL])
    await workspace.event(
        {
            "type": "message",
            "channel": CHANNEL,
            "user": "U0USER",
            "text": text,
            "ts": f"1800000001.{time.monotonic_ns() % 1_000_000:06d}",
            "thread_ts": thread_ts,
            "channel_type": "channel",
        }
    )
    public = [m for m in workspace.server.posted[CHANNEL][before:] if m["thread_ts"] == thread_ts]
    alone = workspace.server.ephemeral[CHANNEL][shown:]
    return public + [{**m, "ephemeral": True} for m in alone if m["thread_ts"] == thread_ts]


TELEGRAM_STYLE = r"(?<!/news )/(settings|subscribe|unsubscribe|digest|stop|start|help|company)\b"


async def test_replies_name_slack_commands_and_admins(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    import re

    await workspace.news("start", user=ADMIN)
    welcome = texts(slack_server.posted[CHANNEL][-1:])
    assert "/news settings time 07:30" in welcome and "/news subscribe company" in welcome
    assert "/news digest" in welcome and not re.search(TELEGRAM_STYLE, welcome), welcome

    helped = texts(slack_server.responses[await workspace.news("help")])
    assert "topic" not in helped and "[empty silent|notice]" in helped and "/news stop" in helped
    assert "/news quotes 2" in helped and not re.search(TELEGRAM_STYLE, helped)

    topic = await workspace.news("settings topic here", user=ADMIN)
    [answer] = slack_server.responses[topic]
    assert answer["text"] == "There are no forum topics here: the digest goes to this chat itself."

    for command in ("settings time 07:30", "stop"):
        refused = await workspace.news(command, user="U0SOMEONE")
        [answer] = slack_server.responses[refused]
        assert answer["text"].startswith("Only this workspace's newsbot admins can ")
        assert "[slack] admins" in answer["text"] and "administrators" not in answer["text"]
    await workspace.news("stop", user=ADMIN)
    stopped = texts(slack_server.posted[CHANNEL][-1:])
    assert stopped.startswith(
        f"<@{ADMIN}> set this for the channel:\nDigests paused. /news start brings them back."
    )


async def test_a_number_is_the_story_of_the_channel_s_latest_digest(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    await workspace.news("digest")
    digest = list(slack_server.posted[CHANNEL])
    titles = numbered_titles(digest)
    count = len(titles)
    assert count >= 3
    last = texts(digest[-1:])
    n = 2 if 2 in numbered_titles(digest[-1:]) else min(numbered_titles(digest[-1:]))
    assert f"Reply “summary {n}” in this thread for story {n}'s longer summary" in last
    assert "Reply “summary” to a story" not in last

    await workspace.news("summary 2")
    assert header(slack_server.posted[CHANNEL][-1]) == titles[2]
    too_far = await workspace.news(f"quotes {count + 1}")
    [answer] = slack_server.responses[too_far]
    assert answer["text"] == (
        f"Your latest digest has {count} stories: send /news quotes 1 to {count}, or press a "
        "story's Quotes button."
    )
    parent = next(m for m in digest if 2 in numbered_titles([m]))
    in_thread = await thread_says(workspace, "summary 2", parent["ts"])
    assert [header(m) for m in in_thread[:1]] == [titles[2]]


async def test_plain_words_to_newsbot_are_read_not_refused(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    await workspace.event(
        {
            "type": "app_mention",
            "channel": CHANNEL,
            "user": "U0USER",
            "text": f"<@{BOT_USER_ID}> what did huawei announce?",
            "ts": "1800000000.000400",
        }
    )
    answer = slack_server.posted[CHANNEL][-1]
    assert answer["thread_ts"] == "1800000000.000400"
    assert "Sources:" in texts([answer]) and "/what" not in texts([answer])

    hello = await workspace.news("hello")
    [hint] = slack_server.responses[hello]
    assert hint["text"] == (
        "I didn't catch that. Try /news company huawei, ask a question, or /news help."
    )
    before = len(slack_server.posted[CHANNEL])
    await workspace.news("Why did Alphabet shares rise")
    assert "Sources:" in texts(slack_server.posted[CHANNEL][before:])


async def test_quotes_and_sources_replied_in_a_digest_thread(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    await workspace.news("digest")
    digest = list(slack_server.posted[CHANNEL])
    titles = numbered_titles(digest)
    parent = next(m for m in digest if 2 in numbered_titles([m]))
    quotes = await thread_says(workspace, "quotes 2", parent["ts"])
    assert quotes and header(quotes[0]) == titles[2]
    sources = await thread_says(workspace, "Sources 2", parent["ts"])
    assert sources and header(sources[0]) == titles[2] and "<http" in json.dumps(sources[0])
    more = await thread_says(workspace, "tell me more", parent["ts"])
    assert more and texts(more).startswith("Which story? Reply “summary” and its number")
    # The question back is for the asker alone, not the channel.
    assert [(m.get("ephemeral"), m["user"]) for m in more] == [(True, "U0USER")]


# --- each event answered once, changes named, questions back to the asker ---------------------


async def test_a_mention_in_a_digest_thread_is_answered_once_though_slack_sends_it_twice(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    await workspace.news("digest")
    digest = list(slack_server.posted[CHANNEL])
    titles = numbered_titles(digest)
    parent = next(m for m in digest if 2 in numbered_titles([m]))
    said = {
        "channel": CHANNEL,
        "user": "U0USER",
        "text": f"<@{BOT_USER_ID}> summary 2",
        "ts": "1800000002.000100",
        "thread_ts": parent["ts"],
    }
    # The manifest subscribes to app_mention and message.channels: Slack sends both.
    await workspace.event({"type": "app_mention", **said})
    await workspace.event({"type": "message", "channel_type": "channel", **said})
    answers = [m for m in slack_server.posted[CHANNEL] if m["thread_ts"] == parent["ts"]]
    assert [header(m) for m in answers] == [titles[2]]


async def test_a_retried_event_is_answered_once(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    mention = {
        "type": "app_mention",
        "channel": CHANNEL,
        "user": "U0USER",
        "text": f"<@{BOT_USER_ID}> company huawei",
        "ts": "1800000003.000100",
    }
    body = json.dumps(slack_server.event_callback(mention)).encode()
    kind = "application/json"
    assert await workspace.post(body, content_type=kind) == 200
    assert await workspace.post(body, content_type=kind, retry=1) == 200  # same event_id
    assert await workspace.post(body, content_type=kind, retry=2) == 200
    answers = [m for m in slack_server.posted[CHANNEL] if m["thread_ts"] == mention["ts"]]
    assert len(answers) == 1 and "Huawei" in texts(answers)


async def test_a_public_change_names_who_made_it(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    await workspace.news("settings time 07:30 tz Europe/Berlin", user=ADMIN)
    [saved] = slack_server.posted[CHANNEL]
    assert saved["blocks"][0]["elements"][0]["text"] == f"<@{ADMIN}> set this for the channel:"
    assert texts([saved]).startswith(f"<@{ADMIN}> set this for the channel:\nSettings saved")
    assert validate_blocks(saved["blocks"]) == []
    await workspace.news("subscribe company huawei", user=ADMIN)
    assert texts(slack_server.posted[CHANNEL][-1:]).startswith(f"<@{ADMIN}> set this")
    # What only reads names no one.
    await workspace.news("company huawei", user=ADMIN)
    assert "<@" not in texts(slack_server.posted[CHANNEL][-1:])
