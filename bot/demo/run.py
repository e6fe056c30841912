"""`newsbot demo`: the sample site on 127.0.0.1, polled into data/demo.db, then a digest."""

from __future__ import annotations

import errno
import logging
import sys

from bot.app import console_digest, open_store, open_summarizer
from bot.cli_commands import poll_with_progress
from bot.config import Settings
from bot.demo.server import LoopbackServer, feed_urls, sample_site_routes
from bot.store import utcnow


async def run_demo(settings: Settings, *, port: int, store_url: str) -> int:
    """Serve the sample site, poll its feeds through the real HTTP path, print the digest."""
    settings = settings.model_copy(
        update={"store": settings.store.model_copy(update={"url": store_url, "url_file": None})}
    )
    try:
        server = LoopbackServer(port=port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(
            f"Port {port} on 127.0.0.1 is busy. Stop what uses it, or run "
            f"`newsbot demo --port {port + 1}` (a new port is a new site for the demo store).",
            file=sys.stderr,
        )
        return 1
    if settings.log.level != "DEBUG":
        # The demo's output is the digest; per-feed log lines would bury it.
        logging.getLogger("newsbot").setLevel(logging.WARNING)
    server.routes.update(sample_site_routes(server.base_url, utcnow()))
    # The poller refuses loopback addresses; this run (only) may read its own sample site.
    ingest = settings.ingest
    allow = [*ingest.allow_private, server.host]
    settings = settings.model_copy(
        update={"ingest": ingest.model_copy(update={"allow_private": allow})}
    )
    with server:
        print(f"Sample news site: {server.base_url}/ (3 outlets)", file=sys.stderr)
        async with open_store(settings) as store:
            for url in feed_urls(server.base_url):
                feed, _ = await store.add_feed(url)
                # The demo polls every time it runs, whatever the feeds' schedule says.
                await store.make_due(feed.id)
            await poll_with_progress(store, settings)
            async with open_summarizer(settings, store) as summarizer:
                run = await console_digest(store, settings, summarizer)
            articles = await store.count("articles")
    sys.stdout.write(run.text)
    print(
        f"\nStore {settings.store.url} holds {articles} articles. `make demo` again polls "
        "again and stores nothing twice.",
        file=sys.stderr,
    )
    return 0
