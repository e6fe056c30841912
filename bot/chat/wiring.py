"""Building a CommandCore from the settings: the store, summarizer, gazetteer, guarded fetcher."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from bot.chat.command import ChatContext
from bot.chat.core import CommandCore
from bot.chat.services import FetcherFactory
from bot.config import Settings
from bot.ingest.clients import configured_fetcher
from bot.ingest.fetch import Fetcher
from bot.ingest.guard import UrlGuard
from bot.store import Store
from bot.summarize.base import Summarizer

# The console is one chat, the same one `newsbot digest` records its digests for.
CONSOLE = ChatContext("console", "console", "console", is_admin=True)


def chat_fetcher_factory(settings: Settings, allow: Iterable[str] = ()) -> FetcherFactory:
    """Fetchers for links from chats: [ingest] limits, and the SSRF guard on every hop."""
    guard = UrlGuard(allow)
    ingest = settings.ingest

    def make() -> Fetcher:
        return configured_fetcher(ingest, guard)

    return make


def make_core(store: Store, summarizer: Summarizer, settings: Settings) -> CommandCore:
    """The command core every chat adapter and the CLI share, built from the settings."""
    from bot.summarize.embedded import load_gazetteer

    return CommandCore(
        store,
        summarizer,
        load_gazetteer(settings.companies.file),
        settings,
        chat_fetcher_factory(settings, settings.ingest.allow_private),
    )


@asynccontextmanager
async def open_core(settings: Settings) -> AsyncIterator[CommandCore]:
    """A CommandCore on the configured store and summarizer, closed on exit."""
    from bot.app import open_store, open_summarizer

    async with open_store(settings) as store, open_summarizer(settings, store) as summarizer:
        core = make_core(store, summarizer, settings)
        try:
            yield core
        finally:
            await core.aclose()
