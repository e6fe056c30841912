"""The news the indexing benches index (bench/index.py, bench/index_stored.py): events generated
(seeded) by bench/news_corpus.py's templates about the companies of bench/index_corpus.json, every
report padded with real news sentences read at run time from ../shared/eval (never copied into
the project), stored in a fresh store with their stories written in bulk."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, text, update

from bench.news_corpus import OUTLETS, Company, make_event, write_article
from bot.eval.clusters import detokenise
from bot.models import Article
from bot.nlp.stories.cluster import StoryClusterer
from bot.nlp.stories.plan import encode
from bot.store import Store
from bot.store.schema import articles, stories, story_features

ROOT = Path(__file__).resolve().parents[1]

EVAL = ROOT.parent / "shared" / "eval"
COMPANIES = ROOT / "config" / "companies.toml"  # the gazetteer the indexer uses
CORPUS = ROOT / "bench" / "index_corpus.json"  # the companies the events are about
WINDOW = timedelta(hours=72)
END = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # the newest article of every run
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'\u201c]?[A-Z])")


def real_sentences() -> tuple[str, list[str]]:
    """Sentences of real news articles, from the shared eval folder, and where they came from."""
    texts = []
    summeval = EVAL / "summaries" / "summeval_cnndm_test100.jsonl"
    for line in summeval.read_text(encoding="utf-8").splitlines():
        texts.append(detokenise(json.loads(line)["source"]))
    for folder in (EVAL / "quotes-train" / "dev" / "text", EVAL / "quotes" / "dev" / "text"):
        texts += [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    sentences = []
    for body in texts:
        for part in _SENTENCE.split(" ".join(body.split())):
            if 6 <= len(part.split()) <= 60:
                sentences.append(part)
    return f"{len(sentences)} sentences of {len(texts)} real articles in {EVAL}", sentences


def corpus_companies() -> list[Company]:
    """The companies of the generated events: a data file, not the shipped gazetteer, so
    that the corpus stays the same when config/companies.toml changes."""
    entries = json.loads(CORPUS.read_text(encoding="utf-8"))["companies"]
    return [Company(e["name"], list(e["aliases"]), list(e["people"])) for e in entries]


@dataclass(slots=True)
class Corpus:
    window: list[tuple[Article, int]]  # article, event number; oldest first
    batch: list[tuple[Article, int]]


def generate(
    size: int, batch: int, seed: int, pool: list[str], period: timedelta = WINDOW
) -> Corpus:
    """`size` articles over the `period` (72 hours) before the batch, then `batch` articles
    after them."""
    rng = random.Random(seed)
    companies = corpus_companies()
    total = size + batch
    span = period * total / size
    start = END - span
    items: list[tuple[Article, int]] = []
    event_no = 0
    while len(items) < total:
        at = start + timedelta(seconds=rng.uniform(0, span.total_seconds()))
        event = make_event(rng, companies, at)
        background = rng.sample(pool, 10)  # what every report of the event may retell
        for _ in range(event.reports):
            article, _ = write_article(rng, event, len(items))
            told = rng.sample(background, rng.randint(3, 7)) + rng.sample(pool, rng.randint(1, 3))
            article.text = " ".join([article.text, *told])
            article.published = min(END, article.published or at)
            items.append((article, event_no))
        event_no += 1
    items.sort(key=lambda item: item[0].published)  # type: ignore[arg-type,return-value]
    items = items[-total:]
    for serial, (article, _) in enumerate(items):
        article.url = f"{article.url.split('/news/')[0]}/news/{serial}"
    return Corpus(items[:size], items[size:])


async def store_articles(store: Store, items: list[tuple[Article, int]]) -> list[Article]:
    """Store articles (their feeds too), in chunks; return them with ids."""
    feeds = {}
    for outlet, domain in OUTLETS:
        feed, _ = await store.add_feed(f"https://{domain}/feed.xml", outlet)
        feeds[outlet] = feed.id
    stored: list[Article] = []
    for begin in range(0, len(items), 1000):
        chunk = items[begin : begin + 1000]
        for article, _ in chunk:
            article.feed_id = feeds[article.source]
        new = await store.store_articles([(a, a.url) for a, _ in chunk])
        if len(new) != len(chunk):
            raise SystemExit(f"bench: stored {len(new)} of {len(chunk)} articles")
        stored.extend(new)
    return stored


async def store_window(store: Store, corpus: Corpus) -> None:
    """Store the window's articles with their stories (the events), written in bulk."""
    stored = await store_articles(store, corpus.window)
    members: dict[int, list[int]] = {}
    for (_, event), article in zip(corpus.window, stored, strict=True):
        members.setdefault(event, []).append(article.id)  # type: ignore[arg-type]
    groups = list(members.values())
    async with store.engine.begin() as conn:
        ids: list[int] = []
        for begin in range(0, len(groups), 5000):
            rows = [
                {"created_at": END, "updated_at": END, "lead_article_id": g[0]}
                for g in groups[begin : begin + 5000]
            ]
            result = await conn.execute(
                stories.insert().returning(stories.c.id, sort_by_parameter_order=True), rows
            )
            ids.extend(int(i) for (i,) in result)
        moves = [{"aid": a, "sid": s} for s, g in zip(ids, groups, strict=True) for a in g]
        stmt = (
            update(articles)
            .where(articles.c.id == bindparam("aid"))
            .values(story_id=bindparam("sid"))
        )
        for begin in range(0, len(moves), 5000):
            await conn.execute(stmt, moves[begin : begin + 5000])
        # What the indexer keeps of each article it indexed, as it would have kept it.
        clusterer = StoryClusterer()
        rows = []
        for (article, _), kept in zip(corpus.window, stored, strict=True):
            terms, shingles, words = encode(clusterer.features(article.title, article.text))
            rows.append(
                {"article_id": kept.id, "terms": terms, "shingles": shingles, "words": words}
            )
        for begin in range(0, len(rows), 5000):
            await conn.execute(story_features.insert(), rows[begin : begin + 5000])


async def settle(store: Store) -> None:
    """Put what was written in bulk on disk before timing anything (a running store's history
    was written long ago): SQLite's write-ahead log checkpointed, PostgreSQL checkpointed."""
    async with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            await conn.execute(text("CHECKPOINT"))
        await conn.commit()
    await asyncio.to_thread(os.sync)
