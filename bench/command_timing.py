"""Timing the chat commands beside the naive scans (bench/commands.py, bench/cost_curves.py):
each query through CommandCore.handle, the naive LIKE scan of the same data, and whether the
answer is a real one."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection, text

from bench.news_corpus import Event
from bot.chat.command import ChatContext, parse_command
from bot.chat.core import CommandCore
from bot.store import Store, utcnow
from bot.store.company_stories import ABOUT, PAGE, first_page_stories
from bot.store.news import RECENT
from bot.store.search_words import search_terms

TARGETS = {"company": 50.0, "ask": 200.0}
CONTEXT = ChatContext("bench", "bench-chat", "bench-user")


def _baseline_company(dialect: str, name: str) -> tuple[str, dict[str, Any]]:
    like = "ILIKE" if dialect == "postgresql" else "LIKE"
    sql = (
        f"SELECT id, title, published_at FROM articles WHERE text {like} :p "
        "ORDER BY published_at DESC LIMIT 5"
    )
    return sql, {"p": f"%{name}%"}


def _baseline_ask(dialect: str, question: str) -> tuple[str, dict[str, Any]] | None:
    words = search_terms(question)  # the words ours searches for: same question, naive engine
    if not words:
        return None
    like = "ILIKE" if dialect == "postgresql" else "LIKE"
    where = " OR ".join(f"text {like} :w{i}" for i in range(len(words)))
    sql = (
        f"SELECT id, title, published_at FROM articles WHERE {where} "
        "ORDER BY published_at DESC LIMIT 10"
    )
    return sql, {f"w{i}": f"%{w}%" for i, w in enumerate(words)}


@dataclass(slots=True)
class Timings:
    ours: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    sql_ours: list[float] = field(default_factory=list)  # /company's statement alone
    sql_base: list[float] = field(default_factory=list)  # the naive one, the same way
    answered: int = 0
    own_event: int = 0  # /ask: answers citing the very event asked about
    misses: list[str] = field(default_factory=list)  # queries without a real answer


async def measure(
    store: Store,
    core: CommandCore,
    name: str,
    queries: list[str],
    baseline_every: int,
    events: list[Event] | None = None,
    urls: dict[str, int] | None = None,
) -> Timings:
    """Time each query through CommandCore.handle, and the naive baseline on every Nth. An /ask
    answer counts as answered when it cites sources and names the company asked about."""
    timings = Timings()
    build = _baseline_company if name == "company" else _baseline_ask
    for i, query in enumerate(queries):
        command = parse_command(f"/{name} {query}")
        assert command is not None
        started = time.perf_counter()
        reply = await core.handle(command, CONTEXT)
        timings.ours.append((time.perf_counter() - started) * 1000)
        if events is not None and urls is not None:
            real = reply.ok and "Sources:" in _text(reply) and about(reply, events[i])
            timings.answered += real
            timings.own_event += real and cites_event(reply, events[i], urls)
        else:
            real = reply.ok
            timings.answered += real
        if not real:
            timings.misses.append(query)
        if i % baseline_every:
            continue
        naive = build(store.dialect, query)
        if naive is None:
            continue
        started = time.perf_counter()
        async with store.engine.connect() as conn:
            (await conn.execute(text(naive[0]), naive[1])).all()
        timings.base.append((time.perf_counter() - started) * 1000)
        if name == "company":
            await _time_statements(store, core, query, naive, timings)
    return timings


def _rows(statement: Any, params: dict[str, Any], conn: Connection) -> list[Any]:
    return list(conn.execute(statement, params).all())


async def _time_statements(
    store: Store, core: CommandCore, query: str, naive: tuple[str, dict[str, Any]], t: Timings
) -> None:
    """/company's one statement and the naive scan, each alone, the same way (in one hop of
    the store's reader): the index against the scan, without the access path or the answer."""
    name = (core.gazetteer.lookup(query) if core.gazetteer else None) or query
    params = {"company": name, "since": utcnow() - RECENT, "limit": 5, "page": PAGE * 5}
    params |= {"platform": CONTEXT.platform, "chat_key": CONTEXT.chat_key}
    for statement, bound, into in (
        (first_page_stories(ABOUT), params, t.sql_ours),
        (text(naive[0]), naive[1], t.sql_base),
    ):
        started = time.perf_counter()
        await store.read(partial(_rows, statement, bound))
        into.append((time.perf_counter() - started) * 1000)


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _text(reply: Any) -> str:
    return repr(reply)


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def about(reply: Any, event: Event) -> bool:
    """Whether an /ask reply is about the event's company: its name (or an alias) is in it."""
    shown = _text(reply)
    return any(name in shown for name in (event.company.name, *event.company.aliases))


def cites_event(reply: Any, event: Event, urls: dict[str, int]) -> bool:
    """Whether an /ask reply cites an article of the very event the question was made from."""
    shown = _text(reply)
    return any(url in shown for url, e in urls.items() if e == id(event))


def _select_one(conn: Connection) -> int:
    return int(conn.execute(text("SELECT 1")).scalar_one())


async def access_cost(store: Store, n: int = 200) -> tuple[float, float]:
    """The p50 ms of a bare ``SELECT 1`` through the async engine and in one hop of the store's
    reader: what each read costs before its statement does anything."""
    engine: list[float] = []
    reader: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        async with store.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        engine.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await store.read(_select_one)
        reader.append((time.perf_counter() - started) * 1000)
    return pct(engine, 50), pct(reader, 50)
