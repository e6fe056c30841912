"""Wiring one process: store, summarizer, digest, delivery; the feed side is bot/polling.py.

The ONE wiring of the chat side too (:func:`open_app`): one store, one gazetteer, one
OpenAI-compatible client with one daily budget for summaries and /ask, and one command core
that every adapter (Telegram, Slack, the console), the digest planner and the CLI share.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.chat.command import ChatContext
from bot.chat.console import for_command_line, render_reply
from bot.config import Settings, redact_url
from bot.delivery.planner import DigestPlanner, Encoder
from bot.delivery.schedule import WEEKDAYS, Schedule, latest_slot
from bot.delivery.sender import Sender
from bot.delivery.worker import DeliveryWorker
from bot.digest.build import DigestBuilder
from bot.ingest.http.clients import configured_fetcher
from bot.ingest.http.fetch import Fetcher
from bot.ingest.http.guard import UrlGuard
from bot.nlp.indexer import LiveIndex
from bot.polling import configure_cpu
from bot.store import Store
from bot.store.chats import ChatStore
from bot.store.digests import slot_recorded
from bot.store.exclusive import exclusive
from bot.store.news import NewsIndex
from bot.store.outbox import Outbox
from bot.summarize.base import Summarizer
from bot.summarize.embedded import ExtractiveSummarizer, load_gazetteer

if TYPE_CHECKING:
    import openai

    from bot.chat.core import CommandCore
    from bot.nlp.companies import Gazetteer

log = logging.getLogger("newsbot.app")
CONSOLE_CHAT = ("console", "console")


class StoreUnavailable(Exception):
    """The store cannot be opened; the message names it (no password) and says what to do."""


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Store]:
    """The store named by the settings, migrated, closed on exit; StoreUnavailable when it
    cannot be opened."""
    try:
        url = settings.store_url()
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot read [store] url_file {settings.store.url_file}: {exc.strerror or exc}; "
            "check the path and its permissions"
        ) from exc
    try:
        store = await Store.open(url)
    except Exception as exc:  # any driver's error: said in one line, the cause kept for --debug
        # aiosqlite closes a connection that failed half-way from its own thread, unawaited:
        # give it a moment while the loop still runs, or it reports a closed loop on stderr.
        await asyncio.sleep(0.05)
        raise StoreUnavailable(store_problem(url, exc)) from exc
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def open_summarizer(
    settings: Settings,
    store: Store,
    *,
    gazetteer: Gazetteer | None = None,
    client: openai.AsyncOpenAI | None = None,
) -> AsyncIterator[Summarizer]:
    """The summarizer the settings choose; the LLM one falls back to the embedded one. Given
    the process's gazetteer and LLM client (:func:`open_app`), it uses those."""
    configure_cpu(settings)
    embedded = ExtractiveSummarizer(gazetteer or load_gazetteer(settings.companies.file))
    if settings.summarizer.backend != "llm":
        yield embedded
        return
    from bot.store.cache import SummaryCache
    from bot.summarize.llm import LLMSummarizer

    llm = LLMSummarizer(
        settings.llm,
        settings.secret("llm", "api_key"),
        SummaryCache(store),
        embedded,
        client=client,
    )
    try:
        yield llm
    finally:
        await llm.aclose()


