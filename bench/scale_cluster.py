"""The pieces of bench/scale.py around one measurement: a fresh database with the farm's
feeds, `newsbot worker` processes on it, and what the database says about progress."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.scale_farm import VERSION_DATES, feed_url, round_etag
from bot.config import Settings
from bot.store import Store
from bot.workers.defer import defer_due_feeds
from bot.workers.queue import ensure_schema, make_queue

ROOT = Path(__file__).resolve().parents[1]


def admin(url: str, sql: str) -> None:
    """One statement on the server, outside a transaction (CREATE/DROP DATABASE)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy since boot (every process: the workers,
    PostgreSQL, the farm, anything else running), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def bench_cpu(database: str, farm: int, workers: list[int]) -> dict[int, tuple[bool, float]]:
    """CPU seconds so far of the bench's processes, each marked whether it is a worker's: the
    workers with their CPU pool and indexer processes (each worker leads a session of its
    own), the farm's (pid ``farm``), PostgreSQL's serving ``database`` (its backends name it
    on their command line) and the server's own background processes (WAL writer ...)."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds: dict[int, tuple[bool, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        worker = int(fields[3]) in workers  # its session
        backend = command.startswith("postgres: ") and (
            f" {database} " in command or command.count(" ") <= 5  # a background process
        )
        if worker or backend or int(entry) == farm:
            seconds[int(entry)] = (worker, (int(fields[11]) + int(fields[12])) / tick)
    return seconds


def cpu_since(
    before: dict[int, tuple[bool, float]], after: dict[int, tuple[bool, float]]
) -> tuple[float, float]:
    """The workers' and all the bench's CPU seconds between two ``bench_cpu`` readings
    (processes started since count whole; one that ended meanwhile is missed: this errs low)."""
    workers = total = 0.0
    for pid, (worker, cpu) in after.items():
        used = cpu - before.get(pid, (worker, 0.0))[1]
        total += used
        workers += used if worker else 0.0
    return workers, total


def load() -> str:
    """The machine's load averages (1, 5, 15 min), as printed beside each figure."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


async def _prepare(url: str, numbers: Iterable[int], kind: str) -> None:
    """The schema, the queue's tables, and one feed per number (``kind`` feed: never polled;
    round: as its first poll left it, validators of its first version kept, due now)."""
    store = await Store.open(url)  # newsbot's migrations
    await store.close()
    await ensure_schema(Settings(store={"url": url}, workers={"enabled": True}))
    rows = [
        (feed_url(n, kind), round_etag(n, 1), VERSION_DATES[1])
        if kind == "round"
        else (feed_url(n, kind), None, None)
        for n in numbers
    ]
    async with await psycopg.AsyncConnection.connect(url) as conn:
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO feeds (url, etag, last_modified, last_success_at, next_check_at,"
                " error_count, active, created_at) VALUES (%s, %s, %s,"
                " CASE WHEN %s::text IS NULL THEN NULL ELSE now() END, NULL, 0, true, now())",
                [(u, e, m, e) for u, e, m in rows],
            )
        await conn.commit()


async def queue_polls(url: str) -> int:
    """What `newsbot run` does each minute: a poll job per due feed; returns how many."""
    settings = Settings(store={"url": url}, workers={"enabled": True})
    store = await Store.open(url)
    try:
        queue = make_queue(settings)
        async with queue.open_async():
            return await defer_due_feeds(store, settings, queue)
    finally:
        await store.close()


@dataclass
class Progress:
    """What the database says: articles, jobs, feeds."""

    articles: int
    distinct: int
    unindexed: int
    stories: int
    biggest: int  # articles in the largest story
    busy: int  # poll and index jobs waiting or running
    failed: int
    polled: int  # feeds polled since the clock started


