"""Store.read: read functions of a sync connection, in one hop (bot/store/reader.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import OperationalError

from bot.store import Store
from bot.store.schema import feeds
from tests.loop_ticks import ticks_during


def _feed_urls(conn: Connection) -> list[str]:
    return [url for (url,) in conn.execute(select(feeds.c.url).order_by(feeds.c.id))]


async def test_a_read_sees_every_write_committed_before_it(store: Store) -> None:
    for n in range(3):
        await store.add_feed(f"https://news{n}.example/feed.xml")
        urls = await store.read(_feed_urls)
        assert urls == [f"https://news{i}.example/feed.xml" for i in range(n + 1)]


async def test_reads_run_side_by_side_with_writes(store: Store) -> None:
    async def write(n: int) -> None:
        await store.add_feed(f"https://w{n}.example/feed.xml")

    async def count() -> int:
        return await store.read(lambda c: int(c.execute(select(func.count(feeds.c.id))).scalar()))

    results = await asyncio.gather(*(write(n) for n in range(20)), *(count() for _ in range(20)))
    counts = [r for r in results if r is not None]
    assert all(0 <= c <= 20 for c in counts)
    assert await count() == 20


async def test_a_slow_read_on_a_sqlite_file_leaves_the_bot_responsive(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite:///{tmp_path / 'newsbot.db'}")
    try:

        def slow(conn: Connection) -> int:
            time.sleep(0.5)  # a long scan, as far as the event loop can tell
            return int(conn.execute(text("SELECT 1")).scalar_one())

        result, ticks = await ticks_during(store.read(slow))
        assert result == 1
        assert ticks >= 20  # the loop went on answering while the read ran
    finally:
        await store.close()


async def test_the_sqlite_reader_refuses_writes_and_loses_nothing(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite:///{tmp_path / 'newsbot.db'}")
    try:
        await store.add_feed("https://kept.example/feed.xml")

        def wipe(conn: Connection) -> None:
            conn.execute(feeds.delete())
            conn.commit()

        with pytest.raises(OperationalError, match="readonly"):
            await store.read(wipe)
        assert [f.url for f in await store.list_feeds()] == ["https://kept.example/feed.xml"]
    finally:
        await store.close()
