"""Bodies of the operator commands: poll with a progress bar, check, feeds."""

from __future__ import annotations

import argparse
import asyncio
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from bot.app import StoreUnavailable, make_fetcher, open_store, poll_once
from bot.config import SECRETS, Settings, redact_url
from bot.digest.render import clean_line
from bot.ingest.http.clients import cli_guard
from bot.ingest.http.fetch import FEED_ACCEPT, Fetcher, FetchError
from bot.ingest.http.guard import BlockedURL, UrlGuard
from bot.ingest.http.urls import feed_url, find_feed_url
from bot.ingest.opml import OPMLError, read_opml, write_opml
from bot.ingest.poll import FeedReport, PollReport
from bot.models import Feed
from bot.store import Store

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


async def poll_with_progress(store: Store, settings: Settings) -> PollReport:
    """Poll due feeds, with a progress bar on a terminal, then a one-line summary."""
    total = len(await store.due_feeds(datetime.now().astimezone()))
    if total == 0:
        err.print("No feed is due; `newsbot feeds list` shows when each is checked next.")
        return PollReport()
    if sys.stderr.isatty():
        columns = (
            TextColumn("polling"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
        )
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("", total=total)

            def advance(feed: Feed, result: FeedReport) -> None:
                bar.update(task, advance=1, description=clean_line(feed.title or feed.url))

            report = await poll_once(store, settings, advance)
    else:
        report = await poll_once(store, settings)
    failed = report.failed
    err.print(
        f"Polled {_count(len(report.feeds), 'feed')}: {_count(report.new, 'new article')}, "
        f"{len(failed)} failed."
    )
    for feed in failed:
        err.print(Text(clean_line(f"  ✗ {feed.url}: {feed.error}")))
    return report


async def check(settings: Settings) -> int:
    """Validate what load_settings cannot: files, secrets' permissions, the store."""
    problems: list[str] = []
    warnings: list[str] = []
    for section, key in SECRETS:
        secret_file = getattr(getattr(settings, section), f"{key}_file")
        path = Path(secret_file) if secret_file else None
        if path and path.exists() and path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.append(
                f"[{section}] {key}_file {secret_file} is readable by other users; "
                f"run: chmod 600 {secret_file}"
            )
    for section, key in SECRETS:
        settings.secret(section, key)  # raises ConfigError on an unreadable file
    feeds_file = settings.ingest.feeds_file
    if not feeds_file.exists():
        warnings.append(f"[ingest] feeds_file {feeds_file} does not exist; no starter feeds")
    try:
        async with open_store(settings) as store:
            feeds = await store.list_feeds()
    except StoreUnavailable as exc:  # any driver's error, as a finding, not a trace
        problems.append(f"[store] {exc}")
        feeds = []
    warnings.extend(_refused_feeds(feeds, settings.ingest.allow_private))
    for line in warnings:
        err.print(Text(f"warning: {line}"))
    for line in problems:
        err.print(Text(f"error: {line}"))
    if problems:
        return 1
    shown = redact_url(settings.store_url())  # readable: the store was opened with it
    out.print(Text(f"Configuration OK. Store {shown} holds {len(feeds)} feeds."))
    return 0


async def feeds_command(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot feeds list|add|remove|import|export."""
    action = args.feeds_command
    if action == "add":
        return await _add(args.url, settings)
    if action == "import":
        return await _import(args.file, settings)
    async with open_store(settings) as store:
        if action == "list":
            _print_feeds(await store.list_feeds())
        elif action == "remove":
            stored = [f.url for f in await store.list_feeds()]
            match = find_feed_url(stored, args.url, loose=True)
            removed = match is not None and await store.remove_feed(match)
            if not removed:
                err.print(Text(f"No feed {args.url}; `newsbot feeds list` shows the feeds."))
                return 1
            out.print(Text(f"Removed {args.url}; its stored articles stay."))
        elif action == "export":
            document = write_opml(await store.list_feeds())
            if args.file:
                args.file.write_text(document, encoding="utf-8")
                err.print(f"Wrote {args.file}")
            else:
                sys.stdout.write(document)
    return 0


async def _add(raw: str, settings: Settings) -> int:
    """Add one feed once the SSRF guard let a fetch of it through, every redirect included:
    the poller's policy, at the door. A feed that cannot be fetched now is added all the
    same (the poller retries, and vets it again on every poll)."""
    async with make_fetcher(settings, cli_guard(settings.ingest)) as fetcher:
        refused, problem = await _door(fetcher, raw)
    url = feed_url(raw)
    if refused is not None or url is None:
        note = refused.note if refused else "refused: not a valid http(s) address"
        err.print(Text(f"newsbot feeds add: {note}"))
        return 2
    async with open_store(settings) as store:
        feed, new = await store.add_feed(url)
    out.print(Text(f"{'Added' if new else 'Already polling'} {feed.url}"))
    if problem:
        err.print(Text(f"(could not fetch it now: {clean_line(problem)}; each poll tries again)"))
    return 0


async def _import(path: Path, settings: Settings) -> int:
    """Add the feeds of an OPML file that the SSRF guard lets through; one line for each
    outline it refuses, and exit 1 when there was one."""
    try:
        outlines = read_opml(path.read_bytes())
    except OSError as exc:
        err.print(Text(f"Cannot import {path}: {exc.strerror or exc}; check the path."))
        return 2
    except OPMLError as exc:
        err.print(Text(f"Cannot import {path}: {exc}"))
        return 2
    slots = asyncio.Semaphore(settings.ingest.concurrency)  # as many at once as a poll

    async def door(fetcher: Fetcher, url: str) -> tuple[BlockedURL | None, str | None]:
        async with slots:
            return await _door(fetcher, url)

    async with make_fetcher(settings, cli_guard(settings.ingest)) as fetcher:
        verdicts = await asyncio.gather(*(door(fetcher, o.url) for o in outlines))
    added = known = 0
    refused: list[str] = []
    async with open_store(settings) as store:
        for outline, (refusal, _problem) in zip(outlines, verdicts, strict=True):
            url = feed_url(outline.url)
            if refusal is not None or url is None:
                note = refusal.note if refusal else "refused: not a valid http(s) address"
                shown = clean_line(outline.url.split("?", 1)[0])[:200]  # a query may hold a key
                refused.append(f"  ✗ {shown}: {note}")
                continue
            _, new = await store.add_feed(url, outline.title)
            added, known = added + new, known + (not new)
    out.print(f"Imported {added} new feeds ({known} already known).")
    if refused:
        err.print(Text(f"Left out {_count(len(refused), 'feed')} the SSRF guard refused:"))
        for line in refused:
            err.print(Text(line))
    return 1 if refused else 0


async def _door(fetcher: Fetcher, url: str) -> tuple[BlockedURL | None, str | None]:
    """Fetch a feed's address once through the guard: (the refusal, None) when the guard
    refused it or a redirect on the way, else (None, why it could not be fetched, if so)."""
    try:
        await fetcher.fetch(url, accept=FEED_ACCEPT)
    except BlockedURL as exc:
        return exc, None
    except FetchError as exc:
        return None, str(exc)
    return None, None


def _refused_feeds(feeds: list[Feed], allow: list[str]) -> list[str]:
    """Feeds the poller's SSRF guard will refuse, as far as their addresses alone tell (a
    private address written out, localhost): no DNS lookups, so `check` stays quick offline."""
    guard = UrlGuard(allow, log_refusals=False)
    found = []
    for feed in feeds:
        try:
            guard.target(feed.url)
        except BlockedURL as exc:
            shown = clean_line(feed.url.split("?", 1)[0])  # a private feed's query may hold a key
            found.append(f"feed {shown} will be {exc.note}")
    return found


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _ago(stamp: datetime | None) -> str:
    return stamp.astimezone().strftime("%Y-%m-%d %H:%M") if stamp else "never"


def _next_check(stamp: datetime | None) -> str:
    """When a feed is polled next: "due now" for one never polled or whose time has come."""
    if stamp is None or stamp <= datetime.now(UTC):
        return "due now"
    return _ago(stamp)


def _print_feeds(feeds: list[Feed]) -> None:
    if not feeds:
        out.print("No feeds yet. Add one: newsbot feeds add URL, or newsbot feeds import FILE.opml")
        return
    # "id" is the feed_id the logs name feeds by.
    table = Table("id", "feed", "last success", "errors", "last error", "next check", box=None)
    for feed in feeds:
        name = Text(clean_line(feed.title or feed.url))
        if feed.title:
            name.append(f"\n{clean_line(feed.url)}", style="dim")
        table.add_row(
            str(feed.id),
            name,
            _ago(feed.last_success_at),
            str(feed.error_count),
            Text(clean_line(feed.last_error or "")) if feed.error_count else Text(""),
            _next_check(feed.next_check_at),
        )
    Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(table)