def progress(url: str, since: float = 0.0) -> Progress:
    """The counts now (``since``: a Unix time; feeds whose last success is later count)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT url), count(*) FILTER (WHERE story_id IS NULL),"
            " count(DISTINCT story_id),"
            " coalesce((SELECT max(c) FROM (SELECT count(*) c FROM articles"
            "   WHERE story_id IS NOT NULL GROUP BY story_id) s), 0)"
            " FROM articles"
        ).fetchone()
        jobs = conn.execute(
            "SELECT count(*) FILTER (WHERE status IN ('todo', 'doing') AND queue_name IN"
            " ('poll', 'index')), count(*) FILTER (WHERE status = 'failed') FROM procrastinate_jobs"
        ).fetchone()
        polled = conn.execute(
            "SELECT count(*) FROM feeds WHERE last_success_at > to_timestamp(%s)", (since,)
        ).fetchone()
    assert row is not None and jobs is not None and polled is not None
    return Progress(*row, *jobs, polled[0])


@dataclass
class Cluster:
    """A fresh database and the worker processes on it; stop() ends them and drops it."""

    base: str
    name: str
    tmp: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    url: str = ""
    _rusage: float = 0.0

    @classmethod
    def create(cls, base: str, tag: str, tmp: Path, numbers: Iterable[int], kind: str) -> Cluster:
        """A database named after the bench and ``tag``, with the feeds (see ``_prepare``)."""
        cluster = cls(base, f"newsbot_scale_{os.getpid()}_{tag}", tmp)
        admin(base, f'DROP DATABASE IF EXISTS "{cluster.name}"')
        admin(base, f'CREATE DATABASE "{cluster.name}"')
        cluster.url = base.rsplit("/", 1)[0] + f"/{cluster.name}"
        asyncio.run(_prepare(cluster.url, numbers, kind))
        cluster._rusage = _children_cpu()
        return cluster

    def env(self) -> dict[str, str]:
        """A worker's environment: the store, workers on, loopback allowed, 1 CPU worker."""
        return {
            **os.environ,
            "NEWSBOT_STORE__URL": self.url,
            "NEWSBOT_WORKERS__ENABLED": "true",
            "NEWSBOT_INGEST__ALLOW_PRIVATE": '["127.0.0.0/8"]',
            "NEWSBOT_CPU__WORKERS": "1",
            "NEWSBOT_LOG__LEVEL": "WARNING",
            "NEWSBOT_COMPANIES__FILE": str(ROOT / "config" / "companies.toml"),
        }

    def start(self, queues: str) -> subprocess.Popen[bytes]:
        """One more `newsbot worker --queues QUEUES` (README: one on poll,index, others poll)."""
        n = len(self.procs)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker", "--queues", queues],
            cwd=self.tmp,
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / f"{self.name}-{n}.log", "w"),  # noqa: SIM115
            start_new_session=True,  # its own process group: kill() ends its children too
        )
        self.procs.append(proc)
        return proc

    def start_workers(self, count: int) -> None:
        """``count`` workers, the first also on the index queue; returns when all listen."""
        for n in range(count):
            self.start("poll,index" if n == 0 else "poll")
        self.wait_registered(count)

    def cpu(self, farm: int) -> dict[int, tuple[bool, float]]:
        """A ``bench_cpu`` reading of this cluster's processes."""
        return bench_cpu(self.name, farm, [p.pid for p in self.procs])

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL a worker with its CPU pool and indexer processes, as a machine or container
        that dies takes them all (killed alone, its children would run on, orphaned)."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def wait_registered(self, count: int) -> None:
        """Until ``count`` workers announced themselves in the database."""
        while self.registered() < count:
            self.check_alive()
            time.sleep(0.1)

    def registered(self) -> int:
        """Live workers in procrastinate's table."""
        return len(self.worker_ids())

    def worker_ids(self) -> list[int]:
        """procrastinate's ids of the workers registered (in the order they registered)."""
        with psycopg.connect(self.url) as conn:
            rows = conn.execute("SELECT id FROM procrastinate_workers ORDER BY id").fetchall()
        return [r[0] for r in rows]

    def check_alive(self) -> None:
        """Stops the bench when a worker ended by itself."""
        for p in self.procs:
            if p.returncode is None and p.poll() is not None:
                raise SystemExit(f"a worker stopped; see {self.tmp}/{self.name}-*.log")

    def wait(self, done: object, since: float) -> Progress:
        """Polls the database until ``done(progress)`` or a failed job."""
        while True:
            now = progress(self.url, since)
            if done(now) or now.failed:  # type: ignore[operator]
                return now
            self.check_alive()
            time.sleep(0.25)

    def stop(self) -> float:
        """SIGTERM every worker still running, drop the database; returns the CPU seconds the
        workers used (their whole life, with their CPU pool and indexer processes)."""
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        admin(self.base, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        return _children_cpu() - self._rusage


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
