"""The real fill of bench/index_stored.py (`--real-fill N`): the articles the bulk fill writes
with their stories as generated, stored and indexed instead with the real indexer, `--chunk`
at a time as the index job takes what the polls stored; timed (wall and CPU, both processes)."""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bench.index_news import COMPANIES, generate, real_sentences, store_articles
from bot.eval.clusters import bcubed
from bot.nlp.companies import Gazetteer
from bot.nlp.indexer import StoryIndexer
from bot.store import Store
from bot.store.news import NewsIndex
from bot.store.schema import articles


async def real_fill(url: str, size: int, args: argparse.Namespace) -> dict[str, Any]:
    """The --real mode: the corpus stored and indexed `--chunk` articles at a time, timed."""
    _, pool = real_sentences()
    items = generate(size, args.batch, args.seed, pool, timedelta(days=args.retention_days)).window
    store = await Store.open(url)
    try:
        index = NewsIndex(store)
        indexer = await StoryIndexer.rebuild(index, Gazetteer.load(COMPANIES))
        stored, store_s, index_s, index_ms, cpu_s = [], 0.0, 0.0, [], 0.0
        child = await indexer.cpu_seconds()
        for begin in range(0, len(items), args.chunk):
            started = time.perf_counter()
            chunk = await store_articles(store, items[begin : begin + args.chunk])
            store_s += time.perf_counter() - started
            started, cpu = time.perf_counter(), time.process_time()
            await indexer.index(index, chunk)
            took = time.perf_counter() - started
            index_s += took
            index_ms.append(took * 1000 / len(chunk))
            child, before = await indexer.cpu_seconds(), child
            cpu_s += time.process_time() - cpu + child - before
            stored.extend(chunk)
        indexer.close()
        async with store.engine.connect() as conn:
            rows = await conn.execute(select(articles.c.id, articles.c.story_id))
            story_of = dict(rows.all())
    finally:
        await store.close()
    event_of = {article.url: event for article, event in items}  # by URL: rows come in any order
    published = {str(a.id): a.published for a in stored}
    gold = {str(a.id): event_of[a.url] for a in stored}
    clusters: dict[Any, list[str]] = {}
    for article in stored:
        clusters.setdefault(story_of[article.id], []).append(str(article.id))
    tenth = max(1, len(index_ms) // 10)
    return {
        "store_s": store_s,
        "index_s": index_s,
        "cpu_s": cpu_s,
        "first_ms": statistics.mean(index_ms[:tenth]),
        "last_ms": statistics.mean(index_ms[-tenth:]),
        "stories": len(clusters),
        "events": len(set(gold.values())),
        "widest_days": max(
            (max(published[d] for d in docs) - min(published[d] for d in docs)).total_seconds()
            for docs in clusters.values()
        )
        / 86400,
        "bcubed": bcubed(list(clusters.values()), gold)[2],
        "alone": bcubed([[doc] for doc in gold], gold)[2],
    }
