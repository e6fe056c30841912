"""/company reads its stories' summaries made ahead (bot/summarize/stored.py), and never a
summary of what a story used to hold; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from bot.models import Article, CompanyMention, Story, Summary, TextSource
from bot.store import Store, utcnow
from bot.store.chats import ChatStore
from bot.store.news import NewsIndex
from bot.store.schema import stories, story_summaries
from bot.summarize.embedded import ExtractiveSummarizer
from bot.summarize.stored import prepare_summaries, prepare_touched, summary_key
from tests.chatbot import ChatBot, make_core, reply_to, testbot_fixture  # noqa: F401

MEMBER_CONTEXT = ChatBot.context()
LEAD = (
    "Acme Robotics said on Monday it would build a warehouse-robot plant in Ohio, its first in "
    "the United States. The plant will open in March and make 5,000 robots a year."
)
FOLLOW_UP = (
    "Acme Robotics will hire 400 people for its Ohio plant. “Ohio gives us the workers and the "
    "suppliers we need,” Jane Roe, Acme's chief executive, said at the site on Tuesday."
)


class CountingSummarizer(ExtractiveSummarizer):
    """The real embedded summarizer, counting the stories it was asked to summarize."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.made = 0

    async def summarize(self, story: Story, *, sentences: int = 3) -> Summary:
        self.made += 1
        return await super().summarize(story, sentences=sentences)


async def _add(
    testbot: ChatBot, n: int, title: str, text: str, story: int | None, *, fetched_ago: int = 20
) -> int:
    """Store one Acme Robotics article of the Daily Ledger, fetched ``fetched_ago`` minutes ago,
    in ``story`` (or a new one)."""
    feed, _ = await testbot.store.add_feed("https://ledger.example/feed.xml")
    article = Article(
        url=f"https://ledger.example/acme-{n}",
        title=title,
        text=text,
        source="Daily Ledger",
        text_source=TextSource.PAGE,
        content_hash=f"acme-robotics-{n}",
        feed_id=feed.id,
        published=utcnow() - timedelta(minutes=30 - n),
        fetched_at=utcnow() - timedelta(minutes=fetched_ago),
    )
    [stored] = await testbot.store.store_articles([(article, f"acme-robotics-{n}")])
    assert stored.id is not None
    index = NewsIndex(testbot.store)
    story = story if story is not None else await index.new_story(stored.id)
    mention = CompanyMention("Acme Robotics", 2, 0, True, True, 4.0)
    await index.save_index(stored.id, [mention], story)
    return story


async def _stored_rows(store: Store) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(story_summaries))).scalar())


async def test_company_shows_the_quote_of_an_article_the_story_gained(testbot: ChatBot) -> None:
    story = await _add(testbot, 0, "Acme Robotics to build a robot plant in Ohio", LEAD, None)
    summarizer = CountingSummarizer(testbot.core.summarizer.gazetteer)  # type: ignore[attr-defined]
    sentences = testbot.settings.digest.summary_sentences
    assert await prepare_summaries(testbot.store, summarizer, [story], sentences) == 1
    before = (await testbot.reply("/company Acme Robotics")).plain()
    assert "Ohio gives us the workers" not in before and "warehouse-robot plant" in before

    await _add(testbot, 1, "Acme Robotics will hire 400 in Ohio", FOLLOW_UP, story)
    after = await testbot.reply("/company Acme Robotics")
    shown = after.plain()
    assert after.ok and "Ohio gives us the workers and the suppliers we need" in shown, shown
    assert "Jane Roe" in shown and "1 source, 2 articles" in shown
    # Made ahead again, the summary of what the story holds now is the one /company shows.
    assert await prepare_summaries(testbot.store, summarizer, [story], sentences) == 0
    assert (await testbot.reply("/company Acme Robotics")).plain() == shown


