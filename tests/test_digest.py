"""The console digest: what is new since the last one, ranked, summarized, nothing dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import console_digest, scheduled_console_digest
from bot.config import Settings
from bot.models import Article, Quote, Story, Summary, TextSource
from bot.nlp.companies import Gazetteer
from bot.store import Store
from bot.store.news import NewsIndex
from bot.summarize.embedded import ExtractiveSummarizer
from tests.chatbot import console_digest_text

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def art(n: int, text: str | None = None, source: str = "Wire") -> Article:
    body = text or f"Story {n} happened on Monday. Details of story {n} follow here. More."
    return Article(
        url=f"https://n.example/{n}",
        title=f"Title {n}",
        text=body,
        source=source,
        text_source=TextSource.PAGE,
        content_hash=f"h{hash(body)}",
        published=T0 - timedelta(hours=n),
        fetched_at=T0,
    )


def summary(sentences: list[str], quotes: list[Quote] = ()) -> Summary:  # type: ignore[assignment]
    return Summary(sentences, list(quotes), list(quotes), [], "extractive")


async def store_all(store: Store, articles: list[Article], story: bool = False) -> None:
    """Store articles as the poller does; ``story``: all in one story, led by the first."""
    feed, _ = await store.add_feed("https://n.example/feed")
    index, story_id = NewsIndex(store), None
    for n, article in enumerate(articles):
        article.feed_id = feed.id
        [stored] = await store.store_articles([(article, f"k{n}-{article.url}")])
        assert stored.id is not None
        if story:
            story_id = story_id or await index.new_story(stored.id)
            await index.save_index(stored.id, [], story_id)


def few(settings: Settings, max_stories: int) -> Settings:
    digest = settings.digest.model_copy(update={"max_stories": max_stories})
    return settings.model_copy(update={"digest": digest})


async def test_newest_first_and_the_rest_counted(store: Store, settings: Settings) -> None:
    await store_all(store, [art(3), art(1), art(2)])
    run = await console_digest(store, few(settings, 2), ExtractiveSummarizer(), now=T0)
    assert run.stories == 2 and run.left_out == 1
    assert run.text.index("1. Title 1\n") < run.text.index("2. Title 2\n")
    assert "Title 3" not in run.text
    assert "Digest: 2 stories" in run.text and "1 more story did not fit" in run.text
    assert "   Story 1 happened on Monday." in run.text  # the summary, under its title


async def test_articles_of_one_stored_story_are_one_item_led_by_the_first_report(
    store: Store, settings: Settings
) -> None:
    original = art(5, "Intel sells its network unit. The wire's own text.", "Harbor Wire")
    copy = art(1, "Republished. Intel sells its network unit. The wire's text.", "Markets Daily")
    await store_all(store, [original, copy], story=True)
    await store_all(store, [art(2, "Floods in Valencia. Roads closed.", "El País")])
    run = await console_digest(store, settings, ExtractiveSummarizer(), now=T0)
    assert run.stories == 2 and "Title 5" in run.text and "Title 1\n" not in run.text
    assert "2 sources: Harbor Wire [1], Markets Daily [2]" in run.text
    # Ranked by sources and by the newest report: the story two outlets carry comes first.
    assert run.text.index("1. Title 5") < run.text.index("2. Title 2")


def test_key_quote_with_speaker_is_shown() -> None:
    quote = Quote("We will not back down from this fight", "Ren Zhengfei")
    text = console_digest_text([(Story([art(1)]), summary(["Huawei sued."], [quote]))], now=T0)
    assert "“We will not back down from this fight” — Ren Zhengfei" in text


def test_terminal_control_characters_in_titles_are_removed() -> None:
    evil = art(1)
    evil.title = "Breaking\x1b[2J\x1b]0;pwned\x07 news\u202e"
    text = console_digest_text([(Story([evil]), summary(["x."]))], now=T0)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "1. Breaking news\n" in text and "pwned" not in text  # whole sequences go


async def test_extractive_summarizer_gives_sentences_quotes_and_companies() -> None:
    text = (
        "Huawei Technologies Co. said on Monday it would open a research centre in Munich. "
        "The centre will employ 300 engineers by 2027.\n"
        "“Europe is where our customers are,” said Ren Zhengfei, Huawei's founder. "
        "Apple was not mentioned.\n"
        "Analysts expect the move to ease regulatory pressure."
    )
    article = art(1, text)
    article.title = "Huawei to open Munich research centre"
    gazetteer = Gazetteer.load(ROOT / "config" / "companies.toml")
    said = await ExtractiveSummarizer(gazetteer).summarize(Story([article]), sentences=2)
    assert said.summarizer == "extractive"
    assert said.sentences[0].startswith("Huawei Technologies Co. said on Monday")
    assert all(s in text for s in said.sentences)
    assert [(q.text, q.speaker) for q in said.quotes] == [
        ("Europe is where our customers are", "Ren Zhengfei")
    ]
    assert said.companies[0] == "Huawei"


async def test_console_digest_shows_what_is_new_since_the_last_one(
    store: Store, settings: Settings
) -> None:
    summarizer = ExtractiveSummarizer()
    feed, _ = await store.add_feed("https://n.example/feed")
    for n in range(3):
        story = art(n)
        story.feed_id = feed.id
        story.fetched_at = T0 - timedelta(minutes=10)
        await store.add_article(story, f"k{n}")
    first = await console_digest(store, settings, summarizer, now=T0)
    assert first.stories == 3 and "Title 0" in first.text
    assert "Story 0 happened on Monday." in first.text
    second = await console_digest(store, settings, summarizer, now=T0 + timedelta(hours=1))
    assert second.stories == 0 and "No new stories since your last digest" in second.text
    late = art(9)
    late.feed_id, late.fetched_at = feed.id, T0 + timedelta(hours=2)
    await store.add_article(late, "k9")
    third = await console_digest(store, settings, summarizer, now=T0 + timedelta(hours=3))
    assert third.stories == 1 and "Title 9" in third.text


async def test_the_scheduled_console_digest_is_made_once_per_slot(
    store: Store, settings: Settings
) -> None:
    # Several `newsbot run` on one store each fire the daily job: the first prints the slot's
    # digest, the others (or a late start within the misfire grace) get nothing to print.
    summarizer = ExtractiveSummarizer()
    await store_all(store, [art(1), art(2)])
    digest = settings.digest.model_copy(update={"default_time": "08:00", "default_timezone": "UTC"})
    daily = settings.model_copy(update={"digest": digest})
    first = await scheduled_console_digest(store, daily, summarizer, now=T0 + timedelta(seconds=3))
    again = await scheduled_console_digest(store, daily, summarizer, now=T0 + timedelta(minutes=9))
    tomorrow = await scheduled_console_digest(store, daily, summarizer, now=T0 + timedelta(days=1))
    assert first is not None and first.stories == 2 and "Title 1" in first.text
    assert again is None
    assert tomorrow is not None and tomorrow.stories == 0
