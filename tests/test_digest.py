"""The console digest: what is new since the last one, ranked, summarized, nothing dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import console_digest
from bot.config import Settings
from bot.digest.build import select_stories
from bot.digest.render import render_console
from bot.models import Article, Digest, DigestItem, Quote, Summary, TextSource
from bot.nlp.companies import Gazetteer
from bot.store import Store
from bot.summarize.embedded import ExtractiveSummarizer

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


def item(article: Article, sentences: list[str], quotes: list[Quote] = ()) -> DigestItem:  # type: ignore[assignment]
    from bot.models import Story

    summary = Summary(sentences, list(quotes), list(quotes), [], "extractive")
    return DigestItem(Story([article]), summary)


def test_newest_first_and_the_rest_counted() -> None:
    stories, left_out = select_stories([art(3), art(1), art(2)], max_stories=2)
    assert [s.lead.title for s in stories] == ["Title 1", "Title 2"]
    assert left_out == 1
    digest = Digest(None, T0, [item(s.lead, ["One.", "Two."]) for s in stories])
    text = render_console(digest, left_out=left_out)
    assert "Digest: 2 stories" in text and "1 more story" in text
    assert "   One.\n   Two.\n" in text


def test_identical_texts_from_two_sources_are_one_story() -> None:
    same = "The same wire text. Word for word."
    stories, _ = select_stories([art(1, same, "AFP"), art(2, same, "Le Monde")], max_stories=10)
    # Le Monde's copy was published an hour earlier: the first report leads.
    assert len(stories) == 1 and stories[0].sources == ["Le Monde", "AFP"]
    summary = Summary(["x."], [], [], [], "extractive")
    text = render_console(Digest(None, T0, [DigestItem(stories[0], summary)]))
    assert "Le Monde, AFP ·" in text


def test_key_quote_with_speaker_is_shown() -> None:
    quote = Quote("We will not back down from this fight", "Ren Zhengfei")
    text = render_console(Digest(None, T0, [item(art(1), ["Huawei sued."], [quote])]))
    assert "“We will not back down from this fight” — Ren Zhengfei" in text


def test_terminal_control_characters_in_titles_are_removed() -> None:
    evil = art(1)
    evil.title = "Breaking\x1b[2J\x1b]0;pwned\x07 news\u202e"
    text = render_console(Digest(None, T0, [item(evil, ["x."])]))
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
    from bot.models import Story

    summary = await ExtractiveSummarizer(gazetteer).summarize(Story([article]), sentences=2)
    assert summary.summarizer == "extractive"
    assert summary.sentences[0].startswith("Huawei Technologies Co. said on Monday")
    assert all(s in text for s in summary.sentences)
    assert [(q.text, q.speaker) for q in summary.quotes] == [
        ("Europe is where our customers are", "Ren Zhengfei")
    ]
    assert summary.companies[0] == "Huawei"


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
    assert second.stories == 0 and "No new stories since the last digest" in second.text
    late = art(9)
    late.feed_id, late.fetched_at = feed.id, T0 + timedelta(hours=2)
    await store.add_article(late, "k9")
    third = await console_digest(store, settings, summarizer, now=T0 + timedelta(hours=3))
    assert third.stories == 1 and "Title 9" in third.text


def test_articles_of_one_stored_story_are_one_item_led_by_the_first_report() -> None:
    original = art(5, "Intel sells its network unit. The wire's own text.", "Harbor Wire")
    copy = art(1, "Republished. Intel sells its network unit. The wire's text.", "Markets Daily")
    other = art(2, "Floods in Valencia. Roads closed.", "El País")
    original.story_id = copy.story_id = 7
    other.story_id = 8
    stories, _ = select_stories([copy, other, original], max_stories=10)
    assert [s.id for s in stories] == [7, 8]  # ranked by the newest report in each story
    assert stories[0].lead is original and stories[0].sources == ["Harbor Wire", "Markets Daily"]
