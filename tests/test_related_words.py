"""/ask meets a question told in other words than the story, through related words learned from
the stored news (bot/summarize/related.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from bot.chat.command import ChatContext
from bot.models import Article, TextSource
from bot.store import Store, utcnow
from bot.store.news import NewsIndex
from bot.summarize import related
from bot.summarize.retrieve import retrieve
from tests.chatbot import make_core, reply_to

FIRMS = """Borealis Foods, Castor Mining, Delta Looms, Elm Street Bank, Fjord Shipping,
    Granite Cement, Harbor Glass, Iris Textiles, Juniper Paper, Kestrel Motors, Lumen Plastics,
    Maple Rail"""
READER = ChatContext("test", "group-1", "user-2", is_admin=False)
CITIES = ["Dayton", "Leeds", "Lyon", "Porto", "Turin", "Graz", "Aarhus", "Gdansk"]
OTHER_NEWS = [
    ("{city} council approves a riverside park", "The council voted to turn the old docks of "
     "{city} into a park with a cycle path and a market hall."),
    ("Storms bring floods to {city}", "Heavy rain flooded streets in {city} on Sunday and the "
     "weather service warned of more storms."),
    ("{city} museum opens a Roman gallery", "Coins, mosaics and a marble head found near "
     "{city} go on show in the museum's new gallery."),
    ("Marathon returns to {city}", "Ten thousand runners are expected when the marathon "
     "returns to the streets of {city} in spring."),
]  # fmt: skip
ACME_NEWS = [
    ("Acme Tools unveils a cordless drill", "Acme Tools showed a lighter cordless drill for "
     "builders and factory workers at a trade fair in {city}."),
    ("Acme Tools sponsors the {city} marathon", "Acme Tools will put its name on the marathon "
     "in {city} for three years, and its workers will run it."),
    ("Acme Tools opens a showroom in {city}", "Acme Tools opened a showroom for hand tools "
     "and saws in the centre of {city}, where workers can try them."),
]  # fmt: skip
ACME_CUTS = (
    "Acme Tools to cut 300 jobs, workers in Ohio told",
    "Acme Tools will cut 300 jobs at its Ohio plant as orders slow, the company said. "
    "About 300 workers are affected, and union officials called the job cuts a blow to the town.",
)
LAYOFFS = [
    ("{firm} announces layoffs", "{firm} will cut {n} jobs as orders slow, the company said. "
     "The layoffs hit its plant in {city}, and the union criticised the job cuts."),
    ("{firm} layoffs hit {city}", "{firm} is laying off {n} staff in {city} after orders "
     "slowed. The union said the cuts came without warning."),
]  # fmt: skip


def _article(n: int, title: str, text: str, hours: float) -> Article:
    return Article(
        url=f"https://news.example/{n}",
        title=title,
        text=text,
        source="Example News",
        text_source=TextSource.PAGE,
        content_hash=f"related-{n}",
        published=utcnow() - timedelta(hours=hours),
        fetched_at=utcnow() - timedelta(hours=hours),
    )


async def _newsroom(store: Store) -> None:
    """A store where other firms' layoffs are told with "layoffs" and "job cuts" alike, Acme
    Tools' are told as job cuts only, and Acme Tools has more news than /ask reads at once."""
    feed, _ = await store.add_feed("https://news.example/feed.xml")
    items: list[tuple[str, str]] = [ACME_CUTS]
    firms = [f.strip() for f in FIRMS.split(",")]
    for i, firm in enumerate(firms):
        title, text = LAYOFFS[i % 2]
        items.append((title.format(firm=firm, city=CITIES[i % 8]),
                      text.format(firm=firm, city=CITIES[i % 8], n=200 + 50 * i)))  # fmt: skip
    for i in range(30):
        title, text = ACME_NEWS[i % 3]
        items.append((title.format(city=CITIES[i % 8]), text.format(city=CITIES[i % 8])))
    for i in range(48):
        title, text = OTHER_NEWS[i % 4]
        items.append((title.format(city=CITIES[i % 8]), text.format(city=CITIES[i % 8])))
    articles = []
    for n, (title, text) in enumerate(items):
        article = _article(n, title, text, hours=2 + n)
        article.feed_id = feed.id
        articles.append((article, f"entry-{n}"))
    await store.store_articles(articles)


async def test_ask_finds_the_story_told_in_other_words(store: Store, settings) -> None:  # type: ignore[no-untyped-def]
    await _newsroom(store)
    core = make_core(store, settings)
    try:
        reply = await reply_to(core, "/ask Why is Acme Tools laying off workers?", READER)
        shown = reply.plain()
        assert "Sources:" in shown, shown
        assert "[1] Acme Tools to cut 300 jobs, workers in Ohio told" in shown, shown
        assert "will cut 300 jobs at its Ohio plant as orders slow" in shown, shown
        # What did it: without related words the same question finds nothing.
        assert await retrieve(NewsIndex(store), "Why is Acme Tools laying off workers?",
                              related=False) == []  # fmt: skip
        # Related words are no licence to answer anything: nothing stored tells of Mars.
        mars = await reply_to(core, "/ask Is Acme Tools building a factory on Mars?", READER)
        assert "The stored news doesn't answer that." in mars.plain(), mars.plain()
    finally:
        await core.aclose()


def test_related_words_are_those_far_more_common_beside_the_word() -> None:
    # 20 texts hold "layoffs": "cut" in 18 of them and in 20 of 1,000 stored articles;
    # "company" in 15 of them but in 400 stored: everywhere, so no sign of layoffs.
    counts = Counter({"cut": 18, "company": 15, "union": 6, "rare": 3})
    frequencies = {"cut": 20, "company": 400, "union": 10, "rare": 3}
    found = related.associate(counts, 20, 1000, frequencies)
    assert list(found) == ["cut", "union"]
    assert found["cut"] == 18 / 20 - 20 / 1000
    assert related.associate(counts, related.MIN_TEXTS - 1, 1000, frequencies) == {}


def test_a_text_with_related_words_covers_the_word_in_part_only() -> None:
    words = {"cut": 0.9, "union": 0.3}
    assert related.partial_cover(words, lambda w: w == "union") == pytest.approx(0.3)
    both = related.partial_cover(words, lambda w: True)
    assert both == related.MAX_COVER < 1.0
    assert related.partial_cover(words, lambda w: False) == 0.0
