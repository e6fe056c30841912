"""The console digest: what is new since the last one, ranked, nothing dropped silently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import console_digest
from bot.config import Settings
from bot.digest.build import build_digest
from bot.digest.render import render_console
from bot.models import Article, TextSource
from bot.store import Store
from bot.summarize.lead import lead_sentences

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def art(n: int, text: str | None = None, source: str = "Wire") -> Article:
    body = text or f"Story {n} happened. Details follow here. More details."
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


def first_two(story):  # type: ignore[no-untyped-def]
    return lead_sentences(story.lead.text, 2)


def test_newest_first_and_the_rest_counted() -> None:
    digest, left_out = build_digest(
        [art(3), art(1), art(2)],
        window_start=None,
        window_end=T0,
        max_stories=2,
        summarize=first_two,
    )
    assert [i.story.lead.title for i in digest.items] == ["Title 1", "Title 2"]
    assert left_out == 1
    text = render_console(digest, left_out=left_out)
    assert "Digest: 2 stories" in text and "1 more story" in text
    assert "Story 1 happened. Details follow here." not in text  # sentences on their own lines
    assert "   Story 1 happened.\n   Details follow here.\n" in text


def test_identical_texts_from_two_sources_are_one_story() -> None:
    same = "The same wire text. Word for word."
    digest, _ = build_digest(
        [art(1, same, "AFP"), art(2, same, "Le Monde")],
        window_start=None,
        window_end=T0,
        max_stories=10,
        summarize=first_two,
    )
    assert len(digest.items) == 1
    assert "AFP, Le Monde" in render_console(digest)


def test_terminal_control_characters_in_titles_are_removed() -> None:
    evil = art(1)
    evil.title = "Breaking\x1b[2J\x1b]0;pwned\x07 news\u202e"
    digest, _ = build_digest(
        [evil], window_start=None, window_end=T0, max_stories=5, summarize=first_two
    )
    text = render_console(digest)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "Breaking[2J]0;pwned news" in text


def test_lead_sentences_keep_abbreviations_and_never_cut() -> None:
    text = (
        "Dr. Ada Li of Apple Inc. said U.S. sales rose 3.5% to $2.1 billion. It was No. 1.\nNext."
    )
    assert lead_sentences(text, 2) == [
        "Dr. Ada Li of Apple Inc. said U.S. sales rose 3.5% to $2.1 billion.",
        "It was No. 1.",
    ]
    assert lead_sentences("A headline without a stop", 3) == ["A headline without a stop"]


async def test_console_digest_shows_what_is_new_since_the_last_one(
    store: Store, settings: Settings
) -> None:
    feed, _ = await store.add_feed("https://n.example/feed")
    for n in range(3):
        story = art(n)
        story.feed_id = feed.id
        story.fetched_at = T0 - timedelta(minutes=10)
        await store.add_article(story, f"k{n}")
    first = await console_digest(store, settings, now=T0)
    assert first.stories == 3 and "Title 0" in first.text
    second = await console_digest(store, settings, now=T0 + timedelta(hours=1))
    assert second.stories == 0 and "No new stories since the last digest" in second.text
    late = art(9)
    late.feed_id, late.fetched_at = feed.id, T0 + timedelta(hours=2)
    await store.add_article(late, "k9")
    third = await console_digest(store, settings, now=T0 + timedelta(hours=3))
    assert third.stories == 1 and "Title 9" in third.text