def store_problem(url: str, exc: BaseException) -> str:
    """One line: the store (its password hidden), why it cannot be opened, what to check."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    why = (reason[0] if reason else type(exc).__name__)[:200]
    if url.startswith("sqlite"):
        todo = "check [store] url: its folder must exist and be writable by newsbot"
    else:
        todo = "check [store] url, and that the database server is running and lets this user in"
    shown = redact_url(url).replace("+aiosqlite://", "://").replace("+asyncpg://", "://")
    return f"cannot open the store {shown} ({why}); {todo}"


@dataclass(slots=True)
class DigestRun:
    """A digest that was built and recorded."""

    text: str
    stories: int
    left_out: int


async def console_digest(
    store: Store,
    settings: Settings,
    summarizer: Summarizer,
    now: datetime | None = None,
    *,
    slot: datetime | None = None,
) -> DigestRun:
    """The console's digest of what is new since its previous one, recorded, as the terminal
    prints it. The console is one more chat: the same builder as every chat's /digest ranks
    the window's stories by its subscriptions (none: everything) and leaves out what it was
    sent before unless a new source reported it. ``slot``: the scheduled instant it is for."""
    digest = settings.digest
    chat, _ = await ChatStore(store).ensure(
        *CONSOLE_CHAT, timezone=digest.default_timezone, digest_time=digest.default_time
    )
    builder = DigestBuilder(store, summarizer, digest)
    built = await builder.digest_now(chat, now, title="Digest", slot=slot)
    if built.left_out:
        shown = {"shown": built.story_count, "left_out": built.left_out}
        log.info("digest left stories out", extra=shown)
    assert built.reply is not None
    text = render_reply(for_command_line(built.reply))
    return DigestRun(text, built.story_count, built.left_out)


async def scheduled_console_digest(
    store: Store, settings: Settings, summarizer: Summarizer, now: datetime | None = None
) -> DigestRun | None:
    """The console digest of ``[digest] default_time``'s latest slot, once however many
    `newsbot run` processes share the store: the first one builds, records and returns it;
    the others (waiting on a store-wide lock meanwhile) find the slot recorded and get None."""
    digest = settings.digest
    now = now or datetime.now(UTC)
    schedule = Schedule(digest.default_timezone, digest.default_time, WEEKDAYS)
    slot = latest_slot(schedule, now)
    async with exclusive(store, "console digest"):
        chat, _ = await ChatStore(store).ensure(
            *CONSOLE_CHAT, timezone=digest.default_timezone, digest_time=digest.default_time
        )
        if slot is not None:
            async with store.engine.connect() as conn:
                if await slot_recorded(conn, chat.id, slot):
                    return None
        return await console_digest(store, settings, summarizer, now, slot=slot)


# -- the chat side: one core for every adapter ----------------------------------------------------

# The console is one chat, the same one `newsbot digest` records its digests for.
CONSOLE = ChatContext("console", "console", "console", is_admin=True)


def chat_fetcher_factory(settings: Settings, allow: Iterable[str] = ()) -> Callable[[], Fetcher]:
    """Fetchers for links from chats: [ingest] limits, and the SSRF guard on every hop."""
    guard = UrlGuard(allow)
    ingest = settings.ingest

    def make() -> Fetcher:
        return configured_fetcher(ingest, guard)

    return make


def make_core(
    store: Store,
    summarizer: Summarizer,
    settings: Settings,
    *,
    gazetteer: Gazetteer | None = None,
    client: openai.AsyncOpenAI | None = None,
) -> CommandCore:
    """The command core, on the process's gazetteer and LLM client when given (/ask then
    spends the summarizer's client and budget)."""
    from bot.chat.core import CommandCore
    from bot.store.cache import SummaryCache
    from bot.summarize.answer import Answerer

    index = NewsIndex(store)
    cache = SummaryCache(store) if settings.summarizer.backend == "llm" else None
    return CommandCore(
        store,
        summarizer,
        gazetteer if gazetteer is not None else load_gazetteer(settings.companies.file),
        settings,
        chat_fetcher_factory(settings, settings.ingest.allow_private),
        index=index,
        answerer=Answerer(index, settings, cache=cache, client=client),
    )


@dataclass(slots=True)
class App:
    """One process's parts, each built once and shared by the CLI, the scheduler, the
    digest planner and every chat adapter."""

    settings: Settings
    store: Store
    gazetteer: Gazetteer | None
    llm: openai.AsyncOpenAI | None  # the one LLM client; None without [summarizer] llm
    summarizer: Summarizer
    core: CommandCore
    stories: LiveIndex  # the story index polls add to, rebuilt from the store on first use


@asynccontextmanager
async def open_app(settings: Settings) -> AsyncIterator[App]:
    """The process's store, gazetteer, LLM client, summarizer and command core, closed on
    exit; StoreUnavailable when the store cannot be opened."""
    from bot.summarize.client import openai_client

    async with open_store(settings) as store:
        gazetteer = load_gazetteer(settings.companies.file)
        llm = None
        if settings.summarizer.backend == "llm":
            llm = openai_client(settings.llm, settings.secret("llm", "api_key"))
        try:
            async with open_summarizer(
                settings, store, gazetteer=gazetteer, client=llm
            ) as summarizer:
                core = make_core(store, summarizer, settings, gazetteer=gazetteer, client=llm)
                stories = LiveIndex(NewsIndex(store), gazetteer)
                try:
                    yield App(settings, store, gazetteer, llm, summarizer, core, stories)
                finally:
                    stories.close()
                    await core.aclose()
        finally:
            if llm is not None:
                await llm.close()


@asynccontextmanager
async def open_core(settings: Settings) -> AsyncIterator[CommandCore]:
    """The process's command core (see :func:`open_app`), closed on exit."""
    async with open_app(settings) as app:
        yield app.core


def delivery_parts(
    core: CommandCore, settings: Settings, senders: dict[str, Sender]
) -> tuple[DigestPlanner, DeliveryWorker] | None:
    """The digest planner and delivery worker for these platforms' senders (None: no platform)."""
    from bot.chat.slack import send as slack_send
    from bot.chat.telegram import send as telegram_send

    every: dict[str, Encoder] = {
        "telegram": telegram_send.encode_parts,
        "slack": slack_send.encode_parts,
    }
    encoders = {platform: every[platform] for platform in senders}
    if not senders:
        return None
    section = settings.delivery
    outbox = Outbox(core.store, worker_name(), lease=timedelta(seconds=section.lease_seconds))
    worker = DeliveryWorker(outbox, senders, concurrency=section.concurrency)
    planner = DigestPlanner(
        core.store,
        core.digests,
        core.gate.access.admits_scheduled,
        outbox,
        encoders,
        grace=timedelta(minutes=section.missed_grace_minutes),
        on_planned=worker.wake,
    )
    return planner, worker


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
