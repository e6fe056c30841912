"""The crash test: `newsbot run` delivering the morning digest to 200 Telegram chats through the
loopback Bot API is killed with SIGKILL in the middle, started again, stopped with SIGTERM in the
middle, and started once more. Every chat must end with its digest exactly once, in order.

The one exception is the documented one (bot/delivery/worker.py): a part whose request was under
way at the kill has an unknown outcome, and Telegram cannot be asked, so it is sent again. The
test checks that only such parts, logged by the restarted process, ever arrive twice.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.chat.telegram.send import decode_part
from bot.store import Store, utcnow
from bot.store.schema import chats, deliveries, digests
from tests.chatbot import ChatBot, testbot_fixture  # noqa: F401
from tests.fakes.telegram_api import BotAPIServer

TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"
ROOT = Path(__file__).resolve().parents[1]
PRIVATE = list(range(7001, 7181))  # 180 people
GROUPS = [-1001000000000 - n for n in range(20)]  # 20 supergroups: 20 messages a minute each


def start(tmp_path: Path, store_url: str, server: BotAPIServer, name: str) -> subprocess.Popen:
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "{store_url}"\n'
        f'[ingest]\nfeeds_file = "{tmp_path}/none.opml"\n'
        "[digest]\nmax_stories = 12\n"  # about three messages a chat (stories packed whole)
        f'[telegram]\nbase_url = "{server.base_url}/bot"\n'
        "[delivery]\nlease_seconds = 2\nmissed_grace_minutes = 30\n"
        '[log]\nformat = "json"\n'
    )
    env = {**os.environ, "NEWSBOT_CONFIG": str(config), "NEWSBOT_TELEGRAM__TOKEN": TOKEN}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / f"{name}.log", "w"),
    )


def sent_count(server: BotAPIServer) -> int:
    return sum(len(v) for v in list(server.sent.values()))


async def outstanding(store: Store) -> tuple[int, int]:
    """(digests planned, parts not yet settled)."""
    async with store.engine.connect() as conn:
        planned = (await conn.execute(select(func.count()).select_from(digests))).scalar()
        open_parts = (
            await conn.execute(
                select(func.count())
                .select_from(deliveries)
                .where(deliveries.c.state.in_(("pending", "sending")))
            )
        ).scalar()
    return int(planned or 0), int(open_parts or 0)


async def wait_until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def sending_keys(store: Store) -> set[str]:
    """The parts left in ``sending``: their send was under way when a process stopped."""
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(deliveries.c.idempotency_key).where(deliveries.c.state == "sending")
        )
        return {str(r[0]) for r in rows}


def resent_keys(log: Path) -> set[str]:
    keys = set()
    for line in log.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("msg") == "unknown part: sending it again":
            keys.add(record["key"])
    return keys


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_sigkill_mid_delivery_then_restart_delivers_every_part_once(
    testbot: ChatBot, store_url: str, tmp_path: Path
) -> None:
    store = testbot.store
    slot_time = (utcnow() - timedelta(minutes=2)).strftime("%H:%M")
    with BotAPIServer() as server:
        server.enforce_limits = True
        for chat in PRIVATE + GROUPS:
            server.add_chat(chat)
            await store.ensure_chat("telegram", str(chat), timezone="UTC", digest_time=slot_time)
        first = start(tmp_path, store_url, server, "first")
        try:
            kill_at = random.randint(100, 400)
            deadline = time.monotonic() + 90
            while sent_count(server) < kill_at:
                assert first.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the first run did not get going"
                time.sleep(0.005)
            time.sleep(random.uniform(0, 0.05))
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            first.kill()
        at_kill = sent_count(server)
        in_flight_at_kill = await sending_keys(store)
        # Restarted, then stopped with SIGTERM mid-delivery: it finishes what is under way.
        second = start(tmp_path, store_url, server, "second")
        try:
            deadline = time.monotonic() + 90
            while sent_count(server) < at_kill + 60:
                assert second.poll() is None, (tmp_path / "second.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the second run did not get going"
                time.sleep(0.01)
            second.send_signal(signal.SIGTERM)
            assert second.wait(30) == 0
        finally:
            second.kill()
        # A clean stop leaves nothing unknown: what is still "sending" was under way at the
        # SIGKILL (and the second run stopped before its lease ran out).
        assert await sending_keys(store) <= in_flight_at_kill
        at_term = sent_count(server)
        third = start(tmp_path, store_url, server, "third")
        try:

            async def done() -> bool:
                planned, open_parts = await outstanding(store)
                assert third.poll() is None, (tmp_path / "third.log").read_text()[-3000:]
                return planned == 200 and open_parts == 0

            await wait_until(done, timeout=120)
            third.send_signal(signal.SIGTERM)
            assert third.wait(30) == 0
        finally:
            third.kill()
        resent = resent_keys(tmp_path / "second.log") | resent_keys(tmp_path / "third.log")
        # Only parts under way at the SIGKILL had an unknown outcome, whichever run found them.
        assert resent <= in_flight_at_kill
        async with store.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(chats.c.chat_key, deliveries.c.part_index, deliveries.c.body)
                    .select_from(deliveries.join(chats, chats.c.id == deliveries.c.chat_id))
                    .where(deliveries.c.state != "sent")
                )
            ).all()
            assert rows == []  # nothing failed
            parts = (
                await conn.execute(
                    select(
                        chats.c.chat_key,
                        deliveries.c.idempotency_key,
                        deliveries.c.part_index,
                        deliveries.c.body,
                    )
                    .select_from(deliveries.join(chats, chats.c.id == deliveries.c.chat_id))
                    .order_by(chats.c.chat_key, deliveries.c.part_index)
                )
            ).all()
    assert 0 < at_kill < at_term < len(parts), "the stops did not land in the middle of delivery"
    expected: dict[int, list[tuple[str, str]]] = {}
    for chat_key, key, _, body in parts:
        expected.setdefault(int(chat_key), []).append((key, decode_part(body).html))
    assert sorted(expected) == sorted(PRIVATE + GROUPS)
    twice = []
    for chat, want in expected.items():
        got = [m["text"] for m in server.sent[chat]]
        counts = Counter(got)
        for key, html in want:
            assert counts[html] >= 1, f"chat {chat} never got {key}"
            if counts[html] > 1:
                assert key in resent, f"chat {chat} got {key} twice without an unknown outcome"
                twice.append(key)
        assert len(got) == len(want) + sum(1 for k, _ in want if k in twice)
        assert [h for h in dict.fromkeys(got)] == [h for _, h in want]  # in order
    assert server.too_many_requests == 0
    print(
        f"\n{len(parts)} parts to 200 chats; SIGKILL after {at_kill} messages, SIGTERM after "
        f"{at_term}; "
        f"{len(resent)} parts had an unknown outcome and were sent again; "
        f"{len(twice)} arrived twice; 429s: {server.too_many_requests}"
    )
