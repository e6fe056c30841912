"""The README's pictures, made from a real run: `make pictures` (python -m bot.demo.pictures).

A store in a temporary folder gets the sample site's news (polled through the real HTTP path
from 127.0.0.1), a generated month of Huawei and TSMC stories (indexed by the real indexer), a
feed that fails and a digest waiting in the outbox. Then the /trend chart is drawn and the
status page is photographed in Debian's chromium (playwright). Needs the dev extra.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.demo.month import month_of_articles
from bot.demo.server import LoopbackServer, feed_urls, sample_site_routes
from bot.digest.chart import render_png
from bot.digest.trend import build_trend
from bot.models import Feed
from bot.nlp.indexer import StoryIndexer
from bot.polling import poll_once
from bot.reply import Reply, para
from bot.store import Store, utcnow
from bot.store.news import NewsIndex
from bot.store.outbox import Outbox
from bot.store.trend import company_articles
from bot.summarize.embedded import load_gazetteer
from bot.web.server import web_server

OUT = Path("docs")


async def _month(store: Store, settings: Settings, now: datetime, feed: Feed) -> None:
    """The generated month, stored as entries of one of the sample site's feeds (on 127.0.0.1:
    nothing here may reach beyond this machine)."""
    items = month_of_articles(now) + month_of_articles(now, "TSMC", seed=11, peak_day=6)
    for item in items:
        item.feed_id = feed.id
    # The indexer follows the news as it comes: built first, then fed in order of publication
    # (built after, it would see the month as old news, out of its window).
    index = NewsIndex(store)
    indexer = await StoryIndexer.rebuild(index, load_gazetteer(settings.companies.file))
    stored = await store.store_articles([(a, a.url or "") for a in items])
    await indexer.index(index, stored)


async def _waiting_digest(store: Store) -> None:
    from bot.chat.telegram.send import encode_parts

    chat_id = await store.ensure_chat(
        "telegram", "-100200300", timezone="Europe/Berlin", digest_time="08:00"
    )
    await store.ensure_chat("slack", "C024BE91L", timezone="America/New_York", digest_time="07:30")
    outbox = Outbox(store, "pictures", lease=timedelta(seconds=60))
    slot = utcnow().replace(second=0, microsecond=0)
    reply = Reply([para("Morning digest: 12 stories")])
    await outbox.plan(
        chat_id=chat_id,
        platform="telegram",
        slot=slot,
        window_start=None,
        window_end=slot,
        story_count=12,
        parts=encode_parts(reply),
    )


async def make(out: Path) -> None:
    """Write out/trend.png and out/status.png."""
    from playwright.async_api import async_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, LoopbackServer() as site:
        site.routes.update(sample_site_routes(site.base_url, utcnow()))
        settings = Settings(
            store={"url": f"sqlite:///{tmp}/pictures.db"},
            ingest={"allow_private": ["127.0.0.1"], "feeds_file": f"{tmp}/none.opml"},
            web={"enabled": True, "port": 0},
        )
        store = await Store.open(settings.store.url)
        try:
            now = datetime.now(UTC)
            feeds = [
                (await store.add_feed(url))[0]
                for url in [*feed_urls(site.base_url), f"{site.base_url}/gone/feed.xml"]
            ]
            await _month(store, settings, now, feeds[0])  # before the poll: as the news came
            await poll_once(store, settings)
            await _waiting_digest(store)
            rows = await company_articles(store, "Huawei", now - timedelta(days=30), now)
            trend = build_trend("Huawei", rows, days=30, zone=UTC, now=now)  # type: ignore[arg-type]
            (out / "trend.png").write_bytes(render_png([trend]))
            async with web_server(store, settings) as server, async_playwright() as pw:
                assert server is not None
                chromium = shutil.which("chromium") or "/usr/bin/chromium"
                browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                page = await browser.new_page(viewport={"width": 900, "height": 1200})
                await page.goto(f"http://127.0.0.1:{server.port}/")
                await page.screenshot(path=str(out / "status.png"), full_page=False)
                await browser.close()
        finally:
            await store.close()
    print(f"wrote {out / 'trend.png'} and {out / 'status.png'}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(make(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
