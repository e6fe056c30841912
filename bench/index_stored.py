"""Story indexing as the store grows: time per article at 1k, 10k and 100k stored articles, and
the resident memory of a process holding the index (issue #17's cost curve).

Stored is not the window: the store keeps `--retention-days` (90, the default of
`[store] retention_days`) of articles, the indexer holds the last 72 hours of them. For each
size N and backend (SQLite, and PostgreSQL when `--postgres` names a server: a scratch database
newsbot_index_stored is made and dropped), a first process stores N articles spread evenly over
the retention period, with their stories and what the indexer keeps of each, in bulk (the
corpus of bench/index.py: generated events padded with real news sentences from
../shared/eval). Then a fresh process does what a worker does: opens the store, rebuilds the
story index from it, stores --batch new articles and indexes them one at a time with the real
indexer, timing each (wall clock, and CPU time of both its processes), and reports its
resident memory and its indexer process's (RSS, read from /proc) with the index held.

Baseline, same run: the 1k figure. Target: median ms per article at the largest size within 2x
of the 1k figure, on each backend. Answers: the batch's B-cubed F1 against the generated events
must beat a wrong answer's, every article a story of its own. (Not bench/index.py's floor: with
90 days kept, 10k stored leaves about 330 articles in the window and 500 new ones span 4.5
days; stories over-merge in such a sparse window, B-cubed about 0.73 with candidates or the
exhaustive search alike, against 0.59 for every article alone.)

Run: make bench-scale   (or .venv/bin/python bench/index_stored.py [--stored 1000,10000,100000])

`--real-fill N` measures instead what the bulk fill stands in for: N articles (the same corpus)
stored and indexed with the real indexer, `--chunk` at a time as the index job takes what the
polls stored, in a fresh process on a fresh store, beside the bulk fill of the same N; it prints
the time, ms per article overall and in the first and last tenth of the fill (the store
grown), and fails when the stories are no better than every article alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.index import index_one_by_one  # noqa: E402
from bench.index_fill import real_fill  # noqa: E402
from bench.index_news import (  # noqa: E402
    COMPANIES,
    Corpus,
    generate,
    real_sentences,
    settle,
    store_articles,
    store_window,
)
from bot.eval.clusters import bcubed  # noqa: E402
from bot.nlp.companies import Gazetteer  # noqa: E402
from bot.nlp.indexer import StoryIndexer  # noqa: E402
from bot.nlp.stories.plan import resident_bytes  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.news import NewsIndex  # noqa: E402
from bot.store.schema import articles  # noqa: E402

SCRATCH = "newsbot_index_stored"


async def fill(url: str, size: int, args: argparse.Namespace, batch_file: Path) -> None:
    """The --fill mode: store `size` articles over the retention period, in bulk; the batch
    (articles, events) goes to `batch_file` for the worker process."""
    _, pool = real_sentences()
    corpus = generate(size, args.batch, args.seed, pool, timedelta(days=args.retention_days))
    store = await Store.open(url)
    try:
        await store_window(store, Corpus(corpus.window, []))
        await settle(store)
    finally:
        await store.close()
    newest = corpus.window[-1][0].published
    batch_file.write_bytes(pickle.dumps((newest, corpus.batch)))


async def work(url: str, batch_file: Path) -> dict[str, Any]:
    """The --work mode: a worker's indexing, timed, and its memory."""
    newest, items = pickle.loads(batch_file.read_bytes())
    store = await Store.open(url)
    try:
        index = NewsIndex(store)
        gazetteer = Gazetteer.load(COMPANIES)
        started = time.perf_counter()
        indexer = await StoryIndexer.rebuild(index, gazetteer, now=newest)
        rebuild = time.perf_counter() - started
        window = await indexer.stories()
        batch = await store_articles(store, items)
        times, cpu_times = await index_one_by_one(indexer, index, batch)
        rss, indexer_rss = resident_bytes(), await indexer.resident_bytes()
        indexer.close()
        async with store.engine.connect() as conn:
            rows = await conn.execute(
                select(articles.c.id, articles.c.story_id).where(
                    articles.c.id.in_([a.id for a in batch])
                )
            )
            story_of = dict(rows.all())
            stored = await store.count("articles")
    finally:
        await store.close()
    gold = {str(a.id): event for a, (_, event) in zip(batch, items, strict=True)}
    clusters: dict[Any, list[str]] = {}
    for article in batch:
        clusters.setdefault(story_of[article.id], []).append(str(article.id))
    return {
        "stored": stored,
        "window_stories": window,
        "ms": times,
        "cpu_ms": cpu_times,
        "rebuild_s": rebuild,
        "rss": rss,
        "indexer_rss": indexer_rss,
        "bcubed": bcubed(list(clusters.values()), gold)[2],
        "alone": bcubed([[doc] for doc in gold], gold)[2],
    }


