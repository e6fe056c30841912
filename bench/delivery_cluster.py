"""The set-up of the delivery benches (bench/scale_delivery.py, bench/scale_replies.py): a
loopback Bot API server in its own process that enforces Telegram's flood limits and stamps each
message, a fresh PostgreSQL database with CHATS digests planned into its outbox, and `newsbot
worker` processes; what a run measured, and the verdict."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import Event, Process, Queue
from pathlib import Path
from typing import Any

import psycopg

from bot.chat.telegram.send import encode_parts
from bot.config import Settings
from bot.reply import Heading, Reply, para
from bot.store import Store
from bot.store.outbox import Outbox
from bot.workers.queue import ensure_schema, make_queue

ROOT = Path(__file__).resolve().parents[1]


TOKEN = "123456:BENCH-token_abcdefghijklmnopqrstuv"
PARTS = 2
MARK = re.compile(r"Part (\d+)/(\d+)")


class Stamped(list):  # type: ignore[type-arg]
    """A chat's messages as the server records them, each with the wall time it arrived."""

    def append(self, item: Any) -> None:
        super().append({"at": time.time(), "plain": item.get("plain", "")})


def serve(ready: Queue, stop: Any, out: Queue) -> None:  # type: ignore[type-arg]
    """The loopback Bot API with flood limits, until ``stop``; then what it received."""
    from tests.fakes.telegram_api import BotAPIServer

    with BotAPIServer() as server:
        server.enforce_limits = True
        server.sent = defaultdict(Stamped)  # type: ignore[assignment]
        ready.put(f"{server.base_url}/bot")
        stop.wait()
        got = []
        for chat, messages in list(server.sent.items()):
            for m in messages:
                found = MARK.search(m["plain"])
                got.append((chat, int(found.group(1)) if found else -1, m["at"]))
        out.put({"429": server.too_many_requests, "messages": got})


def chat_ids(n: int) -> list[int]:
    """Mostly people, every tenth a supergroup."""
    return [-1001000000000 - i if i % 10 == 0 else 100000 + i for i in range(n)]


def admin(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def scalar(url: str, sql: str) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None


async def prepare(url: str, chats: list[int]) -> None:
    """The chats, their digests of PARTS parts planned into the outbox, the queue's tables."""
    store = await Store.open(url)
    slot = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    try:
        outbox = Outbox(store, "bench-planner", lease=timedelta(seconds=60))
        for chat in chats:
            chat_id = await store.ensure_chat(
                "telegram", str(chat), timezone="UTC", digest_time="08:00"
            )
            parts = []
            for n in range(PARTS):
                reply = Reply([Heading(f"Evening digest for {chat}: Part {n}/{PARTS}")])
                reply.add(para("The stories of the evening, " + "news " * 200))
                parts += encode_parts(reply)
            await outbox.plan(
                chat_id=chat_id,
                platform="telegram",
                slot=slot,
                window_start=None,
                window_end=slot,
                story_count=12,
                parts=parts,
            )
        await ensure_schema(Settings(store={"url": url}, workers={"enabled": True}))
    finally:
        await store.close()


async def queue_delivery(url: str) -> None:
    settings = Settings(store={"url": url}, workers={"enabled": True})
    queue = make_queue(settings)
    async with queue.open_async():
        await queue.configure_task(
            "newsbot:deliver", queueing_lock="deliver", lock="deliver"
        ).defer_async()


@dataclass
class Run:
    """What one run measured."""

    name: str
    parts: int
    messages: list[tuple[int, int, float]] = field(default_factory=list)
    too_many: int = 0
    killed_at: float | None = None
    restarted_at: float | None = None
    registered_at: float | None = None
    sending_at_kill: int = 0
    held_chats: set[int] = field(default_factory=set)
    unsent: int = 0

    def first_after(self, at: float, chats: set[int] | None = None) -> float | None:
        times = [t for c, _, t in self.messages if t > at and (chats is None or c in chats)]
        return min(times) - at if times else None

    def chats_resumed(self, at: float | None) -> float | None:
        """Seconds from ``at`` until every chat the dead worker held got a message."""
        if at is None:
            return None
        waits = [self.first_after(at, {c}) for c in self.held_chats]
        return max((w for w in waits if w is not None), default=None)

    def rate(self) -> float:
        times = sorted(t for _, _, t in self.messages)
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0

    def lost(self, chats: list[int]) -> int:
        seen = {(c, p) for c, p, _ in self.messages}
        return sum((c, p) not in seen for c in chats for p in range(PARTS))

    def twice(self) -> int:
        return len(self.messages) - len({(c, p) for c, p, _ in self.messages})


class Cluster:
    """A fresh database, the Bot API server process, and `newsbot worker` processes."""

    def __init__(self, base: str, tmp: Path, name: str, *, liveness: bool = True) -> None:
        self.base, self.tmp, self.name = base, tmp, name
        self.db = f"newsbot_deliver_bench_{os.getpid()}"
        admin(base, f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        admin(base, f'CREATE DATABASE "{self.db}"')
        self.url = base.rsplit("/", 1)[0] + f"/{self.db}"
        ready: Queue = Queue()  # type: ignore[type-arg]
        self.out: Queue = Queue()  # type: ignore[type-arg]
        self.stop = Event()
        self.server = Process(target=serve, args=(ready, self.stop, self.out), daemon=True)
        self.server.start()
        self.env = {
            **os.environ,
            "NEWSBOT_STORE__URL": self.url,
            "NEWSBOT_WORKERS__ENABLED": "true",
            "NEWSBOT_WORKERS__LIVENESS_LOCKS": "true" if liveness else "false",
            "NEWSBOT_TELEGRAM__TOKEN": TOKEN,
            "NEWSBOT_TELEGRAM__BASE_URL": ready.get(timeout=30),
            "NEWSBOT_DELIVERY__MISSED_GRACE_MINUTES": "30",
            "NEWSBOT_CPU__WORKERS": "1",
            "NEWSBOT_LOG__LEVEL": "WARNING",
            "NEWSBOT_COMPANIES__FILE": str(ROOT / "config" / "companies.toml"),
        }
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, queues: str = "deliver") -> None:
        log = open(self.tmp / f"{self.name.replace(' ', '_')}-{len(self.procs)}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker", "--queues", queues, "--concurrency", "1"],
            cwd=self.tmp,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        self.procs[proc.pid] = proc

    def scalar(self, sql: str) -> Any:
        return scalar(self.url, sql)

    def wait_registered(self, workers: int) -> None:
        while self.scalar("SELECT count(*) FROM procrastinate_workers") < workers:
            time.sleep(0.1)

    def close(self, found: Run) -> Run:
        """Stop the workers and the server; ``found`` gets what the server received."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            proc.wait(60)
        time.sleep(0.5)
        self.stop.set()
        got = self.out.get(timeout=60)
        self.server.join(10)
        admin(self.base, f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        found.messages = [tuple(m) for m in got["messages"]]  # type: ignore[misc]
        found.too_many = got["429"]
        return found


def verdict(failures: list[str]) -> int:
    """Print each target not met and the verdict; the exit status (1 when one is not met)."""
    for failure in failures:
        print(f"NOT met: {failure}")
    print("targets: " + ("met" if not failures else "NOT met"))
    return 1 if failures else 0
