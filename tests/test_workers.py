"""Workers on the PostgreSQL on this machine (never procrastinate's in-memory connector):
`newsbot run` queues the work, `newsbot worker` processes do it, a killed worker's job runs
again elsewhere, and failures show in `newsbot jobs`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import procrastinate
import psycopg
import pytest

from bot.config import Settings
from bot.demo.server import feed_urls
from bot.ingest.opml import write_opml
from bot.models import Feed
from bot.store import Store
from bot.store.outbox import Outbox
from bot.workers.defer import defer_due_feeds
from bot.workers.queue import ensure_schema, libpq_url, make_queue
from bot.workers.runner import run_worker
from bot.workers.status import jobs_report
from tests.conftest import PG_URL, _reset_postgres
from tests.fakes.newssite import NewsSite

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="set NEWSBOT_TEST_POSTGRES_URL: workers need PostgreSQL"
)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def pg(postgres_url: str) -> str:
    """This run's PostgreSQL database, emptied (newsbot's and the queue's tables)."""
    await _reset_postgres(postgres_url)
    return postgres_url


@pytest.fixture
def config(pg: str, tmp_path: Path, site: NewsSite) -> Path:
    """A config file for `newsbot run` and `newsbot worker` on that database, with workers on
    and the sample site's feeds as the starter list."""
    opml = tmp_path / "feeds.opml"
    opml.write_text(write_opml([Feed(url=u) for u in feed_urls(site.base_url)]))
    path = tmp_path / "newsbot.toml"
    path.write_text(
        f'[ingest]\nfeeds_file = "{opml}"\nallow_private = ["127.0.0.1"]\ntimeout_seconds = 5.0\n'
        "[workers]\nenabled = true\nheartbeat_seconds = 0.5\nstalled_seconds = 2.0\n"
        '[log]\nformat = "json"\n'
    )
    return path


def settings_of(pg: str, **workers: object) -> Settings:
    return Settings(
        store={"url": pg},
        ingest={"allow_private": ["127.0.0.1"], "timeout_seconds": 5.0},
        workers={"enabled": True, **workers},
    )


@pytest.fixture
async def store(pg: str) -> AsyncIterator[Store]:
    opened = await Store.open(pg)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def queue(pg: str, store: Store) -> AsyncIterator[procrastinate.App]:
    settings = settings_of(pg)
    await ensure_schema(settings)
    app = make_queue(settings)
    async with app.open_async():
        yield app


