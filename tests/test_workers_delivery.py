"""Planning, delivery and the LLM budget with several `newsbot worker` processes on the
PostgreSQL on this machine: a worker killed in the middle of delivery is noticed at once with
the default settings, three schedulers plan each digest once, and two workers together stay
within one daily token budget."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import procrastinate
import pytest

from bot.app import open_app
from bot.chat.telegram.bot import TelegramBot
from bot.delivery.shared_pacing import SharedPacer
from bot.reply import Reply
from bot.store import Store
from bot.store.outbox import Outbox
from tests import test_workers as shared
from tests.fakes.openai_server import ChatRequest, OpenAIServer, completion, slow
from tests.fakes.telegram_api import BotAPIServer
from tests.test_shared_pacing import Stamped, gaps
from tests.test_workers import (
    PG_URL,
    TOKEN,
    Processes,
    plan_digests,
    query,
    settings_of,
    summarized,
    wait_for,
)

# The worker tests' fixtures: an emptied database, a config file, `newsbot` processes, a store
# and the job queue on it.
pg, config, procs, store, queue = shared.pg, shared.config, shared.procs, shared.store, shared.queue

pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="set NEWSBOT_TEST_POSTGRES_URL: workers need PostgreSQL"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
DEFAULTS = {"NEWSBOT_WORKERS__HEARTBEAT_SECONDS": "2.0", "NEWSBOT_WORKERS__STALLED_SECONDS": "10"}


def telegram_env(server: BotAPIServer) -> dict[str, str]:
    return {
        "NEWSBOT_TELEGRAM__TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM__BASE_URL": f"{server.base_url}/bot",
    }


def workers_up(pg: str, n: int) -> bool:
    return query(pg, "SELECT count(*) FROM procrastinate_workers")[0][0] == n


async def test_a_worker_killed_mid_delivery_is_taken_over_within_5_seconds(
    procs: Processes, pg: str, store: Store, queue: procrastinate.App
) -> None:
    chats = [20_001 + n for n in range(90)]
    planner = Outbox(store, "planner", lease=timedelta(seconds=60))
    await plan_digests(planner, chats, lambda chat: [f"{chat}:{n}" for n in range(2)])
    with BotAPIServer() as server:
        server.enforce_limits = True
        procs.env |= telegram_env(server) | DEFAULTS  # stalled_seconds 10, as shipped
        for _ in range(2):
            procs.start("worker", "--queues", "deliver", "--concurrency", "1")
        assert wait_for(lambda: workers_up(pg, 2), 60)
        await queue.configure_task(
            "newsbot:deliver", queueing_lock="deliver", lock="deliver"
        ).defer_async()

        def sent() -> int:
            return query(pg, "SELECT count(*) FROM deliveries WHERE state = 'sent'")[0][0]  # type: ignore[return-value]

        assert wait_for(lambda: sent() >= 60, 60)
        [(holder,)] = query(
            pg,
            "SELECT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL"
            " AND state IN ('pending', 'sending') LIMIT 1",
        )
        [doomed] = [p for p in procs.running if p.pid == int(str(holder).split(":")[1])]
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        killed_at = time.monotonic()
        [(under_way,)] = query(pg, "SELECT count(*) FROM deliveries WHERE state = 'sending'")
        arrived = sum(len(m) for m in server.sent.values())
        procs.start("worker", "--queues", "deliver", "--concurrency", "1")  # restarted
        assert wait_for(lambda: sum(len(m) for m in server.sent.values()) > arrived, 30)
        resumed = time.monotonic() - killed_at
        assert wait_for(lambda: sent() == 2 * len(chats), 60), "parts were lost"
        got = [m["plain"] for chat in chats for m in server.sent[chat]]
    print(f"deliveries resumed {resumed:.1f}s after the kill; {under_way} parts were under way")
    assert resumed < 5.0  # procrastinate's heartbeat alone takes stalled_seconds (10) and more
    assert set(got) == {f"{chat}:{n}" for chat in chats for n in range(2)}  # none lost
    assert len(got) - len(set(got)) <= int(under_way)  # twice: only a part under way at the kill
    assert server.too_many_requests == 0  # the new deliverer paced on from the dead one's sends


async def test_a_dead_deliver_job_gives_way_to_the_one_waiting(
    procs: Processes, pg: str, store: Store, queue: procrastinate.App
) -> None:
    # A worker died running `deliver` while the next `deliver` waited (queued by a plan job).
    # The dead one cannot be queued again beside it (one waits per queueing lock) and, left
    # running, it would hold the `deliver` lock for ever: nothing would be delivered again.
    chats = [40_001, 40_002, 40_003]
    await plan_digests(
        Outbox(store, "planner", lease=timedelta(seconds=60)), chats, lambda c: [f"{c}"]
    )
    deliver = queue.configure_task("newsbot:deliver", queueing_lock="deliver", lock="deliver")
    await deliver.defer_async()
    dead = await queue.job_manager.register_worker()  # it took a liveness lock, and died
    query(pg, f"INSERT INTO newsbot_worker_locks VALUES ({dead}) RETURNING worker_id")
    running = await queue.job_manager.fetch_job(queues=["deliver"], worker_id=dead)
    assert running is not None
    await deliver.defer_async()
    with BotAPIServer() as server:
        procs.env |= telegram_env(server) | DEFAULTS
        procs.start("worker", "--queues", "deliver", "--concurrency", "1")
        assert wait_for(lambda: sum(len(server.sent[c]) for c in chats) == 3, 60)
        got = {chat: [m["plain"] for m in server.sent[chat]] for chat in chats}
    assert got == {chat: [f"{chat}"] for chat in chats}
    [(status,)] = query(pg, f"SELECT status::text FROM procrastinate_jobs WHERE id = {running.id}")
    assert status == "aborted"  # the waiting job did its work


async def test_replies_from_run_and_digest_parts_from_a_worker_keep_one_bots_limits(
    procs: Processes, pg: str, store: Store, queue: procrastinate.App
) -> None:
    # A worker process delivers 2-part digests to 40 people and 4 groups while this process,
    # as `newsbot run` does, answers a command in each of them: the bot's limits (30/s, 1/s
    # per chat) hold for the two processes together.
    chats = [60_001 + n for n in range(40)] + [-1_006_000_000 - n for n in range(4)]
    await plan_digests(
        Outbox(store, "planner", lease=timedelta(seconds=60)),
        chats,
        lambda chat: [f"{chat}:{n}" for n in range(2)],
    )
    with BotAPIServer() as server:
        server.enforce_limits = True
        server.sent = defaultdict(Stamped)  # type: ignore[assignment]
        procs.env |= telegram_env(server) | DEFAULTS
        procs.start("worker", "--queues", "deliver", "--concurrency", "1")
        assert wait_for(lambda: workers_up(pg, 1), 60)
        settings = settings_of(pg).model_copy(
            update={
                "telegram": settings_of(pg).telegram.model_copy(
                    update={"base_url": f"{server.base_url}/bot"}
                )
            }
        )
        async with open_app(settings) as app:
            run = TelegramBot(app.core, settings, TOKEN)
            assert isinstance(run.pacer, SharedPacer)
            await run.app.initialize()
            try:
                await queue.configure_task(
                    "newsbot:deliver", queueing_lock="deliver", lock="deliver"
                ).defer_async()
                async with asyncio.timeout(60):
                    while sum(map(len, server.sent.values())) < 10:  # delivery is under way
                        await asyncio.sleep(0.01)
                answered = await asyncio.gather(
                    *(run.send_reply(chat, Reply.message(f"Answer for {chat}")) for chat in chats)
                )
            finally:
                await run.stop()
        assert all(len(messages) == 1 for messages in answered)
        assert wait_for(lambda: sum(map(len, server.sent.values())) == 3 * len(chats), 60)
        got = {chat: sorted(m["plain"] for m in server.sent[chat]) for chat in chats}
    assert got == {chat: sorted([f"{chat}:0", f"{chat}:1", f"Answer for {chat}"]) for chat in chats}
    assert server.too_many_requests == 0
    for chat in chats:
        assert min(gaps(server.sent[chat])) >= 1.0, (chat, gaps(server.sent[chat]))


async def test_a_running_worker_without_a_liveness_lock_keeps_its_job(
    procs: Processes, pg: str, store: Store, queue: procrastinate.App
) -> None:
    # A worker of an older newsbot (a rolling upgrade) or one with liveness_locks = false
    # holds no lock: alive and beating, its running job is not queued again beside it by the
    # workers that take locks; once it falls silent, the heartbeat hands the job on.
    deliver = queue.configure_task("newsbot:deliver", queueing_lock="deliver", lock="deliver")
    await deliver.defer_async()
    old = await queue.job_manager.register_worker()
    running = await queue.job_manager.fetch_job(queues=["deliver"], worker_id=old)
    assert running is not None
    with BotAPIServer() as server:
        procs.env |= telegram_env(server) | DEFAULTS  # stalled_seconds 10
        procs.start("worker", "--queues", "deliver", "--concurrency", "1")
        assert wait_for(lambda: workers_up(pg, 2), 60)
        beating_until = time.monotonic() + 6  # six of the new worker's liveness rounds
        while time.monotonic() < beating_until:
            await queue.job_manager.update_heartbeat(old)
            time.sleep(0.5)
        job = "SELECT status::text, worker_id, attempts FROM procrastinate_jobs WHERE id = "
        job += str(running.id)
        assert query(pg, job) == [("doing", old, 0)]  # still the old worker's, run once
        silent = time.monotonic()
        assert wait_for(lambda: query(pg, job)[0][0] == "succeeded", 60)
    print(f"the silent worker's job ran elsewhere {time.monotonic() - silent:.1f}s after")


async def test_three_schedulers_plan_each_digest_once(
    procs: Processes, pg: str, store: Store
) -> None:
    chats = [30_001 + n for n in range(40)]
    slot_time = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%H:%M")
    with BotAPIServer() as server:
        server.enforce_limits = True
        for chat in chats:
            await store.ensure_chat("telegram", str(chat), timezone="UTC", digest_time=slot_time)
        procs.env |= telegram_env(server) | {"NEWSBOT_DELIVERY__MISSED_GRACE_MINUTES": "30"}
        for _ in range(3):  # each runs procrastinate's periodic deferrer: three clocks
            procs.start("worker", "--queues", "plan,deliver", "--concurrency", "2")

        def delivered() -> bool:
            [(digests, open_parts)] = query(
                pg,
                "SELECT (SELECT count(*) FROM digests),"
                " (SELECT count(*) FROM deliveries WHERE state <> 'sent')",
            )
            return digests == len(chats) and open_parts == 0

        assert wait_for(delivered, 150), "the workers did not plan and deliver every digest"
        # ... and one more minute's plan job (three clocks), which must plan nothing again.
        plans = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'newsbot:plan'"
        before = query(pg, plans)[0][0]
        assert wait_for(lambda: query(pg, plans + " AND status = 'succeeded'")[0][0] > before, 90)
        got = {chat: len(server.sent[chat]) for chat in chats}
    [(digests, slots)] = query(pg, "SELECT count(*), count(DISTINCT (chat_id, slot)) FROM digests")
    [(parts,)] = query(pg, "SELECT count(*) FROM deliveries")
    [(jobs, minutes)] = query(
        pg,
        "SELECT count(*), count(DISTINCT args->>'timestamp') FROM procrastinate_jobs"
        " WHERE task_name = 'newsbot:plan'",
    )
    print(f"3 schedulers: {digests} digests, {len(chats)} chats, {jobs} plan jobs, {minutes} min")
    assert digests == slots == len(chats)  # each digest planned once
    assert jobs == minutes >= 2  # one plan job a minute for the cluster, not one per scheduler
    assert all(n >= 1 for n in got.values()) and sum(got.values()) == parts  # each part sent once
    assert server.too_many_requests == 0


def test_two_workers_spend_one_daily_token_budget(procs: Processes, pg: str) -> None:
    per_call = 800  # the server's count for every call: no more than any call's estimate

    def summary(request: ChatRequest):  # type: ignore[no-untyped-def]
        lines = [line for line in request.user_text.splitlines() if len(line) > 80]
        sentence = lines[0].split(". ")[0] + "." if lines else "Nothing."
        body = json.dumps({"summary": [sentence], "quotes": [], "companies": []})
        return completion(body, prompt_tokens=per_call - 100, completion_tokens=100)(request)

    budget = 5000  # room for a few calls; slow answers make them overlap
    with OpenAIServer(slow(1.0, summary)) as server:
        procs.env |= {
            "NEWSBOT_SUMMARIZER__BACKEND": "llm",
            "NEWSBOT_LLM__BASE_URL": server.url,
            "NEWSBOT_LLM__API_KEY": "sk-test",
            "NEWSBOT_LLM__DAILY_TOKEN_BUDGET": str(budget),
        }
        procs.start("run")
        procs.start("worker", "--concurrency", "4")
        procs.start("worker", "--concurrency", "4")

        assert wait_for(lambda: summarized(pg), 120), (
            "the workers did not get through the new stories"
        )
        [(stories,)] = query(pg, "SELECT count(DISTINCT story_id) FROM articles")
        [(used,)] = query(pg, "SELECT coalesce(sum(tokens), 0) FROM llm_usage")
        contents = [r.user_text for r in server.requests]
        refused = sum(
            "llm daily token budget spent" in log.read_text()
            for log in procs.tmp_path.glob("worker-*.log")
        )
    print(f"{stories} stories, {len(contents)} LLM calls, {used} of {budget} tokens")
    assert len(contents) >= 1 and refused  # the budget ran out before the stories did ...
    assert used == per_call * len(contents) <= budget  # ... and was never passed, together
    assert len(set(contents)) == len(contents)  # no content asked for twice