async def test_summaries_made_ahead_answer_as_those_made_at_the_ask(testbot: ChatBot) -> None:
    asked = ["/company huawei", "/company google", "/company nvidia", "/company aurelia labs"]
    made_now = [(await testbot.reply(text)).plain() for text in asked]
    async with testbot.store.engine.begin() as conn:  # as before any poll made them
        await conn.execute(delete(story_summaries))
        ids = [i for (i,) in await conn.execute(select(stories.c.id))]
    gazetteer = testbot.core.summarizer.gazetteer  # type: ignore[attr-defined]
    sentences = testbot.settings.digest.summary_sentences
    made = await prepare_summaries(testbot.store, ExtractiveSummarizer(gazetteer), ids, sentences)
    assert made == len(ids) == await _stored_rows(testbot.store)

    # A new process: nothing in memory, every summary read from the store.
    core = make_core(testbot.store, testbot.settings)
    counting = CountingSummarizer(gazetteer)
    core.summarizer = counting
    try:
        ahead = [(await reply_to(core, text, MEMBER_CONTEXT)).plain() for text in asked]
    finally:
        await core.aclose()
    assert ahead == made_now
    assert counting.made == 0


async def test_the_asking_chat_reads_its_zone_and_new_marks_with_the_stories(
    testbot: ChatBot,
) -> None:
    for n in range(6):  # enough stories about the company for the one-statement read
        await _add(testbot, n, f"Acme Robotics story {n}", f"Acme Robotics news number {n}.", None)
    chats = ChatStore(testbot.store)
    chat, _ = await chats.ensure("test", "chat-1", timezone="Asia/Tokyo", digest_time="08:00")
    page = await NewsIndex(testbot.store).company_page("Acme Robotics", ("test", "chat-1"))
    assert len(page.stories) == 5 and page.chat == chat and page.last_digest_end is None
    assert [s.lead.title for s, _ in page.stories] == [
        f"Acme Robotics story {n}" for n in (5, 4, 3, 2, 1)
    ]
    shown = (await testbot.reply("/company Acme Robotics")).plain()
    assert "JST" in shown and "[new]" not in shown

    await testbot.record_digest()
    await _add(testbot, 9, "Acme Robotics story 9", "Acme Robotics news 9.", None, fetched_ago=0)
    page = await NewsIndex(testbot.store).company_page("Acme Robotics", ("test", "chat-1"))
    assert page.last_digest_end is not None and page.last_digest_end <= datetime.now(UTC)
    newer = (await testbot.reply("/company Acme Robotics")).plain()
    assert "1 new since your last digest" in newer, newer
    assert "Acme Robotics story 9  [new]" in newer and newer.count("  [new]") == 1, newer


async def test_a_poll_makes_the_summary_of_the_story_its_article_joined(testbot: ChatBot) -> None:
    since = utcnow()
    title = "Huawei opens its largest European flagship store on the Champs-Élysées"
    await testbot.publish(
        "huawei-paris-store",
        title,
        [
            "Huawei Technologies opened its largest flagship store outside China on the "
            "Champs-Élysées in Paris on Saturday, a bet that shoppers will queue for its "
            "foldable phones and HarmonyOS laptops.",
            "“Paris is where European customers decide what is premium,” said Camille Roux, "
            "Huawei's head of retail for France.",
        ],
    )
    index = NewsIndex(testbot.store)
    recent = await index.recent_articles(since - timedelta(days=60))  # the feed dates it Nov 23
    [stored] = [a for a in recent if a.title == title]
    gazetteer = testbot.core.summarizer.gazetteer  # type: ignore[attr-defined]
    sentences = testbot.settings.digest.summary_sentences
    summarizer = ExtractiveSummarizer(gazetteer)
    assert await prepare_touched(testbot.store, summarizer, [stored], since, sentences) >= 1
    [(story, kept)] = await index.stories_summarized([stored.story_id or 0])
    assert kept is not None and kept.key == summary_key(summarizer, story, sentences)
    said = {(q.speaker, q.text[:40]) for q in kept.summary().all_quotes}
    assert ("Camille Roux", "Paris is where European customers decide") in said, said
