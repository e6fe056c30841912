"""/ask reads its candidates' texts off the event loop: twenty articles at the size cap keep
other chats answered meanwhile (issue #14's rule for chat answers)."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta

from bot.ingest.articles import DEFAULT_MAX_ARTICLE_CHARS
from bot.models import Article, TextSource
from bot.store import Store, utcnow
from bot.store.news import NewsIndex
from bot.summarize.retrieve import retrieve

_WORDS = """market shares investors quarter revenue growth analysts factory workers union plant
    government minister election policy court ruling"""
WORDS = _WORDS.split()


def _long_text(rng: random.Random) -> str:
    sentences, size = ["Acme Tools said on Monday that its plans were on track."], 0
    while size < DEFAULT_MAX_ARTICLE_CHARS - 200:
        sentence = " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "."
        sentences.append(sentence)
        size += len(sentence) + 1
    return " ".join(sentences)


async def test_a_question_over_the_largest_articles_leaves_the_loop_free(store: Store) -> None:
    rng = random.Random(7)
    feed, _ = await store.add_feed("https://big.example/feed.xml")
    items = []
    for n in range(20):
        article = Article(
            url=f"https://big.example/{n}",
            title=f"Acme Tools and the minister, part {n}",
            text=_long_text(rng),
            source="Big Example",
            text_source=TextSource.PAGE,
            content_hash=f"big-{n}",
            feed_id=feed.id,
            published=utcnow() - timedelta(hours=n),
            fetched_at=utcnow(),
        )
        items.append((article, f"big-{n}"))
    await store.store_articles(items)
    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    try:
        passages = await retrieve(NewsIndex(store), "What did the minister say about Acme Tools?")
    finally:
        ticker.cancel()
    took = time.perf_counter() - started
    assert passages and passages[0].source.title.startswith("Acme Tools and the minister")
    # Reading 2 MB of text takes a good share of the answer's time; on the loop, other chats
    # would wait for all of it at once (measured: a 152 ms stall of 166 ms). Off it, they wait
    # for a thread switch (15 ms).
    assert max(gaps) < took / 3, (max(gaps), took)
