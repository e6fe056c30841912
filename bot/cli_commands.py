"""Bodies of the operator commands: poll with a progress bar, check, feeds."""

from __future__ import annotations

import argparse
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from bot.app import StoreUnavailable, open_store
from bot.chat.console import clean_line
from bot.config import SECRETS, Settings, redact_url
from bot.ingest.feedlist import NotAdded, add_feed, remove_feed
from bot.ingest.http.clients import cli_guard
from bot.ingest.http.guard import BlockedURL, UrlGuard
from bot.ingest.opml import OPMLError, read_opml, write_opml
from bot.ingest.poll import FeedReport, PollReport
from bot.models import Feed
from bot.polling import import_outlines, make_fetcher, not_added_line, poll_once
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
    if not problems:
        from bot.workers.commands import check_workers

        more_problems, more_warnings = await check_workers(settings)
        problems += more_problems
        warnings += more_warnings
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
            if await remove_feed(store, args.url) is None:
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
    """Add one feed as a chat's /feeds add does (bot/ingest/feedlist.py): through the SSRF
    guard, every redirect included, and the feed a page names when the address is a page. A
    feed that cannot be fetched now is added all the same (the poller retries, and vets it
    again on every poll)."""
    async with (
        open_store(settings) as store,
        make_fetcher(settings, cli_guard(settings.ingest)) as fetcher,
    ):
        try:
            added = await add_feed(
                store,
                fetcher,
                raw,
                max_entries=settings.ingest.max_entries_per_feed,
                keep_unreachable=True,
            )
        except NotAdded as exc:
            err.print(Text(f"newsbot feeds add: {not_added_line(exc)}"))
            return 2
    out.print(Text(f"{'Added' if added.new else 'Already polling'} {added.feed.url}"))
    if added.problem:
        problem = clean_line(added.problem)
        err.print(Text(f"(could not fetch it now: {problem}; each poll tries again)"))
    return 0


async def _import(path: Path, settings: Settings) -> int:
    """Add the feeds of an OPML file as `feeds add` does, as many fetched at once as a poll
    fetches; one line for each outline left out, and exit 1 when there was one."""
    try:
        outlines = read_opml(path.read_bytes())
    except OSError as exc:
        err.print(Text(f"Cannot import {path}: {exc.strerror or exc}; check the path."))
        return 2
    except OPMLError as exc:
        err.print(Text(f"Cannot import {path}: {exc}"))
        return 2
    async with open_store(settings) as store:
        result = await import_outlines(store, settings, outlines)
    out.print(f"Imported {result.added} new feeds ({result.known} already known).")
    if result.refused:
        err.print(Text(f"Left out {_count(len(result.refused), 'feed')}:"))
        for shown, why in result.refused:
            err.print(Text(f"  ✗ {shown}: {why}"))
    return 1 if result.refused else 0


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
