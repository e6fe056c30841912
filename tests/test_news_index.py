"""Stories, company mentions and full-text search in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text, update

from bot.config import Settings
from bot.demo.server import feed_urls
from bot.ingest.poll import content_hash
from bot.models import Article, CompanyMention, TextSource
from bot.nlp.companies import Gazetteer
from bot.nlp.indexer import StoryIndexer
from bot.nlp.stories.cluster import StoryClusterer
from bot.polling import poll_once
from bot.store import Store
from bot.store.news import NewsIndex
from bot.store.schema import article_companies, articles
from bot.store.search_words import search_terms
from tests.fakes.newssite import NewsSite
from tests.test_cluster import COPY, OTHER_EVENT, REWRITE, UNRELATED, WIRE

COMPANIES = Path(__file__).resolve().parents[1] / "config" / "companies.toml"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOSTILE = [
    '"',
    "NEAR",
    "NEAR(huawei samsung)",
    "*",
    "huawei*",
    "((",
    "))",
    "'; DROP TABLE articles; --",
    "title:huawei",
    "huawei AND OR NOT",
    "-huawei",
    "^huawei",
    "!&|:*'",
    "📱🔥",
    "华为",
    "x" * 500,
    "huawei " * 80,
    "",
    "   ",
    "\x00huawei\ud800",
]


def article(key: str, title: str, text: str, source: str, when: datetime) -> Article:
    return Article(
        url=f"https://{source.lower().replace(' ', '-')}.test/{key}",
        title=title,
        text=text,
        source=source,
        text_source=TextSource.PAGE,
        content_hash=content_hash(text),
        published=when,
        fetched_at=when,
    )


async def put(store: Store, *items: Article) -> list[Article]:
    feed, _ = await store.add_feed("https://feeds.test/all.xml")
    for item in items:
        item.feed_id = feed.id
    return await store.store_articles([(a, a.url or "") for a in items])


def mention(name: str, score: float, count: int = 1) -> CompanyMention:
    return CompanyMention(name, count, 10, score >= 3, True, score)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load(COMPANIES)


async def test_migrations_match_the_metadata(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.store.schema import metadata

    def diff(conn: Any) -> list[Any]:
        return compare_metadata(MigrationContext.configure(conn), metadata)

    async with store.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    # Full-text search lives outside the metadata: SQLite's FTS5 tables, PostgreSQL's tsvector.
    fts = ("articles_fts", "ix_articles_search", "'search'")
    mine = ("stories", "article_companies", "articles")
    left = [repr(c) for c in changes if not any(name in repr(c) for name in fts)]
    assert [c for c in left if any(name in c for name in mine)] == []


async def test_upgrading_a_store_makes_its_articles_searchable(store: Store) -> None:
    from alembic import command
    from alembic.config import Config

    from bot.store.db import MIGRATIONS

    def migrate(conn: Any, revision: str) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        step = command.upgrade if revision == "head" else command.downgrade
        step(cfg, revision)

    async with store.engine.begin() as conn:
        await conn.run_sync(migrate, "0002")
        await conn.execute(
            text(
                "INSERT INTO articles (title, source, fetched_at, text, content_hash, text_source)"
                " VALUES ('Turbine orders rose', 'A', :now, 'Wind power.', 'h', 'page')"
            ),
            {"now": NOW},
        )
        await conn.run_sync(migrate, "head")
    hits = await NewsIndex(store).search("turbines", now=NOW)
    assert [h.article.title for h in hits] == ["Turbine orders rose"]


async def test_companies_indexed_with_counts_and_first_offsets(
    store: Store, gazetteer: Gazetteer
) -> None:
    (wire,) = await put(store, article("w", "Huawei launches Mate X7 in Europe", WIRE, "R", NOW))
    await StoryIndexer(gazetteer).index(NewsIndex(store), [wire])
    async with store.engine.connect() as conn:
        rows = {r.company: r for r in await conn.execute(select(article_companies))}
    huawei = rows["Huawei"]
    assert (huawei.article_id, huawei.known, huawei.in_title) == (wire.id, True, True)
    assert huawei.mentions == WIRE.count("Huawei") + 1  # and once in the title
    assert huawei.first_offset == WIRE.index("Huawei") == 0
    assert rows["SMIC"].first_offset == WIRE.index("SMIC") and rows["SMIC"].mentions == 1
    assert not rows["SMIC"].in_title and rows["Huawei"].score > rows["SMIC"].score
    assert {"Huawei", "SMIC", "Samsung"} <= set(await NewsIndex(store).company_names())


async def test_a_story_about_the_company_beats_a_passing_mention_and_newer_beats_older(
    store: Store,
) -> None:
    index = NewsIndex(store)
    days = [3, 0, 1, 40, 50]
    stored = await put(
        store,
        *(
            article(f"a{i}", f"Story {i}", f"Text {i}.", "S", NOW - timedelta(d))
            for i, d in enumerate(days)
        ),
    )
    scores = [3.5, 1.5, 2.0, 1.0, 3.2]  # about, passing (newest), about (newer), old, old about
    for a, score in zip(stored, scores, strict=True):
        assert a.id is not None
        await index.save_index(a.id, [mention("Acme", score)], await index.new_story(a.id))
    found = await index.company_stories("Acme", now=NOW)
    assert [s.lead.title for s in found] == ["Story 2", "Story 0", "Story 1", "Story 4", "Story 3"]
    assert [s.lead.title for s in await index.company_stories("Acme", limit=2, now=NOW)] == [
        "Story 2",
        "Story 0",
    ]
    assert await index.company_stories("Nobody", now=NOW) == []


async def test_copies_and_reports_of_one_event_make_one_stored_story(
    store: Store, gazetteer: Gazetteer
) -> None:
    index = NewsIndex(store)
    wire, unrelated, copy, rewrite, other = await put(
        store,
        article("w", "Huawei launches Mate X7 foldable in Europe", WIRE, "Reuters", NOW),
        article("u", "Floods in Valencia", UNRELATED, "El País", NOW + timedelta(minutes=5)),
        article("c", "Huawei's cheaper foldable", COPY, "Yahoo", NOW + timedelta(hours=1)),
        article("r", "Mate X7 costs 1,999 euros", REWRITE, "The Verge", NOW + timedelta(hours=2)),
        article("o", "Huawei revenue up 22%", OTHER_EVENT, "Bloomberg", NOW + timedelta(hours=3)),
    )
    await StoryIndexer(gazetteer).index(index, [other, rewrite, copy, unrelated, wire])
    stored = {a.id: a for a in await index.recent_articles(NOW - timedelta(days=1))}
    launch = stored[wire.id].story_id
    assert launch is not None
    assert stored[copy.id].story_id == stored[rewrite.id].story_id == launch
    assert len({launch, stored[other.id].story_id, stored[unrelated.id].story_id}) == 3
    story = await index.story(launch)
    assert story is not None and story.id == launch
    assert story.lead.id == wire.id and story.sources == ["Reuters", "Yahoo", "The Verge"]
    about_huawei = await index.company_stories("Huawei", now=NOW)
    assert {s.id for s in about_huawei} == {launch, stored[other.id].story_id}
    assert await index.story(10_000) is None


async def test_reports_indexed_one_poll_at_a_time_join_the_story_the_first_one_opened(
    store: Store, gazetteer: Gazetteer
) -> None:
    # The store's id of a story opened by one call reaches the indexer's process with the next.
    index = NewsIndex(store)
    wire, copy, rewrite = await put(
        store,
        article("w", "Huawei launches Mate X7 foldable in Europe", WIRE, "Reuters", NOW),
        article("c", "Huawei's cheaper foldable", COPY, "Yahoo", NOW + timedelta(hours=1)),
        article("r", "Mate X7 costs 1,999 euros", REWRITE, "The Verge", NOW + timedelta(hours=2)),
    )
    indexer = StoryIndexer(gazetteer)
    try:
        for item in (wire, copy, rewrite):
            await indexer.index(index, [item])
    finally:
        indexer.close()
    held = {a.id: a.story_id for a in await index.recent_articles(NOW - timedelta(days=1))}
    assert held[wire.id] is not None and held[wire.id] == held[copy.id] == held[rewrite.id]
    story = await index.story(held[wire.id] or 0)
    assert story is not None and story.lead.id == wire.id
    assert story.sources == ["Reuters", "Yahoo", "The Verge"]
    async with store.engine.connect() as conn:
        huawei = await conn.scalar(
            select(func.count()).where(article_companies.c.company == "Huawei")
        )
    assert huawei == 3


async def test_rebuild_after_a_restart_keeps_story_ids(store: Store, gazetteer: Gazetteer) -> None:
    index = NewsIndex(store)
    wire, other = await put(
        store,
        article("w", "Huawei launches Mate X7 foldable", WIRE, "Reuters", NOW),
        article("o", "Huawei revenue up 22%", OTHER_EVENT, "Bloomberg", NOW + timedelta(hours=1)),
    )
    await StoryIndexer(gazetteer).index(index, [wire, other])
    before = {a.id: a.story_id for a in await index.recent_articles(NOW - timedelta(days=1))}
    later = NOW + timedelta(hours=5)
    restarted = await StoryIndexer.rebuild(index, gazetteer, now=later)
    (copy,) = await put(store, article("c", "Huawei's foldable", COPY, "Yahoo", later))
    await restarted.index(index, [copy])
    after = {a.id: a.story_id for a in await index.recent_articles(NOW - timedelta(days=1))}
    assert {i: after[i] for i in before} == before
    assert after[copy.id] == before[wire.id] != before[other.id]
    story = await index.story(before[wire.id] or 0)
    assert story is not None and story.sources == ["Reuters", "Yahoo"]


async def test_a_story_keeps_its_three_days_across_a_restart(
    store: Store, gazetteer: Gazetteer
) -> None:
    # A story opened at NOW took a rewrite at +60 h; the process restarts at +100 h, when the
    # window (72 h) holds the rewrite only. A report of the same event at +100 h is past the
    # story's three days from its first article: a new story, as in a process that never
    # restarted, not a story stretched to six days by the restart.
    index = NewsIndex(store)
    wire, rewrite = await put(
        store,
        article("w", "Huawei launches Mate X7 foldable", WIRE, "Reuters", NOW),
        article("r", "Mate X7 costs 1,999 euros", REWRITE, "The Verge", NOW + timedelta(hours=60)),
    )
    running = StoryIndexer(gazetteer)
    try:
        await running.index(index, [wire])
        await running.index(index, [rewrite])
    finally:
        running.close()
    first = {a.id: a.story_id for a in await index.recent_articles(NOW - timedelta(days=1))}
    assert first[wire.id] == first[rewrite.id]
    later = NOW + timedelta(hours=100)
    restarted = await StoryIndexer.rebuild(index, gazetteer, now=later)
    try:
        (late,) = await put(store, article("l", "Huawei's foldable", COPY, "Yahoo", later))
        await restarted.index(index, [late])
    finally:
        restarted.close()
    after = {a.id: a.story_id for a in await index.recent_articles(NOW - timedelta(days=1))}
    assert after[late.id] is not None and after[late.id] != first[wire.id], after


async def test_rebuild_reads_what_the_clusterer_kept_not_the_texts(
    store: Store, gazetteer: Gazetteer
) -> None:
    index = NewsIndex(store)
    wire, other = await put(
        store,
        article("w", "Huawei launches Mate X7 foldable", WIRE, "Reuters", NOW),
        article("o", "Huawei revenue up 22%", OTHER_EVENT, "Bloomberg", NOW + timedelta(hours=1)),
    )
    await StoryIndexer(gazetteer).index(index, [wire, other])
    async with store.engine.begin() as conn:  # the texts are gone: only the kept state tells
        await conn.execute(update(articles).values(title="", text=""))
    later = NOW + timedelta(hours=5)
    restarted = await StoryIndexer.rebuild(index, gazetteer, now=later)
    assert await restarted.stories() == 2
    (copy,) = await put(store, article("c", "Huawei's foldable", COPY, "Yahoo", later))
    await restarted.index(index, [copy])
    after = {a.id: a.story_id for a in await index.recent_articles(NOW - timedelta(days=1))}
    assert after[copy.id] == after[wire.id] != after[other.id]


async def test_rebuild_indexes_articles_stored_before_indexing(
    store: Store, gazetteer: Gazetteer
) -> None:
    wire, _ = await put(
        store,
        article("w", "Huawei launches Mate X7 foldable", WIRE, "Reuters", NOW),
        article("c", "Huawei's foldable", COPY, "Yahoo", NOW + timedelta(hours=1)),
    )
    index = NewsIndex(store)
    await StoryIndexer.rebuild(index, gazetteer, now=NOW + timedelta(hours=2))
    stored = await index.recent_articles(NOW - timedelta(days=1))
    assert stored[0].story_id is not None and stored[0].story_id == stored[1].story_id
    assert [s.lead.id for s in await index.company_stories("Huawei", now=NOW)] == [wire.id]


async def test_search_finds_title_and_text_words_and_ranks_titles_and_recent_first(
    store: Store,
) -> None:
    filler = "The company said the results were in line with what analysts had expected. "
    index = NewsIndex(store)
    await put(
        store,
        article("t", "Lidar maker raises funds", filler * 3, "A", NOW - timedelta(days=1)),
        article(
            "x",
            "Funding round",
            filler + "It builds lidar. " + filler * 2,
            "B",
            NOW - timedelta(days=1),
        ),
        article("new", "Quantum chip shipped", filler * 3, "C", NOW),
        article("old", "Quantum chip shipped", filler * 3, "D", NOW - timedelta(days=20)),
        article("f", "Foldable phones", "Launches of foldables grew.", "E", NOW),
    )
    assert [h.article.source for h in await index.search("lidar", now=NOW)] == ["A", "B"]
    assert [h.article.source for h in await index.search("QUANTUM chips", now=NOW)] == ["C", "D"]
    hits = await index.search("What did they say about the launch of foldable phones?", now=NOW)
    assert [h.article.source for h in hits] == ["E"] and hits[0].score > 0
    assert await index.search("nothing-matches-this zzzqqq", now=NOW) == []
    assert len(await index.search("quantum OR lidar", limit=1, now=NOW)) == 1


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_and_company_names_are_just_text(store: Store, query: str) -> None:
    index = NewsIndex(store)
    await put(
        store, article("h", "Huawei 华为 NEAR launch", "Huawei said 📱 sales rose.", "A", NOW)
    )
    hits = await index.search(query, now=NOW)
    assert all(h.article.source == "A" for h in hits)
    assert await index.company_stories(query, now=NOW) == []
    assert await store.count("articles") == 1


def test_search_terms_strip_operators_and_keep_unicode() -> None:
    assert search_terms('"Huawei" NEAR(foo*) -bar ^baz') == ["huawei", "near", "foo", "bar", "baz"]
    assert search_terms("Café 华为 📱 the what") == ["café", "华为"]
    assert search_terms("'; DROP TABLE articles; --") == ["drop", "table", "articles"]
    assert search_terms("*()\"'") == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=80) | st.sampled_from(HOSTILE))
async def test_search_never_raises(store: Store, query: str) -> None:
    if not await store.count("articles"):
        await put(store, article("h", "Huawei 华为 launch", "Huawei said 📱 sales rose.", "A", NOW))
    await NewsIndex(store).search(query)
    await NewsIndex(store).company_stories(query)


async def test_fts_follows_updates_and_deletes(store: Store) -> None:
    index = NewsIndex(store)
    (first,) = await put(
        store, article("a", "Turbine orders", "Wind turbine orders rose.", "A", NOW)
    )
    assert len(await index.search("turbine", now=NOW)) == 1
    async with store.engine.begin() as conn:
        await conn.execute(
            update(articles).where(articles.c.id == first.id).values(title="Solar panels", text="x")
        )
    assert await index.search("turbine", now=NOW) == []
    assert [h.article.title for h in await index.search("solar", now=NOW)] == ["Solar panels"]
    async with store.engine.begin() as conn:
        await conn.execute(delete(articles).where(articles.c.id == first.id))
    assert await index.search("solar", now=NOW) == []


async def test_every_poll_indexes_what_it_stored(
    store: Store, settings: Settings, site: NewsSite
) -> None:
    settings.companies.file = COMPANIES
    for url in feed_urls(site.base_url):
        await store.add_feed(url)
    report = await poll_once(store, settings)
    assert report.new == len(report.stored) >= 20
    async with store.engine.connect() as conn:
        unindexed = await conn.execute(select(articles.c.id).where(articles.c.story_id.is_(None)))
        companies = await conn.execute(select(article_companies.c.company).distinct())
        assert unindexed.all() == [] and len(companies.all()) >= 5
    assert (await poll_once(store, settings)).stored == []


async def test_a_split_in_the_clusterer_splits_the_stored_story(store: Store) -> None:
    from bot.nlp.stories.cluster import StoryClusterer
    from tests.test_cluster import SAME_SUBJECT

    # A bar of zero blends two stories until the clusterer's split check separates them.
    clusterer = StoryClusterer(threshold=0.0, floor=0.0, size_prior=0.0, ambiguity=0.0)
    items = [
        article(f"k{i}", "", text, "Wire", NOW + timedelta(minutes=i))
        for i, text in enumerate(SAME_SUBJECT)
    ]
    stored = await put(store, *items)
    index = NewsIndex(store)
    await StoryIndexer(None, clusterer).index(index, stored)
    after = {a.id: a.story_id for a in await index.recent_articles(NOW - timedelta(days=1))}
    by_story: dict[int | None, set[int]] = {}
    for i, a in enumerate(stored):
        by_story.setdefault(after[a.id], set()).add(i % 2)
    assert len(by_story) == 2 and None not in by_story
    assert sorted(by_story.values(), key=sorted) == [{0}, {1}]  # each story holds one event
    for story_id in by_story:
        story = await index.story(story_id)  # type: ignore[arg-type]
        assert story is not None and story.lead.story_id == story_id


class OffThisProcess(StoryClusterer):
    """A clusterer that refuses to work in the process that made it (the event loop's)."""

    def __init__(self) -> None:
        super().__init__()
        self.home = os.getpid()

    def add(self, *args: Any) -> int:
        if os.getpid() == self.home:
            raise AssertionError("clustering in the event loop's process")
        return super().add(*args)


async def test_indexing_runs_in_a_process_of_its_own(store: Store, gazetteer: Gazetteer) -> None:
    wire, other = await put(
        store,
        article("w", "Huawei launches Mate X7 foldable", WIRE, "Reuters", NOW),
        article("o", "Huawei revenue up 22%", OTHER_EVENT, "Bloomberg", NOW + timedelta(hours=1)),
    )
    index = NewsIndex(store)
    await StoryIndexer(gazetteer, OffThisProcess()).index(index, [wire, other])
    stored = await index.recent_articles(NOW - timedelta(days=1))
    assert len({a.story_id for a in stored}) == 2 and None not in {a.story_id for a in stored}
    assert {s.lead.id for s in await index.company_stories("Huawei", now=NOW)} == {
        wire.id,
        other.id,
    }


async def test_rebuild_over_a_whole_window_keeps_every_story(
    store: Store, gazetteer: Gazetteer
) -> None:
    index = NewsIndex(store)
    texts = [WIRE, UNRELATED, REWRITE, OTHER_EVENT, COPY]
    items = [
        article(f"k{i}", "", text, "Wire", NOW + timedelta(hours=17 * i))  # 0 to 68 hours
        for i, text in enumerate(texts)
    ]
    stored = await put(store, *items)
    await StoryIndexer(gazetteer).index(index, stored)
    before = {a.id: a.story_id for a in await index.recent_articles(NOW - timedelta(days=1))}
    later = NOW + timedelta(hours=70)
    restarted = await StoryIndexer.rebuild(index, gazetteer, now=later)
    assert await restarted.stories() == len(set(before.values())) == 3
    (copy,) = await put(store, article("c", "Huawei's foldable", COPY, "Yahoo", later))
    await restarted.index(index, [copy])
    after = {a.id: a.story_id for a in await index.recent_articles(NOW - timedelta(days=1))}
    assert {i: after[i] for i in before} == before and after[copy.id] == before[stored[0].id]


async def test_search_finds_the_article_with_the_rare_words_among_many_newer_common_ones(
    store: Store,
) -> None:
    # Issue #16: the answer to a question was not among the first 20 hits, crowded out by
    # the many newer articles that share only its common words ("jobs", "cutting").
    common = [
        article(
            f"c{i}",
            f"Carmaker {i} is cutting jobs",
            "The company is cutting jobs as demand slows. Shares fell.",
            "Wire",
            NOW - timedelta(minutes=i),
        )
        for i in range(1200)
    ]
    answer = article(
        "zephyr",
        "Zephyr Robotics to cut 300 jobs",
        "Zephyr Robotics said it would cut 300 jobs in Ohio as orders slowed.",
        "Ledger",
        NOW - timedelta(days=40),
    )
    await put(store, answer, *common)
    hits = await NewsIndex(store).search("How many jobs is Zephyr cutting?", limit=20, now=NOW)
    assert hits[0].article.title == "Zephyr Robotics to cut 300 jobs"


async def test_a_word_that_frames_the_question_does_not_choose_the_articles(
    store: Store,
) -> None:
    # "say" only frames the question. Layoffs and unions are common news; Zephyr's "says"
    # headlines must not fill the hits ahead of the one story about Zephyr's layoffs (as
    # "Goldman Sachs says ... caused outage" did for "What did unions say about Goldman Sachs
    # layoffs?" at 100,000 articles).
    says = [
        article(
            f"s{i}",
            f"Zephyr Robotics says outage {i} is over",
            "Zephyr Robotics says its service is back after an outage.",
            "Wire",
            NOW - timedelta(minutes=i),
        )
        for i in range(20)
    ]
    others = [
        article(
            f"o{i}",
            f"Firm {i} announces layoffs",
            f"Firm {i} will cut 200 jobs. The union called the layoffs a betrayal.",
            "Wire",
            NOW - timedelta(hours=1, minutes=i),
        )
        for i in range(80)
    ]
    plants = [
        article(
            f"p{i}",
            f"Zephyr Robotics opens plant {i}",
            "Zephyr Robotics opened a plant that will build warehouse robots.",
            "Wire",
            NOW - timedelta(hours=2, minutes=i),
        )
        for i in range(40)
    ]
    layoffs = article(
        "cuts",
        "Zephyr Robotics announces layoffs",
        "Zephyr Robotics will cut 300 jobs. The union called the layoffs a betrayal.",
        "Ledger",
        NOW - timedelta(days=3),
    )
    await put(store, layoffs, *says, *others, *plants)
    question = "What did unions say about Zephyr Robotics layoffs?"
    hits = await NewsIndex(store).search(question, limit=20, now=NOW)
    assert "Zephyr Robotics announces layoffs" in [hit.article.title for hit in hits]


async def test_company_names_include_a_company_indexed_after_an_earlier_look(
    store: Store,
) -> None:
    index = NewsIndex(store)
    (first,) = await put(store, article("a", "Acme opens", "Acme opens a plant.", "A", NOW))
    await index.save_index(first.id or 0, [mention("Acme", 4.0)], None)
    assert await index.company_names() == ["Acme"]
    (second,) = await put(store, article("b", "Zephyr hires", "Zephyr hires 40.", "B", NOW))
    await index.save_index(second.id or 0, [mention("Zephyr", 4.0)], None)
    assert await index.company_names() == ["Acme", "Zephyr"]


async def test_search_finds_a_company_whose_name_is_made_of_stop_words(store: Store) -> None:
    # PostgreSQL's english configuration drops "AT&T" whole ('at' and 't' are stop words).
    index = NewsIndex(store)
    att, other = await put(
        store,
        article("att", "AT&T to cut 300 jobs", "AT&T will cut 300 jobs in Texas.", "A", NOW),
        article("vz", "Verizon to cut 900 jobs", "Verizon will cut 900 jobs in Ohio.", "B", NOW),
    )
    await index.save_index(att.id or 0, [mention("AT&T", 4.0)], None)
    await index.save_index(other.id or 0, [mention("Verizon", 4.0)], None)
    hits = await index.search("How many jobs is AT&T cutting?", now=NOW)
    assert hits and hits[0].article.title == "AT&T to cut 300 jobs"
