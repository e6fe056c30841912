"""The delivery worker end to end: the outbox on SQLite and PostgreSQL, the REAL
python-telegram-bot and slack_sdk clients against the loopback Bot API and Web API servers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.chat.slack.send import SlackSender
from bot.chat.slack.send import encode_parts as slack_parts
from bot.chat.telegram.send import TelegramSender
from bot.chat.telegram.send import encode_parts as telegram_parts
from bot.delivery.pacing import Pacer
from bot.delivery.worker import DeliveryWorker
from bot.reply import Heading, Reply, para
from bot.store import Store
from bot.store.chats import ChatStore
from bot.store.outbox import Outbox
from tests.fakes.slack_api import SlackAPIServer
from tests.fakes.telegram_api import BotAPIServer

TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"
SLOT = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
def tg_server() -> Iterator[BotAPIServer]:
    with BotAPIServer() as server:
        yield server


def telegram_bot(server: BotAPIServer) -> Bot:
    request = HTTPXRequest(connection_pool_size=64)
    return Bot(TOKEN, base_url=f"{server.base_url}/bot", request=request)


def digest(chat: int, parts: int) -> Reply:
    """A reply that renders as ``parts`` Telegram messages (each paragraph nearly fills one)."""
    reply = Reply([Heading(f"Morning digest for {chat}")])
    for n in range(parts):
        reply.add(para(f"Part {n + 1} of chat {chat}. " + "word " * 780))
    return reply


async def plan(
    outbox: Outbox, store: Store, chat_key: str, parts: list[str], slot: datetime = SLOT
) -> int:
    chat_id = await store.ensure_chat("telegram", chat_key, timezone="UTC", digest_time="08:00")
    digest_id = await outbox.plan(
        chat_id=chat_id,
        platform="telegram",
        slot=slot,
        window_start=None,
        window_end=slot,
        story_count=1,
        parts=parts,
    )
    assert digest_id is not None
    return chat_id


def texts(server: BotAPIServer, chat: int) -> list[str]:
    return [m["plain"] for m in server.sent[chat]]


async def test_every_part_arrives_once_in_order_within_telegram_limits(
    store: Store, tg_server: BotAPIServer
) -> None:
    tg_server.enforce_limits = True
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    chats = list(range(1001, 1041))
    for chat in chats:
        await plan(outbox, store, str(chat), telegram_parts(digest(chat, 2)))
    async with telegram_bot(tg_server) as bot:
        worker = DeliveryWorker(outbox, {"telegram": TelegramSender(bot, Pacer.telegram())})
        await worker.drain()
    assert tg_server.too_many_requests == 0
    for chat in chats:
        got = texts(tg_server, chat)
        assert len(got) == 2, chat
        assert got[0].startswith(f"Morning digest for {chat}\n\nPart 1 of chat {chat}.")
        assert got[1].startswith(f"Part 2 of chat {chat}.")
        assert tg_server.sent[chat][0]["link_preview_options"]["is_disabled"] is True
        # one notification per digest: the first part rings, the rest arrive silently
        assert [m["disable_notification"] for m in tg_server.sent[chat]] == [None, True]
    assert await outbox.counts() == {"sent": 80}


async def test_a_429_holds_back_that_chat_only(store: Store, tg_server: BotAPIServer) -> None:
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    for chat in (2001, 2002, 2003):
        await plan(outbox, store, str(chat), telegram_parts(digest(chat, 1)))
    tg_server.fail_next(2001, "retry_after", retry_after=2)
    async with telegram_bot(tg_server) as bot:
        worker = DeliveryWorker(outbox, {"telegram": TelegramSender(bot, Pacer.telegram())})
        started = asyncio.get_running_loop().time()
        task = asyncio.create_task(worker.drain())
        await tg_server.wait_sent(2002)
        await tg_server.wait_sent(2003)
        others = asyncio.get_running_loop().time() - started
        assert texts(tg_server, 2001) == []  # still held
        await task
    assert others < 1.5  # the other chats did not wait out chat 2001's two seconds
    assert len(texts(tg_server, 2001)) == 1 and tg_server.too_many_requests == 1


async def test_a_blocked_chat_is_paused_and_the_rest_delivered(
    store: Store, tg_server: BotAPIServer
) -> None:
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    await plan(outbox, store, "3001", telegram_parts(digest(3001, 3)))
    await plan(outbox, store, "3002", telegram_parts(digest(3002, 1)))
    tg_server.block(3001)
    async with telegram_bot(tg_server) as bot:
        await DeliveryWorker(outbox, {"telegram": TelegramSender(bot, Pacer.telegram())}).drain()
    assert texts(tg_server, 3001) == [] and len(texts(tg_server, 3002)) == 1
    chat = await ChatStore(store).get("telegram", "3001")
    assert chat is not None and chat.paused
    assert await outbox.counts() == {"failed": 3, "sent": 1}


async def test_a_group_that_became_a_supergroup_is_followed(
    store: Store, tg_server: BotAPIServer
) -> None:
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    tg_server.migrate(-4001, -1004001)
    await plan(outbox, store, "-4001", telegram_parts(digest(-4001, 2)))
    async with telegram_bot(tg_server) as bot:
        await DeliveryWorker(outbox, {"telegram": TelegramSender(bot, Pacer.telegram())}).drain()
    assert len(texts(tg_server, -1004001)) == 2
    assert await ChatStore(store).get("telegram", "-1004001") is not None


async def test_two_workers_on_one_store_send_each_part_once(
    store: Store, tg_server: BotAPIServer
) -> None:
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    chats = list(range(5001, 5031))
    for chat in chats:
        await plan(outbox, store, str(chat), telegram_parts(digest(chat, 2)))
    other = Outbox(Store(store.engine), "w2", lease=timedelta(seconds=60))
    async with telegram_bot(tg_server) as one, telegram_bot(tg_server) as two:
        workers = [
            DeliveryWorker(
                outbox, {"telegram": TelegramSender(one, Pacer.telegram())}, concurrency=4
            ),
            DeliveryWorker(
                other, {"telegram": TelegramSender(two, Pacer.telegram())}, concurrency=4
            ),
        ]
        await asyncio.gather(*(w.drain() for w in workers))
    assert all(len(texts(tg_server, chat)) == 2 for chat in chats)
    assert workers[0].sent + workers[1].sent == 60
    assert workers[0].sent > 0 and workers[1].sent > 0


async def test_a_worker_taking_over_delivery_paces_on_from_the_last_ones_sends(
    store: Store, tg_server: BotAPIServer
) -> None:
    # Two digests for each of 25 chats; one worker sends the first ones and stops, and a new
    # one (another process: a pacer of its own) takes over at once. Telegram allows each chat
    # one message a second and the bot 30: the new worker must wait out what the last one
    # sent, as the outbox recorded it, not send 25 more at once.
    tg_server.enforce_limits = True
    chats = list(range(7001, 7026))
    first = Outbox(store, "first", lease=timedelta(seconds=60))
    for slot in (SLOT, SLOT + timedelta(hours=12)):
        for chat in chats:
            digest = Reply([Heading(f"Digest for {chat} at {slot:%H}")])
            await plan(first, store, str(chat), telegram_parts(digest), slot)
    async with telegram_bot(tg_server) as one, telegram_bot(tg_server) as two:
        leaving = DeliveryWorker(first, {"telegram": TelegramSender(one, Pacer.telegram())})
        leaving.concurrency = len(chats)  # one claim: the first digest of each chat
        assert await leaving.tick() == len(chats)
        async with asyncio.timeout(10):
            while leaving.sent < len(chats):
                await asyncio.sleep(0.01)
        taking_over = DeliveryWorker(
            Outbox(store, "second", lease=timedelta(seconds=60)),
            {"telegram": TelegramSender(two, Pacer.telegram())},
        )
        assert await taking_over.take_over() == len(chats)
        await taking_over.drain()
    assert [len(texts(tg_server, chat)) for chat in chats] == [2] * len(chats)
    assert tg_server.too_many_requests == 0


async def test_a_part_cut_off_by_a_crash_is_sent_again_on_telegram(
    store: Store, tg_server: BotAPIServer
) -> None:
    dead = Outbox(store, "dead", lease=timedelta(milliseconds=100))
    await plan(dead, store, "6001", telegram_parts(digest(6001, 2)))
    part = (await dead.claim(["telegram"], 10))[0]
    assert await dead.start_sending(part)  # ...and the process died before it could send
    await asyncio.sleep(0.2)
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    async with telegram_bot(tg_server) as bot:
        worker = DeliveryWorker(outbox, {"telegram": TelegramSender(bot, Pacer.telegram())})
        assert await worker.recover() == 1
        await worker.drain()
    got = texts(tg_server, 6001)
    assert len(got) == 2 and got[0].startswith("Morning digest") and got[1].startswith("Part 2")


async def test_a_part_that_reached_slack_before_a_crash_is_not_posted_twice(
    store: Store,
) -> None:
    with SlackAPIServer() as server:
        server.add_channel("C0DIGEST", "news")
        client = AsyncWebClient(token=server.token, base_url=server.base_url)
        sender = SlackSender(client, Pacer.slack())
        dead = Outbox(store, "dead", lease=timedelta(milliseconds=100))
        chat_id = await store.ensure_chat("slack", "C0DIGEST", timezone="UTC", digest_time="08:00")
        await dead.plan(
            chat_id=chat_id,
            platform="slack",
            slot=SLOT,
            window_start=None,
            window_end=SLOT,
            story_count=1,
            parts=slack_parts(Reply([Heading("Morning digest")]))
            + slack_parts(Reply([para("Part 2 of the digest")])),
        )
        part = (await dead.claim(["slack"], 10))[0]
        assert await dead.start_sending(part)
        assert (await sender.send_part(part)).kind == "sent"  # Slack has it; then the crash
        await asyncio.sleep(0.2)
        worker = DeliveryWorker(Outbox(store, "w1", lease=timedelta(seconds=60)), {"slack": sender})
        await worker.drain()
        posted = server.posted["C0DIGEST"]
        assert [p["text"][:9] for p in posted] == ["Morning d", "Part 2 of"]
        assert await worker.outbox.counts() == {"sent": 2}