def real_fills(args: argparse.Namespace, backends: list[str]) -> list[str]:
    """--real-fill: the bulk fill and the real one of the same N, per backend; the failures."""
    size, failures = args.real_fill, []
    print(
        f"fill benchmark: {size:,} articles over {args.retention_days:g} days, bulk (stories"
        f" written as generated) and real (stored and indexed {args.chunk} at a time); seed"
        f" {args.seed}"
    )
    print(
        "  backend     bulk fill s  real fill s  of which index s  index ms/article"
        "  first 10% / last 10%  CPU s  stories / events  widest story, days  B-cubed / alone"
    )
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            if backend != "sqlite":
                url = scratch_url(args.postgres, create=True)
            try:
                started = time.perf_counter()
                child(args, "--fill", url, str(size), str(Path(tmp) / "batch.pickle"))
                bulk = time.perf_counter() - started
                url = f"sqlite:///{tmp}/real.db"
                if backend != "sqlite":
                    url = scratch_url(args.postgres, create=True)
                r = json.loads(child(args, "--real", url, str(size), "--chunk", str(args.chunk)))
            finally:
                if backend != "sqlite":
                    scratch_url(args.postgres, create=False)
        real = r["store_s"] + r["index_s"]
        print(
            f"  {backend:<10} {bulk:11.1f} {real:12.1f} {r['index_s']:17.1f}"
            f" {r['index_s'] * 1000 / size:17.1f}  {r['first_ms']:9.1f} / {r['last_ms']:<9.1f}"
            f" {r['cpu_s']:6.1f} {r['stories']:8,} / {r['events']:<6,} {r['widest_days']:19.1f}"
            f"  {r['bcubed']:.3f} / {r['alone']:.3f}",
            flush=True,
        )
        if r["bcubed"] <= r["alone"]:
            failures.append(f"{backend} real fill B-cubed {r['bcubed']:.3f}, no better than alone")
    return failures


def scratch_url(server: str, create: bool) -> str:
    """A fresh scratch database on the PostgreSQL server (dropped when `create` is false)."""
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {SCRATCH}")
    return f"{server}/{SCRATCH}"


def child(args: argparse.Namespace, *mode: str) -> str:
    command = [sys.executable, __file__, *mode, "--batch", str(args.batch)]
    command += ["--seed", str(args.seed), "--retention-days", str(args.retention_days)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(mode[:2])} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def measure(args: argparse.Namespace, backend: str, size: int) -> dict[str, Any]:
    """Fill a fresh store of `size` articles in one process, index in another."""
    with tempfile.TemporaryDirectory() as tmp:
        batch_file = Path(tmp) / "batch.pickle"
        if backend == "sqlite":
            url = f"sqlite:///{tmp}/bench.db"
        else:
            url = scratch_url(args.postgres, create=True)
        try:
            started = time.perf_counter()
            child(args, "--fill", url, str(size), str(batch_file))
            filled = time.perf_counter() - started
            result = json.loads(child(args, "--work", url, str(batch_file)))
        finally:
            if backend != "sqlite":
                scratch_url(args.postgres, create=False)
    result["fill_s"] = filled
    return result


def show(backend: str, size: int, r: dict[str, Any]) -> None:
    times = sorted(r["ms"])
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"  {backend:<10} {size:>8,} {r['window_stories']:>8,}  {statistics.median(times):8.1f}"
        f" {p95:7.1f} {statistics.median(r['cpu_ms']):7.1f}  {r['rebuild_s']:7.1f}"
        f"  {r['rss'] / 2**20:6.0f} + {r['indexer_rss'] / 2**20:<6.0f}"
        f" {r['bcubed']:7.3f} / {r['alone']:.3f}"
        f"  {r['fill_s']:6.0f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", default="1000,10000,100000", help="stored articles")
    parser.add_argument("--retention-days", type=float, default=90)
    parser.add_argument("--batch", type=int, default=500, help="new articles indexed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server for the scratch database ('' for SQLite only)",
    )
    parser.add_argument("--fill", nargs=3, help=argparse.SUPPRESS)  # URL SIZE BATCHFILE
    parser.add_argument("--work", nargs=2, help=argparse.SUPPRESS)  # URL BATCHFILE
    parser.add_argument("--real", nargs=2, help=argparse.SUPPRESS)  # URL SIZE
    parser.add_argument("--real-fill", type=int, help="fill N articles with the real indexer")
    parser.add_argument(
        "--chunk", type=int, default=100, help="articles a real fill indexes at once"
    )
    args = parser.parse_args()
    if args.real:
        url, size = args.real
        print(json.dumps(asyncio.run(real_fill(url, int(size), args))))  # bench/index_fill.py
        return
    if args.fill:
        url, size, batch_file = args.fill
        asyncio.run(fill(url, int(size), args, Path(batch_file)))
        return
    if args.work:
        url, batch_file = args.work
        print(json.dumps(asyncio.run(work(url, Path(batch_file)))))
        return
    sizes = sorted(int(s) for s in args.stored.split(",") if s.strip())
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    if args.real_fill:
        for failure in (failures := real_fills(args, backends)):
            print(f"  WRONG: {failure}")
        sys.exit(1 if failures else 0)
    print(
        f"index benchmark, stored articles: {args.retention_days:g} days kept, the last 72 hours"
        f" indexed; {args.batch} new articles indexed one at a time; seed {args.seed}"
    )
    print(
        "  backend      stored  stories  median ms  p95 ms  cpu ms  rebuild s"
        "  RSS MiB: worker + indexer  B-cubed / alone  fill s"
    )
    failures = []
    for backend in backends:
        results = {}
        for size in sizes:
            results[size] = measure(args, backend, size)
            show(backend, size, results[size])
            found = results[size]
            if found["bcubed"] <= found["alone"]:
                failures.append(
                    f"{backend} B-cubed {found['bcubed']:.3f} at {size:,}, no better than"
                    f" every article alone ({found['alone']:.3f})"
                )
        first, last = results[sizes[0]], results[sizes[-1]]
        ratio = statistics.median(last["ms"]) / statistics.median(first["ms"])
        cpu = statistics.median(last["cpu_ms"]) / statistics.median(first["cpu_ms"])
        verdict = "pass" if ratio <= 2 else "FAIL"
        print(
            f"  {backend}: median at {sizes[-1]:,} / at {sizes[0]:,} stored: {ratio:.2f} wall,"
            f" {cpu:.2f} CPU (target <= 2): {verdict}"
        )
        if ratio > 2:
            failures.append(f"{backend}: {ratio:.2f}x the {sizes[0]:,} figure")
    for failure in failures:
        print(f"  WRONG: {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
