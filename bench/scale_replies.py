"""Replies from a `newsbot run`-like process while 2 `newsbot worker` processes deliver digests,
one bot, against the loopback Bot API in its own process that answers 429 past Telegram's flood
limits (30 messages/s overall, 1/s per chat, 20/minute per group) and stamps each message.

Each run plans CHATS digests of 2 parts (bench/scale_delivery.py's set-up: every tenth chat a
group) on a fresh PostgreSQL database, starts 2 `newsbot worker --queues deliver` processes and
queues a `deliver` job; once 100 messages are out, an answering process (the reply path of
`newsbot run`: Replier, TelegramSender, and the pacing `newsbot run` builds with
``[workers] enabled``) answers a question in REPLIES of those chats, 10 questions a second.

- shared pacing: as shipped; every process takes its slots from the store's PostgreSQL;
- baseline, same run: the answering process paces alone (an in-process Pacer: before shared
  pacing, `newsbot run` with workers did this);
- baseline, same run: the 2 workers, no replies.

Prints messages/s together, 429s, the shortest gap between two messages in one person's chat
and the most messages in any minute of a group at the server, the statements the answering
process's pacing made per reply, and how long each reply took from its question to the
server (p50, p95, max). Fails (exit 1) when, with shared pacing, a 429 is answered, a chat gets
two messages within a second (a group 21 within a minute), a part or a reply is lost, the rate
together is under 28 msg/s, or a reply's p95 is over 1 s.

Run: make bench-scale   (or .venv/bin/python bench/scale_replies.py [--chats 400] [--pg URL])
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing import Event, Process, Queue
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench.delivery_cluster import (  # noqa: E402
    PARTS,
    TOKEN,
    Cluster,
    Run,
    chat_ids,
    prepare,
    queue_delivery,
    verdict,
)

REPLIES = 200
PER_SECOND = 10


def answer(url: str, base_url: str, chats: list[int], shared: bool, go: Any, out: Queue) -> None:  # type: ignore[type-arg]
    """The answering process: a reply to each chat, PER_SECOND questions a second, once ``go``."""
    asyncio.run(_answer(url, base_url, chats, shared, go, out))


async def _answer(
    url: str,
    base_url: str,
    chats: list[int],
    shared: bool,
    go: Any,
    out: Queue,  # type: ignore[type-arg]
) -> None:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.chat.telegram.reply import Replier
    from bot.chat.telegram.send import TelegramSender
    from bot.config import Settings
    from bot.delivery.pacing import Pacer
    from bot.delivery.shared_pacing import telegram_pacing
    from bot.reply import Reply
    from bot.store import Store
    from bot.store.chats import ChatStore

    settings = Settings(store={"url": url}, workers={"enabled": True})
    store = await Store.open(url)
    pacer = telegram_pacing(settings, store, TOKEN.split(":")[0]) if shared else Pacer.telegram()
    bot = Bot(TOKEN, base_url=base_url, request=HTTPXRequest(connection_pool_size=64))
    asked: dict[int, float] = {}
    async with bot:
        replier = Replier(TelegramSender(bot, pacer), ChatStore(store))
        while not go.is_set():
            await asyncio.sleep(0.01)
        tasks = []
        for chat in chats:
            asked[chat] = time.time()
            tasks.append(asyncio.create_task(replier.send_reply(chat, Reply.message("Answer"))))
            await asyncio.sleep(1 / PER_SECOND)
        sent = await asyncio.gather(*tasks)
    statements = getattr(pacer, "statements", 0)
    await pacer.close()
    await store.close()
    out.put({"asked": asked, "sent": sum(len(s) for s in sent), "statements": statements})


@dataclass
class Replies:
    """What one run measured, beside the delivery Run."""

    name: str
    delivery: Run
    asked: dict[int, float] = field(default_factory=dict)
    sent: int = 0
    statements: int = 0

    def waits(self) -> list[float]:
        """Seconds from each question to its answer at the server."""
        first: dict[int, float] = {}
        for c, p, t in sorted(self.delivery.messages, key=lambda m: m[2]):
            if p < 0:  # a reply, not a digest part
                first.setdefault(c, t)
        return sorted(first[c] - at for c, at in self.asked.items() if c in first)

    def shortest_gap(self, chats: list[int]) -> float:
        """The shortest time between two messages in one person's chat."""
        times: dict[int, list[float]] = defaultdict(list)
        for c, _, t in self.delivery.messages:
            times[c].append(t)
        gaps = [b - a for c in chats if c > 0 for a, b in itertools.pairwise(sorted(times[c]))]
        return min(gaps, default=float("inf"))

    def busiest_group_minute(self, chats: list[int]) -> int:
        most = 0
        for c in (c for c in chats if c < 0):
            times = sorted(t for m, _, t in self.delivery.messages if m == c)
            most = max([sum(1 for u in times if t <= u < t + 60) for t in times] + [most])
        return most


