"""Three `newsbot run` processes and a worker on one PostgreSQL database ([workers] enabled):
every due feed is fetched once per due time, every digest (the chats' and the console's) is
planned once, and nothing is sent or printed twice."""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.demo.server import feed_urls
from bot.store import Store
from tests import test_workers as shared
from tests.fakes.loopback import Response, Route
from tests.fakes.newssite import NewsSite
from tests.fakes.telegram_api import BotAPIServer
from tests.test_workers import PG_URL, TOKEN, Processes, query, wait_for

# The worker tests' fixtures: an emptied database, a config file with the news site's feeds
# as the starter list, `newsbot` processes and a store.
pg, config, procs, store = shared.pg, shared.config, shared.procs, shared.store

pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="set NEWSBOT_TEST_POSTGRES_URL: workers need PostgreSQL"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def timed(route: Route, log: list[float], lock: threading.Lock) -> Route:
    """The route, noting when each request came, and without the sample feeds' wish to be
    polled no more than every 5 (Cache-Control) or 15 minutes (RSS ttl): due every minute."""

    def answer(headers: Mapping[str, str]) -> Response:
        with lock:
            log.append(time.monotonic())
        response = route(headers)
        assert isinstance(response.body, bytes)
        body = re.sub(rb"<ttl>\d+</ttl>", b"", response.body)
        kept = {k: v for k, v in response.headers.items() if k.lower() != "cache-control"}
        return replace(response, body=body, headers=kept)

    return answer


@pytest.mark.timeout(300)
async def test_three_runs_and_a_worker_poll_plan_and_send_each_thing_once(
    procs: Processes, pg: str, store: Store, site: NewsSite, tmp_path: Path
) -> None:
    lock = threading.Lock()
    fetched: dict[str, list[float]] = {}
    for url in feed_urls(site.base_url):
        path = url.removeprefix(site.base_url)
        fetched[path] = []
        site.routes[path] = timed(site.routes[path], fetched[path], lock)
    chats = [50_001 + n for n in range(12)]
    at = datetime.now(UTC) + timedelta(minutes=2)  # after the first polls: digests with stories
    for chat in chats:
        await store.ensure_chat("telegram", str(chat), timezone="UTC", digest_time=f"{at:%H:%M}")
    procs.env |= {
        "NEWSBOT_INGEST__POLL_INTERVAL_MINUTES": "1",
        "NEWSBOT_DIGEST__DEFAULT_TIME": f"{at:%H:%M}",  # every `run` prints the console's then
        "NEWSBOT_DIGEST__DEFAULT_TIMEZONE": "UTC",
        "NEWSBOT_DELIVERY__MISSED_GRACE_MINUTES": "30",
    }
    with BotAPIServer() as server:
        # Three schedulers started at once on an empty store (each would import the starter
        # feeds, each queues the due polls every minute on a clock of its own) ...
        runs = [procs.start("run") for _ in range(3)]
        procs.env |= {  # ... and one worker, the only one that sends (runs read no chats here)
            "NEWSBOT_TELEGRAM__TOKEN": TOKEN,
            "NEWSBOT_TELEGRAM__BASE_URL": f"{server.base_url}/bot",
        }
        worker = procs.start("worker", "--concurrency", "4")
        started = time.monotonic()

        def polled_twice() -> bool:
            with lock:
                return all(len(times) >= 3 for times in fetched.values())

        # Two due times of every feed (the starter import fetched each once), the digests.
        assert wait_for(polled_twice, 240), (
            f"feeds fetched: { {p: len(t) for p, t in fetched.items()} }"
        )
        assert wait_for(lambda: datetime.now(UTC) > at + timedelta(seconds=30), 180)
        assert all(proc.poll() is None for proc in [*runs, worker]), "a process ended"
        got = {chat: [m["plain"] for m in server.sent[chat]] for chat in chats}
    elapsed = time.monotonic() - started
    procs.stop()

    [(feeds, urls)] = query(pg, "SELECT count(*), count(DISTINCT url) FROM feeds")
    assert feeds == urls == len(fetched)  # the starter feeds imported once
    with lock:
        # The first fetch adds the feed (the starter import), the others are its polls.
        gaps = {p: [b - a for a, b in itertools.pairwise(t[1:])] for p, t in fetched.items()}
    print(f"3 runs + 1 worker, {elapsed:.0f} s: gaps between polls {gaps}")
    # A feed is due again a minute (±10 %) after its poll: two fetches closer than that would
    # be one due time polled twice.
    assert all(gap > 50 for feed in gaps.values() for gap in feed), gaps
    [(digests, slots)] = query(
        pg,
        "SELECT count(*), count(DISTINCT (chat_id, slot)) FROM digests d JOIN chats c"
        " ON c.id = d.chat_id WHERE c.platform = 'telegram'",
    )
    assert digests == slots == len(chats)  # each chat's digest planned once
    [(parts,)] = query(
        pg,
        "SELECT count(*) FROM deliveries d JOIN chats c ON c.id = d.chat_id"
        " WHERE c.platform = 'telegram'",
    )
    assert all(len(texts) == len(set(texts)) for texts in got.values()), got  # none twice
    assert not any("No new stories" in texts[0] for texts in got.values()), got  # stories in it
    assert sum(len(texts) for texts in got.values()) == parts
    [(console,)] = query(
        pg,
        "SELECT count(*) FROM digests d JOIN chats c ON c.id = d.chat_id"
        " WHERE c.platform = 'console'",
    )
    printed = sum((tmp_path / f"run-{n}.log").read_text().count("Digest") for n in range(3))
    assert (console, printed) == (1, 1)  # the console digest made and printed once
    [(failed,)] = query(pg, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")
    assert failed == 0
