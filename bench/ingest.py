"""Ingest throughput: our whole pipeline against bare trafilatura on the same pages.

Pages: the 181 pages of ../shared/eval/extraction when present, else the bundled sample site.
Ours: a feed listing every page is served on 127.0.0.1 from a separate process (as a remote
site would be) and polled by the real Poller, through the poller's SSRF-guarded fetcher (with
[ingest] allow_private = ["127.0.0.1"]), into a fresh SQLite store (fetch, feed parse,
extract, canonicalise, store). Baseline: bare trafilatura.extract() on the same HTML, in the
same run. Target: ratio >= 0.7.

Run: make bench   (or .venv/bin/python bench/ingest.py [--rounds N])
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import sys
import tempfile
import time
from html import escape
from multiprocessing import Event, Process, Queue
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.demo.server import LoopbackServer, sample_site_routes, static  # noqa: E402
from bot.ingest.poll import Poller  # noqa: E402
from bot.polling import poll_fetcher  # noqa: E402
from bot.store import Store, utcnow  # noqa: E402

EVAL_PAGES = ROOT.parent / "shared" / "eval" / "extraction" / "html"


def load_pages() -> tuple[str, list[bytes]]:
    """The benchmark's pages and where they came from."""
    if EVAL_PAGES.exists():
        files = sorted(EVAL_PAGES.glob("*.html.gz"))
        return f"{len(files)} pages of {EVAL_PAGES}", [
            gzip.decompress(f.read_bytes()) for f in files
        ]
    routes = sample_site_routes("http://127.0.0.1", utcnow())
    pages = [r({}).body for path, r in routes.items() if path.endswith(".html")]
    return f"{len(pages)} pages of the bundled sample site", pages  # type: ignore[misc]


def bare(pages: list[bytes]) -> float:
    """Seconds for bare trafilatura.extract over every page."""
    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page)
    return time.perf_counter() - started


def feed_of(base: str, count: int) -> bytes:
    items = "".join(
        f"<item><guid>p{i}</guid><link>{base}/p/{i}.html?utm_source=bench</link>"
        f"<title>Page {i}</title><description>{escape('Summary')}</description></item>"
        for i in range(count)
    )
    return f"<rss version='2.0'><channel><title>bench</title>{items}</channel></rss>".encode()


def serve(pages: list[bytes], ready: Queue, stop: Event) -> None:  # type: ignore[type-arg]
    """The pages and their feed, served from another process, as a remote site would be."""
    with LoopbackServer() as server:
        server.routes["/feed.xml"] = static(
            feed_of(server.base_url, len(pages)), "application/rss+xml"
        )
        for i, page in enumerate(pages):
            server.routes[f"/p/{i}.html"] = static(page, "text/html; charset=utf-8")
        ready.put(server.base_url)
        stop.wait()


async def ours(pages: list[bytes], base_url: str) -> float:
    """Seconds for one poll of a feed of every page into a fresh store."""
    settings = Settings(
        ingest={
            "max_entries_per_feed": len(pages),
            "timeout_seconds": 60,
            "per_host_concurrency": 4,
            "user_agent": "newsbot-bench",
            "allow_private": ["127.0.0.1"],  # the bench's site is on loopback
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(f"sqlite:///{tmp}/bench.db")
        await store.add_feed(base_url + "/feed.xml")
        async with poll_fetcher(settings) as fetcher:
            started = time.perf_counter()
            report = await Poller(store, fetcher, settings.ingest).poll_due()
            elapsed = time.perf_counter() - started
        stored = await store.count("articles")
        await store.close()
    if report.failed or stored == 0:
        raise SystemExit(f"bench: the poll failed: {report.failed}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each (median is shown)")
    args = parser.parse_args()
    source, pages = load_pages()
    bare_times, our_times = [], []
    ready: Queue = Queue()  # type: ignore[type-arg]
    stop = Event()
    site = Process(target=serve, args=(pages, ready, stop), daemon=True)
    site.start()
    base_url = ready.get(timeout=60)
    try:
        for _ in range(args.rounds):  # interleaved, so drift of the machine hits both alike
            bare_times.append(bare(pages))
            our_times.append(asyncio.run(ours(pages, base_url)))
    finally:
        stop.set()
        site.join(timeout=10)
    n = len(pages)
    bare_pps = n / statistics.median(bare_times)
    our_pps = n / statistics.median(our_times)
    print(f"ingest benchmark: {source}, median of {args.rounds} rounds")
    print(f"  bare trafilatura.extract      {bare_pps:8.1f} pages/s")
    print(f"  newsbot ingest (fetch, parse, extract, canonicalise, store)  {our_pps:8.1f} pages/s")
    print(f"  ratio {our_pps / bare_pps:.2f} (target >= 0.70)")


if __name__ == "__main__":
    main()
