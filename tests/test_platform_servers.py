"""The loopback Telegram and Slack servers speak well enough for the REAL client libraries.

python-telegram-bot and slack_sdk / slack_bolt run unchanged against tests/telegram_api.py and
tests/slack_api.py; these tests pin down the shapes the rest of the suite relies on.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import telegram
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fakes.loopback import wait_until
from tests.fakes.slack_api import SlackAPIServer, sign, signed_headers
from tests.fakes.telegram_api import BotAPIServer, parse_html

TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"

# PTB 22 warns, whenever a RetryAfter is built, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


# --- Telegram -----------------------------------------------------------------------------------


@pytest.fixture
def tg_server() -> Iterator[BotAPIServer]:
    with BotAPIServer() as server:
        yield server


@pytest.fixture
async def bot(tg_server: BotAPIServer) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        TOKEN, base_url=f"{tg_server.base_url}/bot", base_file_url=tg_server.base_file_url
    ) as bot:
        yield bot


def _seconds(error: RetryAfter) -> float:
    value = error.retry_after  # an int in PTB 22 (a timedelta with PTB_TIMEDELTA=1)
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def test_bot_sends_html_and_the_server_records_it(
    bot: telegram.Bot, tg_server: BotAPIServer
) -> None:
    me = await bot.get_me()
    assert me.username == "newsbot_test_bot" and me.id == 123456

    keyboard = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("More", callback_data="more:1")]]
    )
    first = await bot.send_message(
        42,
        '<b>Huawei</b> &amp; <a href="https://example.com/a">ZTE</a> 😀 <i>x</i>',
        parse_mode="HTML",
        reply_markup=keyboard,
        disable_web_page_preview=True,
        message_thread_id=7,
    )
    second = await bot.send_message(42, "plain", reply_to_message_id=first.message_id)

    assert first.text == "Huawei & ZTE 😀 x"
    assert [(e.type, e.offset, e.length) for e in first.entities] == [
        ("bold", 0, 6),
        ("text_link", 9, 3),
        ("italic", 16, 1),  # UTF-16 offsets: the emoji counts two
    ]
    assert first.text_html.startswith("<b>Huawei</b> &amp; <a href")
    assert second.message_id == first.message_id + 1
    assert second.reply_to_message.message_id == first.message_id

    record = tg_server.sent[42][0]
    assert record["parse_mode"] == "HTML" and record["plain"] == first.text
    assert record["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more:1"
    assert record["disable_web_page_preview"] is True
    assert record["message_thread_id"] == 7
    assert tg_server.sent[42][1]["reply_to"] == first.message_id
    assert tg_server.count("sendMessage") == 2


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<p>para</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("1 < 2", "byte offset 2"),
        ("a &nbsp; b", 'Unsupported HTML entity "&nbsp;"'),
        ('<span class="x">s</span>', 'must have class "tg-spoiler"'),
        ("<code><b>x</b></code>", "can't be nested"),
    ],
)
async def test_invalid_html_is_a_bad_request(bot: telegram.Bot, text: str, detail: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
        await bot.send_message(1, text, parse_mode="HTML")
    assert detail.lower() in caught.value.message.lower()  # PTB re-capitalizes the message


def test_html_parser_accepts_all_of_telegrams_tags() -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://x.org/?a=1&amp;b=2">l</a><code>c</code>'
        '<pre><code class="language-python">print(1)</code></pre>'
        "<blockquote expandable>quote</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &lt;&gt;&quot;&#39;&#x27;'
    )
    plain, entities = parse_html(text)
    assert plain.endswith("👍 <>\"''")
    kinds = {e["type"] for e in entities}
    assert kinds >= {"bold", "italic", "underline", "strikethrough", "spoiler", "text_link"}
    assert {"type": "pre", "offset": 13, "length": 8, "language": "python"} in entities
    assert any(e["type"] == "expandable_blockquote" for e in entities)
    assert next(e for e in entities if e["type"] == "text_link")["url"] == "https://x.org/?a=1&b=2"


async def test_length_and_button_limits(bot: telegram.Bot, tg_server: BotAPIServer) -> None:
    await bot.send_message(5, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # tags don't count
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(5, "x" * 4097)
    long_data = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("b", callback_data="d" * 65)]]
    )
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(5, "x", reply_markup=long_data)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(5, "<b> </b>", parse_mode="HTML")
    assert len(tg_server.sent[5]) == 1


async def test_scripted_errors_surface_as_ptb_exceptions(
    bot: telegram.Bot, tg_server: BotAPIServer
) -> None:
    tg_server.fail_next(42, "retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(42, "one")
    assert _seconds(flood.value) == 7
    assert tg_server.too_many_requests == 1
    await bot.send_message(42, "one")  # only the next request failed

    tg_server.block(42)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "two")
    tg_server.unblock(42)
    await bot.send_message(42, "two")

    tg_server.migrate(-4242, -1001234567890)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-4242, "digest")
    assert migrated.value.new_chat_id == -1001234567890
    await bot.send_message(migrated.value.new_chat_id, "digest")

    assert [m["plain"] for m in tg_server.sent[42]] == ["one", "two"]
    assert [m["plain"] for m in tg_server.sent[-1001234567890]] == ["digest"]


async def test_flood_limits_when_enforced(bot: telegram.Bot, tg_server: BotAPIServer) -> None:
    now = [1000.0]
    tg_server.clock = lambda: now[0]
    tg_server.enforce_limits = True
    await bot.send_message(7, "a")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(7, "b")  # 1 message/s in a private chat
    assert _seconds(flood.value) == 1
    await bot.send_message(8, "other chat is fine")
    now[0] += 1.0
    await bot.send_message(7, "b")

    for n in range(20):  # 20 messages/minute in a group
        now[0] += 1.0
        await bot.send_message(-100, f"g{n}")
    with pytest.raises(RetryAfter) as group_flood:
        await bot.send_message(-100, "one too many")
    assert 1 <= _seconds(group_flood.value) <= 60
    assert tg_server.too_many_requests == 2


async def test_chat_members_commands_and_webhook(
    bot: telegram.Bot, tg_server: BotAPIServer
) -> None:
    tg_server.set_member(-100, 1, "creator")
    tg_server.set_member(-100, 2, "administrator")
    assert (await bot.get_chat_member(-100, 1)).status == "creator"
    admin = await bot.get_chat_member(-100, 2)
    assert isinstance(admin, telegram.ChatMemberAdministrator)
    assert (await bot.get_chat_member(-100, 3)).status == "member"

    await bot.set_my_commands([("company", "News about a company"), ("ask", "Ask a question")])
    assert [c.command for c in await bot.get_my_commands()] == ["company", "ask"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Command", "x")])

    assert await bot.set_webhook("https://bot.example.com/tg", secret_token="s3cret_-")
    assert tg_server.webhook["secret_token"] == "s3cret_-"
    assert (await bot.get_webhook_info()).url == "https://bot.example.com/tg"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    with pytest.raises(BadRequest, match=r"(?i)HTTPS URL"):
        await bot.set_webhook("http://bot.example.com/tg")
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_application_polls_replies_and_shuts_down_cleanly(
    tg_server: BotAPIServer,
) -> None:
    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("Subscribe", callback_data="sub")]]
        )
        await update.effective_message.reply_html(
            "<b>Welcome!</b>", reply_markup=keyboard, do_quote=True
        )

    async def pressed(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Subscribed")
        await update.callback_query.edit_message_text("Subscribed ✅")

    app: Application = (
        ApplicationBuilder().token(TOKEN).base_url(f"{tg_server.base_url}/bot").build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=10))
        await app.start()
        asked = tg_server.user_says(42, "/start", user_id=42)
        [welcome] = await tg_server.wait_sent(42)
        assert welcome["plain"] == "Welcome!" and welcome["reply_to"] == asked["message_id"]

        tg_server.user_presses(42, welcome["message_id"], "sub", user_id=42)
        for _ in range(500):
            if tg_server.edits[42]:
                break
            await asyncio.sleep(0.01)
        assert tg_server.edits[42][0]["plain"] == "Subscribed ✅"
        assert tg_server.callback_answers[0]["text"] == "Subscribed"
        assert "reply_markup" not in tg_server.message(42, welcome["message_id"])

        began = time.monotonic()
        await app.updater.stop()
        await app.stop()
        assert time.monotonic() - began < 3  # the parked 10-second poll did not hold us up
    assert tg_server.count("getUpdates") >= 2


async def test_a_parked_poll_is_released_when_the_server_stops() -> None:
    server = BotAPIServer()
    server.start()
    try:
        async with telegram.Bot(TOKEN, base_url=f"{server.base_url}/bot") as bot:
            poll = asyncio.create_task(bot.get_updates(timeout=30))
            await wait_until(lambda: server.parked == 1, 5, "the poll to park")
            assert not poll.done()
            began = time.monotonic()
            await asyncio.to_thread(server.stop)
            assert await asyncio.wait_for(poll, 5) == ()
            assert time.monotonic() - began < 3
    finally:
        server.stop()


async def test_get_updates_offsets_and_long_polling(
    bot: telegram.Bot, tg_server: BotAPIServer
) -> None:
    tg_server.user_says(-100, "hello", user_id=1, chat_type="supergroup", thread_id=3)
    [first] = await bot.get_updates(timeout=0)
    assert first.message.text == "hello" and first.message.message_thread_id == 3
    assert await bot.get_updates(offset=first.update_id + 1, timeout=0) == ()

    async def later() -> None:
        await wait_until(lambda: tg_server.parked == 1, 5, "the long poll to park")
        tg_server.user_says(-100, "/company@newsbot_test_bot huawei", user_id=1)

    task = asyncio.create_task(later())
    began = time.monotonic()
    [second] = await bot.get_updates(offset=first.update_id + 1, timeout=5)
    await task
    assert time.monotonic() - began < 2  # answered when the update arrived, not at the timeout
    assert second.message.entities[0].type == "bot_command"
    assert second.message.entities[0].length == len("/company@newsbot_test_bot")


# --- Slack --------------------------------------------------------------------------------------


@pytest.fixture
def slack_server() -> Iterator[SlackAPIServer]:
    with SlackAPIServer() as server:
        yield server


@pytest.fixture
def client(slack_server: SlackAPIServer) -> AsyncWebClient:
    return AsyncWebClient(token=slack_server.token, base_url=slack_server.base_url)


async def test_slack_client_posts_and_the_server_records(
    client: AsyncWebClient, slack_server: SlackAPIServer
) -> None:
    auth = await client.auth_test()
    assert auth["team_id"] == "T0NEWSBOT" and auth["user_id"] and auth["bot_id"]

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Huawei* news"}}]
    first = await client.chat_postMessage(
        channel="C0NEWS", text="Huawei news", blocks=blocks, unfurl_links=False
    )
    reply = await client.chat_postMessage(channel="C0NEWS", text="more", thread_ts=first["ts"])
    assert first["ts"] == "1700000000.000100" and reply["ts"] == "1700000000.000200"
    assert first["message"]["blocks"] == blocks

    updated = await client.chat_update(channel="C0NEWS", ts=first["ts"], text="edited")
    assert updated["message"]["text"] == "edited"
    info = await client.conversations_info(channel="C0NEWS")
    assert info["channel"]["is_member"] is True
    slack_server.add_user("U0ANN", "ann", tz="Asia/Tokyo", tz_offset=32400)
    assert (await client.users_info(user="U0ANN"))["user"]["tz"] == "Asia/Tokyo"

    posted = slack_server.posted["C0NEWS"]
    assert posted[0]["blocks"] == blocks and posted[0]["unfurl_links"] is False
    assert posted[1]["thread_ts"] == first["ts"]
    assert slack_server.updated["C0NEWS"][0]["text"] == "edited"


async def test_slack_errors_are_slack_api_errors(
    client: AsyncWebClient, slack_server: SlackAPIServer
) -> None:
    async def error_of(**kwargs: object) -> str:
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(**kwargs)
        return caught.value.response["error"]

    slack_server.remove_channel("C0GONE")
    slack_server.kick("C0OUT")
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    divider = {"type": "divider"}
    assert await error_of(channel="C0GONE", text="x") == "channel_not_found"
    assert await error_of(channel="", text="x") == "channel_not_found"
    assert await error_of(channel="C0OUT", text="x") == "not_in_channel"
    assert await error_of(channel="C0NEWS", text="x", blocks=[section]) == "invalid_blocks"
    assert await error_of(channel="C0NEWS", text="x", blocks=[divider] * 51) == "invalid_blocks"
    with pytest.warns(UserWarning, match="top-level `text`"):  # slack_sdk's own advice
        assert await error_of(channel="C0NEWS") == "no_text"

    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0NEWS", text="x", blocks=[section])
    assert "must be less than 3001 characters" in caught.value.response["errors"][0]

    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack_server.base_url)
    with pytest.raises(SlackApiError) as bad_auth:
        await wrong.auth_test()
    assert bad_auth.value.response["error"] == "invalid_auth"
    assert slack_server.posted == {}


async def test_rate_limit_is_retried_by_the_sdk_handler(slack_server: SlackAPIServer) -> None:
    plain = AsyncWebClient(token=slack_server.token, base_url=slack_server.base_url)
    slack_server.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    with pytest.raises(SlackApiError) as caught:
        await plain.chat_postMessage(channel="C0NEWS", text="x")
    assert caught.value.response.status_code == 429
    assert caught.value.response["error"] == "ratelimited"
    assert caught.value.response.headers["retry-after"] in ("1", ["1"])

    patient = AsyncWebClient(
        token=slack_server.token,
        base_url=slack_server.base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack_server.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    began = time.monotonic()
    sent = await patient.chat_postMessage(channel="C0NEWS", text="after the wait")
    assert sent["ok"] and time.monotonic() - began >= 1.0
    assert slack_server.count("chat.postMessage") == 3
    assert slack_server.too_many_requests == 2
    assert [m["text"] for m in slack_server.posted["C0NEWS"]] == ["after the wait"]


async def test_slack_per_channel_limit_when_enforced(
    client: AsyncWebClient, slack_server: SlackAPIServer
) -> None:
    now = [50.0]
    slack_server.clock = lambda: now[0]
    slack_server.enforce_limits = True
    await client.chat_postMessage(channel="C0A", text="1")
    await client.chat_postMessage(channel="C0B", text="1")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0A", text="2")
    assert caught.value.response.status_code == 429
    now[0] += 1.0
    await client.chat_postMessage(channel="C0A", text="2")
    assert slack_server.too_many_requests == 1


def test_signatures_verify_and_stale_or_wrong_ones_fail() -> None:
    body = b"command=%2Fnews&text=huawei"
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, sign(body, SECRET))
    assert not verifier.is_valid_request(body, sign(body, "another-secret"))
    assert not verifier.is_valid_request(body + b"x", sign(body, SECRET))
    assert not verifier.is_valid_request(body, sign(body, SECRET, int(time.time()) - 600))


async def test_bolt_app_gets_signed_commands_and_actions(slack_server: SlackAPIServer) -> None:
    app = AsyncApp(
        client=AsyncWebClient(token=slack_server.token, base_url=slack_server.base_url),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @app.command("/news")
    async def news(
        ack: AsyncAck, respond: AsyncRespond, command: dict, client: AsyncWebClient
    ) -> None:
        await ack()
        await respond(text=f"Looking up {command['text']}")
        await client.chat_postMessage(channel=command["channel_id"], text="digest")

    @app.action("more")
    async def more(ack: AsyncAck, body: dict, respond: AsyncRespond) -> None:
        await ack()
        await respond(text=f"more for {body['actions'][0]['value']}", replace_original=False)

    body = slack_server.slash_command("/news", "huawei", channel_id="C0NEWS", response_id="R1")
    answer = await app.async_dispatch(
        AsyncBoltRequest(body=body.decode(), headers=signed_headers(body, SECRET))
    )
    assert answer.status == 200
    assert slack_server.responses["R1"] == [{"text": "Looking up huawei"}]
    assert slack_server.posted["C0NEWS"][0]["text"] == "digest"

    ts = slack_server.posted["C0NEWS"][0]["ts"]
    press = slack_server.block_actions("more", "story-7", channel_id="C0NEWS", message_ts=ts)
    answer = await app.async_dispatch(
        AsyncBoltRequest(body=press.decode(), headers=signed_headers(press, SECRET))
    )
    assert answer.status == 200
    [bodies] = [v for k, v in slack_server.responses.items() if k != "R1"]
    assert bodies[0]["text"] == "more for story-7" and bodies[0]["replace_original"] is False

    forged = await app.async_dispatch(
        AsyncBoltRequest(body=body.decode(), headers=signed_headers(body, "wrong-secret"))
    )
    stale = await app.async_dispatch(
        AsyncBoltRequest(
            body=body.decode(),
            headers=signed_headers(body, SECRET, timestamp=int(time.time()) - 600),
        )
    )
    assert forged.status == 401 and stale.status == 401
    assert json.loads(forged.body or "{}") == {"error": "invalid request"}
    assert slack_server.count("auth.test") >= 1
