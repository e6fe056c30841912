"""Shared fixtures: the store on SQLite and PostgreSQL, the loopback news site, eval data; the
network guard (tests/netguard.py) keeps every test on loopback."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.store import Store
from bot.store.db import normalise_store_url
from tests.fakes.newssite import NewsSite

pytest_plugins = ["tests.netguard", "pytester"]

EVAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "eval"
PG_URL = os.environ.get("NEWSBOT_TEST_POSTGRES_URL")


def eval_set(name: str) -> Path:
    """A ../shared/eval set, or skip the test with the reason."""
    folder = EVAL_DATA / name
    if not folder.exists():
        pytest.skip(f"{folder} is absent (a clone outside the workplace has no ../shared/eval)")
    return folder


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(normalise_store_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    except OSError as exc:  # CI sets the URL: an unreachable server is a failure, not a skip
        pytest.fail(f"NEWSBOT_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {exc}")
    finally:
        await engine.dispose()


def _backends() -> list[object]:
    reason = "set NEWSBOT_TEST_POSTGRES_URL to run the store tests on PostgreSQL too"
    return [
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=reason)),
    ]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test run's own on the NEWSBOT_TEST_POSTGRES_URL server, dropped after.

    Runs side by side (two checkouts, two developers) never share tables.
    """
    assert PG_URL
    name = f"newsbot_test_{os.getpid()}"
    own = make_url(normalise_store_url(PG_URL)).set(database=name)

    async def run(sql: str) -> None:
        engine = create_async_engine(
            make_url(normalise_store_url(PG_URL)), isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        except OSError as exc:  # CI sets the URL: unreachable is a failure, not a skip
            pytest.fail(f"NEWSBOT_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {exc}")
        finally:
            await engine.dispose()

    def sync(sql: str) -> None:
        # First requested from inside a running event loop: run in a thread of its own.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, run(sql)).result()

    sync(f'DROP DATABASE IF EXISTS "{name}"')
    sync(f'CREATE DATABASE "{name}"')
    yield own.render_as_string(hide_password=False)
    sync(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=_backends())
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's URL: a SQLite file in tmp, or this run's PostgreSQL database, reset."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'newsbot.db'}"
    url = request.getfixturevalue("postgres_url")
    await _reset_postgres(url)
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """An empty, migrated store on each backend."""
    opened = await Store.open(store_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def settings(store_url: str, tmp_path: Path) -> Settings:
    """Default settings on the test store, with short timeouts; the poller may read the
    loopback news site (its SSRF guard refuses 127.0.0.1 unless allow_private says so)."""
    return Settings(
        store={"url": store_url},
        ingest={
            "timeout_seconds": 3.0,
            "feeds_file": str(tmp_path / "none.opml"),
            "allow_private": ["127.0.0.1"],
        },
    )


@pytest.fixture
def site() -> Iterator[NewsSite]:
    """The sample news site plus hostile routes, on 127.0.0.1."""
    with NewsSite() as running:
        yield running


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`newsbot` commands run in-process point logging at pytest's captured stderr; undo it."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