def run(base: str, tmp: Path, name: str, chats: list[int], replies: int, shared: bool) -> Replies:
    """One run on a fresh database: 2 delivery workers and, when ``replies``, the answerer."""
    cluster = Cluster(base, tmp, name)
    asyncio.run(prepare(cluster.url, chats))
    found = Replies(name, Run(name, len(chats) * PARTS))
    out: Queue = Queue()  # type: ignore[type-arg]
    go = Event()
    answering = None
    if replies:
        answering = Process(
            target=answer,
            args=(cluster.url, cluster.env["NEWSBOT_TELEGRAM__BASE_URL"], chats[:replies]),
            kwargs={"shared": shared, "go": go, "out": out},
        )
        answering.start()
    try:
        for _ in range(2):
            cluster.start()
        cluster.wait_registered(2)
        asyncio.run(queue_delivery(cluster.url))
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            done = cluster.scalar(
                "SELECT count(*) FROM deliveries WHERE state IN ('sent','failed')"
            )
            if done >= 100:
                go.set()
            if done >= found.delivery.parts:
                break
            time.sleep(0.05)
        if answering is not None:
            got = out.get(timeout=600)
            found.asked, found.sent, found.statements = got["asked"], got["sent"], got["statements"]
            answering.join(30)
        found.delivery.unsent = cluster.scalar(
            "SELECT count(*) FROM deliveries WHERE state NOT IN ('sent', 'failed')"
        )
    finally:
        cluster.close(found.delivery)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=400)
    parser.add_argument("--replies", type=int, default=REPLIES)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    chats = chat_ids(args.chats)
    replies = min(args.replies, len(chats))
    print(
        f"replies with workers: {len(chats)} chats x {PARTS} parts by 2 delivery workers, and"
        f" {replies} replies, {PER_SECOND} questions a second, from an answering process"
    )
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        runs = [
            run(args.pg, tmp, "shared pacing", chats, replies, shared=True),
            run(args.pg, tmp, "baseline: replies paced alone", chats, replies, shared=False),
            run(args.pg, tmp, "baseline: no replies", chats, 0, shared=True),
        ]
    print(
        f"{'':30} {'msg/s':>6} {'429s':>5} {'chat gap':>9} {'group/min':>9} {'lost':>5}"
        f" {'replies':>8} {'stmt/reply':>10} {'reply p50':>9} {'p95':>6} {'max':>6}"
    )
    failures = []
    for r in runs:
        d, waits = r.delivery, r.waits()
        p50 = statistics.median(waits) if waits else float("nan")
        p95 = waits[int(0.95 * (len(waits) - 1))] if waits else float("nan")
        print(
            f"{r.name:30} {d.rate():>6.1f} {d.too_many:>5} {r.shortest_gap(chats):>8.2f}s"
            f" {r.busiest_group_minute(chats):>9} {d.lost(chats):>5} {r.sent:>8}"
            f" {r.statements / max(r.sent, 1):>10.2f} {p50:>8.2f}s {p95:>5.2f}s"
            f" {max(waits, default=float('nan')):>5.2f}s"
        )
        if r.name.startswith("baseline"):
            continue
        if d.too_many or r.shortest_gap(chats) < 1.0 or r.busiest_group_minute(chats) > 20:
            failures.append(f"{r.name}: {d.too_many} x 429 or a chat's limit passed")
        if d.lost(chats) or d.unsent or r.sent < replies:
            failures.append(f"{r.name}: {d.lost(chats)} parts lost, {replies - r.sent} replies")
        if d.rate() < 28:
            failures.append(f"{r.name}: {d.rate():.1f} msg/s < 28")
        if not waits or p95 > 1.0:
            failures.append(f"{r.name}: reply p95 {p95:.2f} s > 1 s")
    print(
        "columns: chat gap = the shortest time between two messages in a person's chat; group/min"
        " = the most messages in any minute of a group; stmt/reply = the answering process's"
        " pacing statements (round trips) per reply; reply = from the question to the server"
    )
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
