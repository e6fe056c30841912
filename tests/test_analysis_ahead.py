"""Articles analysed where they are polled (companies, the clusterer's features) and stored with
them: the story index then only places them, and gives the same stories and companies as when
it analyses every article itself (the one index writer's old work)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.demo.server import feed_urls
from bot.ingest.poll import Poller
from bot.nlp.analysis import Analyser
from bot.nlp.indexer import LiveIndex
from bot.polling import poll_fetcher, poll_once
from bot.store import Store, utcnow
from bot.store.news import NewsIndex
from bot.store.schema import article_companies, articles, story_features
from bot.summarize.embedded import load_gazetteer
from tests.fakes.newssite import NewsSite

ROOT = Path(__file__).resolve().parents[1]


async def _poll(
    store: Store, settings: Settings, site: NewsSite, *, analyse: bool, feeds: slice
) -> None:
    """Store some of the site's feeds' articles (analysed or not) without indexing them."""
    for url in feed_urls(site.base_url)[feeds]:
        await store.add_feed(url)
    step = Analyser(settings.companies.file) if analyse else None
    async with poll_fetcher(settings) as fetcher:
        report = await Poller(store, fetcher, settings.ingest, analyse=step).poll_due()
    assert report.failed == [] and report.new >= 5


async def _ingest(store: Store, settings: Settings, site: NewsSite, *, analyse: bool) -> None:
    """What workers do: poll jobs store articles, index jobs read back the unindexed ones.
    The first index job rebuilds the index from the store (the first feed's articles among
    it); the second adds the other feeds' articles to it, as a running worker does."""
    index = LiveIndex(NewsIndex(store), load_gazetteer(settings.companies.file))
    try:
        for feeds in (slice(0, 1), slice(1, None)):
            await _poll(store, settings, site, analyse=analyse, feeds=feeds)
            await index.add(await store.unindexed_articles(utcnow() - timedelta(days=3650)))
    finally:
        index.close()


async def _outcome(store: Store) -> tuple[set[frozenset[str]], list[tuple[Any, ...]], int]:
    """Stories as sets of article URLs, every company row by article URL, features kept."""
    c = article_companies.c
    async with store.engine.connect() as conn:
        placed = (await conn.execute(select(articles.c.url, articles.c.story_id))).all()
        rows = (
            await conn.execute(
                select(articles.c.url, c.company, c.known, c.mentions, c.first_offset)
                .add_columns(c.in_title, c.score)
                .join(articles, articles.c.id == c.article_id)
            )
        ).all()
        kept = len((await conn.execute(select(story_features.c.article_id))).all())
    assert all(story is not None for _, story in placed), "an article was left out of stories"
    stories: dict[int, set[str]] = {}
    for url, story in placed:
        stories.setdefault(story, set()).add(url)
    companies = sorted((*row[:-1], round(row[-1], 6)) for row in rows)
    return {frozenset(s) for s in stories.values()}, companies, kept


@pytest.mark.parametrize("path", ["worker", "embedded"])
async def test_stories_and_companies_are_the_same_when_analysed_ahead(
    store: Store, settings: Settings, site: NewsSite, tmp_path: Path, path: str
) -> None:
    companies_file = settings.companies.model_copy(update={"file": ROOT / "config/companies.toml"})
    settings = settings.model_copy(update={"companies": companies_file})
    # The reference: articles stored bare, the index analysing each itself (as before).
    plain = await Store.open(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        await _ingest(plain, settings, site, analyse=False)
        expected = await _outcome(plain)
    finally:
        await plain.close()

    if path == "worker":  # a poll job stores the analysis; the index job reads it back
        await _ingest(store, settings, site, analyse=True)
    else:  # newsbot run on its own: poll, then index what the poll handed over
        for url in feed_urls(site.base_url):
            await store.add_feed(url)
        report = await poll_once(store, settings)
        assert report.new >= 20 and all(a.analysis is not None for a in report.stored)
    stories, companies, kept = await _outcome(store)
    assert companies and any(name == "Huawei" for _, name, *_ in companies)
    assert (stories, companies) == expected[:2]
    assert kept == await store.count("articles")  # a rebuild reads features, not texts
