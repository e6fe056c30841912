"""Wiring of the feed side: the HTTP clients from [ingest], one poll round and its indexing,
and the starter feeds of an OPML file. The CLI, the scheduler, the workers and the demo share it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot import cpu
from bot.chat.console import clean_line
from bot.config import Settings
from bot.ingest.feedlist import NotAdded, add_feeds
from bot.ingest.http.addresses import Resolver
from bot.ingest.http.clients import cli_guard, configured_fetcher
from bot.ingest.http.fetch import Fetcher
from bot.ingest.http.guard import UrlGuard
from bot.ingest.opml import Outline, read_opml
from bot.ingest.poll import Poller, PollReport, Progress
from bot.nlp.analysis import Analyser
from bot.nlp.indexer import LiveIndex
from bot.store import Store
from bot.store.news import NewsIndex
from bot.summarize.embedded import load_gazetteer

log = logging.getLogger("newsbot.polling")


def configure_cpu(settings: Settings) -> None:
    """The process's CPU pool as [cpu] sets it, its workers logging as [log] says."""
    log_to = (settings.log.level, settings.log.format)
    cpu.configure(settings.cpu.workers, settings.cpu.task_timeout_seconds, log_to)


def make_fetcher(settings: Settings, guard: UrlGuard | None = None) -> Fetcher:
    """The HTTP client configured from [ingest]; with a guard, it vets every hop."""
    return configured_fetcher(settings.ingest, guard)


def poll_fetcher(settings: Settings, resolver: Resolver | None = None) -> Fetcher:
    """The poller's HTTP client: feeds, their redirects and their article links all pass the
    SSRF guard, which lets private addresses through only as [ingest] allow_private says.

    The poller logs each refusal with its feed, so the guard itself stays quiet.
    """
    guard = UrlGuard(settings.ingest.allow_private, resolver, log_refusals=False)
    return make_fetcher(settings, guard)


async def poll_once(
    store: Store,
    settings: Settings,
    progress: Progress | None = None,
    *,
    stories: LiveIndex | None = None,
) -> PollReport:
    """Poll every due feed once, then index what it stored (companies, stories) into the
    process's story index (:class:`App`), or, without one, an index rebuilt for this poll."""
    configure_cpu(settings)
    async with poll_fetcher(settings) as fetcher:
        analyse = Analyser(settings.companies.file)
        report = await Poller(store, fetcher, settings.ingest, analyse=analyse).poll_due(progress)
    if stories is not None:
        await stories.add(report.stored)
    elif report.stored:
        once = LiveIndex(NewsIndex(store), load_gazetteer(settings.companies.file))
        try:
            await once.add(report.stored)
        finally:
            once.close()
    return report


@dataclass(slots=True)
class FeedImport:
    """What an OPML import did: feeds added, feeds already known, and for each outline the
    SSRF guard refused, its address (no query: it may hold a key) and why."""

    added: int = 0
    known: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)


async def import_outlines(store: Store, settings: Settings, outlines: list[Outline]) -> FeedImport:
    """Add OPML outlines as `newsbot feeds add` adds a feed (bot/ingest/feedlist.py: the same
    guard, redirects included), as many fetched at once as a poll fetches. A feed that cannot
    be fetched now is added all the same (the poller retries)."""
    async with make_fetcher(settings, cli_guard(settings.ingest)) as fetcher:
        outcomes = await add_feeds(
            store,
            fetcher,
            [(o.url, o.title) for o in outlines],
            max_entries=settings.ingest.max_entries_per_feed,
            keep_unreachable=True,
            concurrency=settings.ingest.concurrency,
        )
    result = FeedImport()
    for outline, outcome in zip(outlines, outcomes, strict=True):
        if isinstance(outcome, NotAdded):
            shown = clean_line(outline.url.split("?", 1)[0])[:200]  # a query may hold a key
            result.refused.append((shown, not_added_line(outcome)))
        else:
            result.added += outcome.new
            result.known += not outcome.new
    return result


async def import_feeds(store: Store, settings: Settings, path: Path) -> FeedImport:
    """The starter feeds of an OPML file (`[ingest] starter_feeds`), each outline the guard
    refuses logged and left out."""
    result = await import_outlines(store, settings, read_opml(path.read_bytes()))
    for shown, why in result.refused:
        log.warning("starter feed left out", extra={"feed": shown, "why": why})
    return result


def not_added_line(exc: NotAdded) -> str:
    """Why a feed was not added, in one line: the guard's note, else the sentence and hint."""
    if exc.blocked is not None:
        return exc.blocked.note
    if exc.reason == "invalid":
        return "refused: not a valid http(s) address"
    return clean_line(f"{exc} {exc.hint}".strip())
