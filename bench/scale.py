"""Ingest with 1 and with 2 `newsbot worker` processes on the PostgreSQL store.

A loopback news farm in its own process serves FEEDS feeds of 10 articles each, spread over 20
loopback hosts (127.0.1.1 …, so per-host politeness does not serialise the farm). For each
worker count, a fresh database gets the feeds, the workers start, `newsbot run`'s own code
queues a poll job per feed (the clock starts), and the workers (each with [cpu] workers = 1;
the first on `--queues poll,index`, the others on `--queues poll`, as the README advises) poll,
extract, store and index until every article is stored and held by a story. Printed: wall
time from the queueing, the workers' CPU time (their whole life, start-up included, with
their CPU pool processes), articles a second, and the speed-up of 2 workers over 1 (the
baseline, measured in the same run). Fails (exit 1) when an article is missing or stored
twice, an article is left without a story, or a job failed.

Run: .venv/bin/python bench/scale.py [--feeds 200] [--pg postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import signal
import subprocess
import sys
import time
from multiprocessing import Event, Process
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.workers.defer import defer_due_feeds  # noqa: E402
from bot.workers.queue import ensure_schema, libpq_url, make_queue  # noqa: E402

HOSTS = [f"127.0.1.{n}" for n in range(1, 21)]
PORT = 18931
ARTICLES = 10
VOCABULARY = (
    "market chip supplier factory quarter revenue profit battery vehicle network cloud server "
    "bank rate inflation merger deal regulator court ruling launch phone satellite airline "
    "fuel price shipping port harbor union strike wage energy grid solar wind storage retail "
    "store online sales forecast investor shares bond yield export import tariff minister"
)
WORDS = VOCABULARY.split()


def article_text(feed: int, n: int) -> str:
    rng = random.Random(feed * 1000 + n)
    topic = " ".join(rng.sample(WORDS, 4))
    paragraphs = []
    for _ in range(6):
        words = [rng.choice(WORDS) for _ in range(60)]
        paragraphs.append(f"The {topic} story {feed}-{n}: " + " ".join(words) + ".")
    return "\n".join(paragraphs)


def page(feed: int, n: int) -> str:
    body = "".join(f"<p>{p}</p>" for p in article_text(feed, n).split("\n"))
    return (
        f"<!doctype html><html><head><title>Story {feed}-{n}</title></head><body>"
        f"<nav>Home News Markets</nav><article><h1>Story {feed}-{n}</h1>{body}</article>"
        "<footer>Farm news</footer></body></html>"
    )


def feed(host: str, number: int) -> str:
    items = "".join(
        f"<item><title>Story {number}-{n}</title>"
        f"<link>http://{host}:{PORT}/a/{number}/{n}.html</link><guid>{number}-{n}</guid>"
        f"<pubDate>Sun, 06 Dec 2026 0{n % 10}:00:00 GMT</pubDate>"
        f"<description>Story {number}-{n} in brief.</description></item>"
        for n in range(ARTICLES)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Farm feed '
        f"{number}</title><link>http://{host}:{PORT}/</link>{items}</channel></rss>"
    )


def farm(ready, stop) -> None:  # type: ignore[no-untyped-def]
    """The news farm: every host serves every feed and page (the feed's URL picks the host)."""

    async def feed_route(request: web.Request) -> web.Response:
        number = int(request.match_info["n"])
        return web.Response(
            text=feed(request.host.split(":")[0], number), content_type="application/rss+xml"
        )

    async def page_route(request: web.Request) -> web.Response:
        f, n = int(request.match_info["f"]), int(request.match_info["n"])
        return web.Response(text=page(f, n), content_type="text/html")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", feed_route)
        app.router.add_get("/a/{f}/{n}.html", page_route)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for host in HOSTS:
            await web.TCPSite(runner, host, PORT).start()
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
        await runner.cleanup()

    asyncio.run(main())


def admin(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


async def prepare(store_url: str, feeds: int) -> None:
    """The feeds and the queue's tables in a fresh database."""
    store = await Store.open(store_url)
    try:
        for number in range(feeds):
            await store.add_feed(f"http://{HOSTS[number % len(HOSTS)]}:{PORT}/feed/{number}.xml")
        await ensure_schema(Settings(store={"url": store_url}, workers={"enabled": True}))
    finally:
        await store.close()


async def queue_polls(store_url: str, feeds: int) -> None:
    """What `newsbot run` does each minute: a poll job per due feed."""
    settings = Settings(store={"url": store_url}, workers={"enabled": True})
    store = await Store.open(store_url)
    try:
        queue = make_queue(settings)
        async with queue.open_async():
            queued = await defer_due_feeds(store, settings, queue)
        assert queued == feeds, (queued, feeds)
    finally:
        await store.close()


def progress(url: str) -> tuple[int, int, int, int, int]:
    """(articles, distinct URLs, articles without a story, jobs waiting or running, failed)."""
    with psycopg.connect(url) as conn:
        articles, distinct, unindexed = conn.execute(
            "SELECT count(*), count(DISTINCT url), count(*) FILTER (WHERE story_id IS NULL)"
            " FROM articles"
        ).fetchone()  # type: ignore[misc]
        busy, failed = conn.execute(
            "SELECT count(*) FILTER (WHERE status IN ('todo', 'doing') AND queue_name IN"
            " ('poll', 'index')), count(*) FILTER (WHERE status = 'failed') FROM procrastinate_jobs"
        ).fetchone()  # type: ignore[misc]
    return articles, distinct, unindexed, busy, failed


def registered(url: str) -> int:
    """Workers that announced themselves in the database."""
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0]  # type: ignore[index]
    except psycopg.Error:
        return 0


def measure(base: str, feeds: int, workers: int, tmp: Path) -> dict[str, float]:
    name = f"newsbot_bench_scale_{os.getpid()}_{workers}"
    admin(base, f'DROP DATABASE IF EXISTS "{name}"')
    admin(base, f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(prepare(url, feeds))
    env = {
        **os.environ,
        "NEWSBOT_STORE__URL": url,
        "NEWSBOT_WORKERS__ENABLED": "true",
        "NEWSBOT_INGEST__ALLOW_PRIVATE": '["127.0.0.0/8"]',
        "NEWSBOT_CPU__WORKERS": "1",
        "NEWSBOT_LOG__LEVEL": "WARNING",
        "NEWSBOT_COMPANIES__FILE": str(ROOT / "config" / "companies.toml"),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The README's set-up: one worker also takes the one-writer index queue (a clusterer that
    # moved between processes would be rebuilt from the store at each move), the others poll.
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "worker", "--queues", "poll,index" if n == 0 else "poll"],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / f"worker-{workers}-{n}.log", "w"),  # noqa: SIM115
        )
        for n in range(workers)
    ]
    try:
        while registered(url) < workers:  # started and listening: the clock starts now
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a worker stopped; see {tmp}")
            time.sleep(0.1)
        started = time.perf_counter()
        asyncio.run(queue_polls(url, feeds))
        while True:
            articles, distinct, unindexed, busy, failed = progress(url)
            if (articles >= feeds * ARTICLES and unindexed == 0 and busy == 0) or failed:
                break
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a worker stopped; see {tmp}")
            time.sleep(0.25)
        wall = time.perf_counter() - started
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "wall": wall,
        "cpu": cpu,
        "articles": articles,
        "distinct": distinct,
        "unindexed": unindexed,
        "failed": failed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200, help="feeds of 10 articles (200)")
    parser.add_argument(
        "--pg",
        default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test"),
        help="a PostgreSQL server and database to create the bench's databases from",
    )
    args = parser.parse_args()
    base = libpq_url(Settings(store={"url": args.pg}))
    ready, stop = Event(), Event()
    server = Process(target=farm, args=(ready, stop), daemon=True)
    server.start()
    if not ready.wait(30):
        print("the news farm did not start", file=sys.stderr)
        return 1
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"newsbot-bench-scale-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        results = {n: measure(base, args.feeds, n, tmp) for n in (1, 2)}
    finally:
        stop.set()
        server.join(10)
    expected = args.feeds * ARTICLES
    print(f"ingest of {args.feeds} feeds x {ARTICLES} articles over {len(HOSTS)} loopback hosts")
    print(f"{'workers':>8} {'wall s':>8} {'CPU s':>8} {'art/s':>8} {'speed-up':>9}")
    ok = True
    for n, r in results.items():
        speed = results[1]["wall"] / r["wall"]
        print(
            f"{n:>8} {r['wall']:>8.1f} {r['cpu']:>8.1f} {r['articles'] / r['wall']:>8.1f}"
            f" {speed:>8.2f}x"
        )
        if r["articles"] != expected or r["distinct"] != expected:
            print(f"  wrong: {r['articles']} stored, {r['distinct']} distinct, want {expected}")
            ok = False
        if r["unindexed"] or r["failed"]:
            print(f"  wrong: {r['unindexed']} without a story, {r['failed']} jobs failed")
            ok = False
    speed_up = results[1]["wall"] / results[2]["wall"]
    print(f"speed-up of 2 workers over 1: {speed_up:.2f}x (issue #17 asks >= 1.6x on 2 cores)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