class Processes:
    """`newsbot` processes started by a test, each stopped (or killed) at its end."""

    def __init__(self, config: Path, pg: str, tmp_path: Path) -> None:
        self.env = {**os.environ, "NEWSBOT_CONFIG": str(config), "NEWSBOT_STORE__URL": pg}
        self.tmp_path = tmp_path
        self.running: list[subprocess.Popen[str]] = []

    def start(self, *args: str) -> subprocess.Popen[str]:
        log = open(self.tmp_path / f"{args[0]}-{len(self.running)}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=self.tmp_path,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.running.append(proc)
        return proc

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=self.tmp_path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def stop(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.running:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def procs(config: Path, pg: str, tmp_path: Path) -> Iterator[Processes]:
    started = Processes(config, pg, tmp_path)
    started.env["NEWSBOT_COMPANIES__FILE"] = str(ROOT / "config" / "companies.toml")
    try:
        yield started
    finally:
        started.stop()


def query(pg: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(libpq_url(Settings(store={"url": pg}))) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def wait_for(condition, seconds: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except psycopg.Error:
            pass  # the tables may not be there yet
        time.sleep(0.2)
    return False


def test_run_queues_polls_and_a_worker_process_stores_and_indexes(
    procs: Processes, pg: str
) -> None:
    run = procs.start("run")
    worker = procs.start("worker", "--concurrency", "4")

    def indexed() -> bool:
        [(total, unindexed)] = query(
            pg, "SELECT count(*), count(*) FILTER (WHERE story_id IS NULL) FROM articles"
        )
        return int(total) >= 20 and unindexed == 0  # type: ignore[call-overload]

    assert wait_for(indexed, 120), "the worker did not store and index the sample site"
    assert run.poll() is None and worker.poll() is None
    jobs = procs.cli("jobs", "--json")
    assert jobs.returncode == 0, jobs.stderr
    report = json.loads(jobs.stdout)
    assert report["queues"]["poll"]["succeeded"] == 3  # one per feed: none was polled twice
    assert report["queues"]["index"]["succeeded"] >= 1
    assert report["failed"] == []
    urls = query(pg, "SELECT count(*), count(DISTINCT url) FROM articles")
    assert urls[0][0] == urls[0][1]  # every article stored once

    def summarized_ahead() -> bool:  # /company reads them instead of summarizing at the ask
        [(stories, ready)] = query(
            pg,
            "SELECT count(DISTINCT a.story_id), count(DISTINCT s.story_id) FROM articles a"
            " LEFT JOIN story_summaries s ON s.story_id = a.story_id",
        )
        return stories == ready > 0

    assert wait_for(summarized_ahead, 60), "the stories' summaries were not made ahead"
    procs.stop()
    assert run.returncode == 0 and worker.returncode == 0


async def test_a_feed_is_never_queued_twice(
    pg: str, store: Store, queue: procrastinate.App, site: NewsSite
) -> None:
    for url in feed_urls(site.base_url):
        await store.add_feed(url)
    settings = settings_of(pg)
    first = await defer_due_feeds(store, settings, queue)
    again = await defer_due_feeds(store, settings, queue)  # the next minute, or a second `run`
    await store.add_feed(f"{site.base_url}/added/feed.xml")  # among feeds that have a job
    added = await defer_due_feeds(store, settings, queue)
    report = await jobs_report(libpq_url(settings))
    assert (first, again, added) == (3, 0, 1)
    assert report.queues["poll"].queued == 4


async def test_a_polls_articles_are_indexed_before_the_next_waiting_poll(
    pg: str, store: Store, queue: procrastinate.App, site: NewsSite
) -> None:
    for url in feed_urls(site.base_url):
        await store.add_feed(url)
    settings = settings_of(pg)
    assert await defer_due_feeds(store, settings, queue) == 3
    # One job at a time: the index job the first poll queues goes before the 2 polls waiting,
    # so stories appear while a long round is still polling, not after its last feed.
    await run_worker(settings, queues=["poll", "index"], concurrency=1, wait=False)
    started = query(
        pg,
        "SELECT j.task_name FROM procrastinate_events e JOIN procrastinate_jobs j"
        " ON j.id = e.job_id WHERE e.type = 'started' ORDER BY e.at, e.id",
    )
    assert [task for (task,) in started][:2] == ["newsbot:poll", "newsbot:index"]
    assert query(pg, "SELECT count(*) FROM articles WHERE story_id IS NULL") == [(0,)]


async def test_a_failed_job_shows_with_its_error(
    pg: str, store: Store, queue: procrastinate.App
) -> None:
    settings = settings_of(pg)
    # A job no retry can heal (a feed id that is not a number): failed at once, not retried.
    await queue.configure_task("newsbot:poll").defer_async(feed_id="not-a-number")
    await run_worker(settings, queues=["poll"], concurrency=1, wait=False)
    report = await jobs_report(libpq_url(settings))
    assert report.queues["poll"].failed == 1 and report.queues["poll"].retried == 0
    [failed] = report.failed
    assert failed.task == "newsbot:poll" and "not-a-number" in failed.error


def test_a_killed_workers_job_runs_again_on_another_worker(
    procs: Processes, pg: str, site: NewsSite
) -> None:
    slow_path = "/slow/feed.xml"
    [first_feed, *_] = feed_urls(site.base_url)
    feed_route = site.routes[first_feed.removeprefix(site.base_url)]

    calls = []
    armed = threading.Event()  # set once `newsbot run` has stored the feed (its import fetches it)

    def slow(headers):  # type: ignore[no-untyped-def]
        if armed.is_set():
            calls.append(1)
            # The first poll: long enough to kill the worker in the middle of it; the second
            # (the recovered job) long enough to be seen running.
            time.sleep(40.0 if len(calls) == 1 else 2.0)
        return feed_route(headers)

    site.routes[slow_path] = slow
    procs.env["NEWSBOT_INGEST__TIMEOUT_SECONDS"] = "60"
    opml = procs.tmp_path / "feeds.opml"
    opml.write_text(write_opml([Feed(url=site.base_url + slow_path)]))
    procs.start("run")
    assert wait_for(lambda: query(pg, "SELECT count(*) FROM feeds")[0][0] == 1, 60)
    armed.set()
    doomed = procs.start("worker", "--queues", "poll", "--concurrency", "1")
    doing = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'newsbot:poll'"
    assert wait_for(lambda: query(pg, doing + " AND status = 'doing'")[0][0] == 1, 60)
    procs.start("worker", "--queues", "poll,index", "--concurrency", "2")  # standing by
    workers = "SELECT count(*) FROM procrastinate_workers"
    assert wait_for(lambda: query(pg, workers)[0][0] == 2, 60)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    killed_at = time.monotonic()
    again = doing + " AND status = 'doing' AND attempts = 1"
    assert wait_for(lambda: query(pg, again)[0][0] == 1, 60), "the job was not taken up again"
    taken_up = time.monotonic() - killed_at
    assert wait_for(lambda: query(pg, doing + " AND status = 'succeeded'")[0][0] == 1, 60)
    resumed = time.monotonic() - killed_at
    [(attempts,)] = query(
        pg, "SELECT attempts FROM procrastinate_jobs WHERE task_name = 'newsbot:poll'"
    )
    assert attempts == 2  # the killed run, queued again by the stalled-job recovery, and this one
    [(total, distinct)] = query(pg, "SELECT count(*), count(DISTINCT url) FROM articles")
    assert total == distinct > 0  # what the killed worker began is stored once
    print(
        f"killed worker's poll taken up again {taken_up:.1f}s after the kill (stalled_seconds"
        f" = 2), finished {resumed:.1f}s after it"
    )
    report = json.loads(procs.cli("jobs", "--json").stdout)
    assert report["queues"]["poll"]["retried"] == 1


def test_check_says_workers_need_postgresql(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "NEWSBOT_STORE__URL": f"sqlite:///{tmp_path / 'newsbot.db'}",
        "NEWSBOT_WORKERS__ENABLED": "true",
    }
    env.pop("NEWSBOT_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "[workers] enabled needs a PostgreSQL store" in done.stderr


def test_check_and_migrate_make_the_job_tables(procs: Processes, pg: str) -> None:
    before = procs.cli("check")
    assert before.returncode == 0 and "newsbot migrate" in before.stderr
    assert procs.cli("migrate").stdout.strip() == "Store migrated; job queue tables created."
    assert procs.cli("migrate").stdout.strip() == "Store migrated; job queue tables present."
    after = procs.cli("check")
    assert after.returncode == 0 and "warning" not in after.stderr
    assert procs.cli("jobs").stdout.startswith("No jobs yet")


TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"


async def plan_digests(outbox: Outbox, chats: list[int], texts: Callable[[int], list[str]]) -> None:
    """A digest due a minute ago for each Telegram chat, its parts the given plain texts."""
    slot = datetime.now(UTC) - timedelta(minutes=1)
    for chat in chats:
        chat_id = await outbox.store.ensure_chat(
            "telegram", str(chat), timezone="UTC", digest_time="08:00"
        )
        await outbox.plan(
            chat_id=chat_id,
            platform="telegram",
            slot=slot,
            window_start=None,
            window_end=slot,
            story_count=0,
            parts=[json.dumps({"html": text, "plain": text}) for text in texts(chat)],
        )


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_digests_are_planned_once_and_delivered_by_two_workers_within_limits(
    procs: Processes, pg: str, store: Store
) -> None:
    from tests.fakes.telegram_api import BotAPIServer

    chats = [8001 + n for n in range(30)]
    slot_time = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%H:%M")
    with BotAPIServer() as server:
        server.enforce_limits = True
        for chat in chats:
            server.add_chat(chat)
            await store.ensure_chat("telegram", str(chat), timezone="UTC", digest_time=slot_time)
        procs.env |= {
            "NEWSBOT_TELEGRAM__TOKEN": TOKEN,
            "NEWSBOT_TELEGRAM__BASE_URL": f"{server.base_url}/bot",
            "NEWSBOT_DELIVERY__MISSED_GRACE_MINUTES": "30",
        }
        procs.start("run")  # reads Telegram's updates; two workers plan and deliver
        procs.start("worker", "--queues", "plan,deliver")
        procs.start("worker", "--queues", "plan,deliver")

        def delivered() -> bool:
            [(planned, open_parts)] = query(
                pg,
                "SELECT (SELECT count(*) FROM digests d JOIN chats c ON c.id = d.chat_id"
                " WHERE c.platform = 'telegram'),"
                " (SELECT count(*) FROM deliveries WHERE state <> 'sent')",
            )
            return planned == len(chats) and open_parts == 0

        assert wait_for(delivered, 120), "the workers did not deliver every digest"
        [(parts,)] = query(pg, "SELECT count(*) FROM deliveries")
        got = {chat: len(server.sent[chat]) for chat in chats}
    assert all(n >= 1 for n in got.values())  # every chat got its digest ...
    assert sum(got.values()) == parts  # ... once: no part sent twice
    assert server.too_many_requests == 0
    [(plans,)] = query(
        pg,
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'newsbot:plan'"
        " AND status = 'succeeded'",
    )
    assert plans >= 1


def summarized(pg: str) -> bool:
    """Stories were made, every article is in one, and no poll, index or summary job is left."""
    [(stories, unindexed, jobs_left)] = query(
        pg,
        "SELECT (SELECT count(DISTINCT story_id) FROM articles),"
        " (SELECT count(*) FROM articles WHERE story_id IS NULL),"
        " (SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        "  AND queue_name IN ('poll', 'index', 'summarize'))",
    )
    return int(stories) > 0 and unindexed == 0 and jobs_left == 0  # type: ignore[call-overload]


def test_worker_summarizes_each_new_story_once_with_the_llm(procs: Processes, pg: str) -> None:
    from tests.fakes.openai_server import ChatRequest, OpenAIServer, json_answer

    def first_sentence(request: ChatRequest):  # type: ignore[no-untyped-def]
        # A summary the verifier accepts: a sentence of the story, word for word.
        lines = [line for line in request.user_text.splitlines() if len(line) > 80]
        sentence = lines[0].split(". ")[0] + "." if lines else "Nothing."
        return json_answer([sentence], [], [])(request)

    with OpenAIServer(first_sentence) as server:
        procs.env |= {
            "NEWSBOT_SUMMARIZER__BACKEND": "llm",
            "NEWSBOT_LLM__BASE_URL": server.url,
            "NEWSBOT_LLM__API_KEY": "sk-test",
        }
        procs.start("run")
        procs.start("worker")
        procs.start("worker")

        assert wait_for(lambda: summarized(pg), 120), (
            "the workers did not summarize the new stories"
        )
        [(stories,)] = query(pg, "SELECT count(DISTINCT story_id) FROM articles")
        [(jobs,)] = query(
            pg,
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'newsbot:summarize'"
            " AND status = 'succeeded'",
        )
        [(cached,)] = query(pg, "SELECT count(*) FROM summaries")
        calls = server.count
    assert jobs >= stories  # every story that got new articles was summarized ...
    assert calls == cached >= stories  # ... and the LLM asked once per content, never twice
    print(f"{stories} stories, {jobs} summarize jobs, {calls} LLM calls, {cached} cached")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_parts_a_dead_worker_claimed_go_at_once_not_after_its_lease(
    pg: str, store: Store, queue: procrastinate.App
) -> None:
    from tests.fakes.telegram_api import BotAPIServer

    chats = [9001, 9002, 9003]
    dead = Outbox(store, "dead-worker", lease=timedelta(seconds=60))
    await plan_digests(dead, chats, lambda chat: [f"Digest {chat}"])
    claimed = await dead.claim(["telegram"], 10)  # then the worker was killed: 60 s leases
    sending = claimed[0]
    assert await dead.start_sending(sending)  # one part was under way at the kill
    with BotAPIServer() as server:
        for chat in chats:
            server.add_chat(chat)
        settings = settings_of(pg).model_copy(
            update={
                "telegram": Settings(
                    telegram={"token": TOKEN, "base_url": f"{server.base_url}/bot"}
                ).telegram
            }
        )
        await queue.configure_task("newsbot:deliver", lock="deliver").defer_async()
        await run_worker(settings, queues=["deliver"], concurrency=1, wait=False)
        got = {chat: [m["plain"] for m in server.sent[chat]] for chat in chats}
    # Every chat has its digest now, 59 s before the dead worker's leases would have ended;
    # the part under way at the kill is sent again (Telegram cannot be asked), once.
    assert got == {chat: [f"Digest {chat}"] for chat in chats}
    assert (await dead.counts()) == {"sent": 3}


async def test_the_status_page_shows_the_queues(
    pg: str, store: Store, queue: procrastinate.App
) -> None:
    from bot.web.server import web_server

    await queue.configure_task("newsbot:poll").defer_async(feed_id=1)
    await queue.configure_task("newsbot:poll").defer_async(feed_id="not-a-number")
    await run_worker(settings_of(pg), queues=["poll"], concurrency=1, wait=False)
    await queue.configure_task("newsbot:poll", queueing_lock="poll:7").defer_async(feed_id=7)
    settings = settings_of(pg)
    settings = Settings(
        **{**settings.model_dump(mode="python"), "web": {"enabled": True, "port": 0}}
    )
    async with web_server(store, settings) as running:
        assert running is not None
        async with httpx.AsyncClient() as client:
            page = (await client.get(f"http://127.0.0.1:{running.port}/")).text
    jobs = page[page.index("<h2>Jobs</h2>") :]
    # queue, queued, running, failed: the bad job failed, feed 7 waits
    assert "<tr><td>poll</td><td>1</td><td>0</td><td>1</td></tr>" in jobs
