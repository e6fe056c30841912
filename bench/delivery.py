"""Digest delivery throughput: 1,000 Telegram chats, one digest each, against a Bot API server
that enforces Telegram's documented flood limits (30 messages/s overall, 1/s per chat, 20/minute
per group) with 429s.

Ours: the digests are planned into the outbox (SQLite), then the delivery worker sends them with
the real python-telegram-bot client, paced. Baseline, same run, a fresh server: the naive
sender many bots use, every message at once (64 in flight) and a sleep on each 429.
Target: at least 28 messages/s sustained and no 429.

The server runs in a process of its own, as Telegram would be remote.
Run: make bench   (or .venv/bin/python bench/delivery.py [--chats N])
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import Event, Process, Queue
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram import Bot  # noqa: E402
from telegram.error import RetryAfter  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.chat.telegram.send import TelegramSender, encode_parts  # noqa: E402
from bot.delivery.pacing import Pacer  # noqa: E402
from bot.delivery.worker import DeliveryWorker  # noqa: E402
from bot.reply import Heading, Reply, para  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.outbox import Outbox  # noqa: E402

TOKEN = "123456:BENCH-token_abcdefghijklmnopqrstuv"
SLOT = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def serve(ready: Queue, stop: Any, stats: Queue) -> None:  # type: ignore[type-arg]
    """The loopback Bot API with flood limits on, until ``stop``; then its counts."""
    from tests.fakes.telegram_api import BotAPIServer

    with BotAPIServer() as server:
        server.enforce_limits = True
        ready.put(f"{server.base_url}/bot")
        stop.wait()
        stats.put(
            {
                "messages": sum(len(v) for v in server.sent.values()),
                "429": server.too_many_requests,
            }
        )


class Server:
    """A Bot API server process."""

    def __enter__(self) -> Server:
        self.ready: Queue = Queue()  # type: ignore[type-arg]
        self.stats: Queue = Queue()  # type: ignore[type-arg]
        self.stop = Event()
        self.process = Process(target=serve, args=(self.ready, self.stop, self.stats), daemon=True)
        self.process.start()
        self.base_url = self.ready.get(timeout=30)
        return self

    def counts(self) -> dict[str, int]:
        self.stop.set()
        found = self.stats.get(timeout=30)
        self.process.join(10)
        return found

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.process.join(5)


def chat_ids(n: int) -> list[int]:
    """Mostly people, every tenth a supergroup (as a mix of DMs and team groups would be)."""
    return [-1001000000000 - i if i % 10 == 0 else 100000 + i for i in range(n)]


def digest_part(chat: int) -> str:
    reply = Reply([Heading("Morning digest: 12 stories")])
    reply.add(para(f"Chat {chat}: the stories of the morning, " + "news " * 300))
    parts = encode_parts(reply)
    assert len(parts) == 1
    return parts[0]


def bot(base_url: str) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=HTTPXRequest(connection_pool_size=64))


async def ours(base_url: str, chats: list[int], folder: Path) -> tuple[float, int]:
    """Plan every chat's digest into the outbox, then time the worker; (seconds, sent)."""
    store = await Store.open(f"sqlite:///{folder / 'bench.db'}")
    try:
        outbox = Outbox(store, "bench", lease=timedelta(seconds=60))
        for chat in chats:
            chat_id = await store.ensure_chat(
                "telegram", str(chat), timezone="UTC", digest_time="08:00"
            )
            await outbox.plan(
                chat_id=chat_id,
                platform="telegram",
                slot=SLOT,
                window_start=None,
                window_end=SLOT,
                story_count=12,
                parts=[digest_part(chat)],
            )
        async with bot(base_url) as client:
            worker = DeliveryWorker(outbox, {"telegram": TelegramSender(client, Pacer.telegram())})
            started = time.perf_counter()
            await worker.drain()
            elapsed = time.perf_counter() - started
        counts = await outbox.counts()
        assert counts == {"sent": len(chats)}, counts
        return elapsed, worker.sent
    finally:
        await store.close()


async def naive(base_url: str, chats: list[int]) -> tuple[float, int]:
    """Everything at once, 64 in flight, sleeping out each 429; (seconds, sent)."""
    gate = asyncio.Semaphore(64)
    text = "<b>Morning digest: 12 stories</b>\n\n" + "news " * 300

    async def send(client: Bot, chat: int) -> None:
        async with gate:
            while True:
                try:
                    await client.send_message(chat, text, parse_mode="HTML")
                    return
                except RetryAfter as exc:
                    wait = exc.retry_after
                    await asyncio.sleep(wait.total_seconds() if hasattr(wait, "days") else wait)

    async with bot(base_url) as client:
        started = time.perf_counter()
        await asyncio.gather(*(send(client, chat) for chat in chats))
        return time.perf_counter() - started, len(chats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    args = parser.parse_args()
    chats = chat_ids(args.chats)
    print(f"delivery: {len(chats)} chats, one digest each, flood limits enforced with 429s")
    with tempfile.TemporaryDirectory() as tmp, Server() as server:
        seconds, sent = asyncio.run(ours(server.base_url, chats, Path(tmp)))
        counts = server.counts()
    with Server() as server:
        base_seconds, base_sent = asyncio.run(naive(server.base_url, chats))
        base_counts = server.counts()
    rows = [
        ("newsbot outbox + pacer", sent, seconds, counts),
        ("baseline: all at once", base_sent, base_seconds, base_counts),
    ]
    print(f"{'':28} {'messages':>9} {'seconds':>8} {'msg/s':>7} {'429s':>6}")
    for name, n, secs, found in rows:
        print(f"{name:28} {found['messages']:>9} {secs:>8.1f} {n / secs:>7.1f} {found['429']:>6}")
    rate = sent / seconds
    ok = rate >= 28 and counts["429"] == 0 and counts["messages"] == len(chats)
    print(f"target: >= 28 msg/s and no 429: {'met' if ok else 'NOT met'} ({rate:.1f} msg/s)")


if __name__ == "__main__":
    main()
