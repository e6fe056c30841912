"""Hostile text from feeds cannot drive the terminal: the console digest and console replies.

A title, source, quote or speaker may carry escape sequences (clear the screen, set the window
title, recolour), a carriage return (overwrite the line), an 8-bit CSI, bidi overrides (show
text reversed) or newlines (forge lines that look like ours). What the console prints has no
control character but the newline, no bidi control, and each story's title on its own line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import console_digest
from bot.chat.console import render_reply
from bot.config import Settings
from bot.config_sections import DigestSettings
from bot.models import Article, Quote, Story, Summary, TextSource
from bot.reply import Button, Buttons, Heading, Link, QuoteBlock, Reply, bullets, para
from bot.store import Store
from bot.summarize.embedded import ExtractiveSummarizer
from tests.chatbot import ChatBot, console_digest_text, testbot_fixture  # noqa: F401

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
# Every control character a terminal acts on, but the newline; bidi controls; line separators.
UNSAFE = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
HOSTILE = {
    "clear screen": "\x1b[2J",
    "window title": "\x1b]0;pwned\x07",
    "hyperlink": "\x1b]8;;https://evil.example\x1b\\",
    "carriage return": "\r",
    "8-bit CSI": "\x9b31m",
    "8-bit OSC": "\x9d0;pwned\x9c",
    "bidi override": "\u202e",
    "bidi isolate": "\u2066",
    "bell and backspace": "\x07\x08\x08",
}


def assert_terminal_safe(out: str) -> None:
    found = UNSAFE.search(out)
    assert found is None, f"{found[0]!r} reaches the terminal in {out!r}"


def evil_article(n: int, attack: str) -> Article:
    return Article(
        url=f"https://n.example/{n}{attack}",
        title=f"Breaking{attack} news",
        text="Something happened on Monday. More follows.",
        source=f"Wire{attack}",
        text_source=TextSource.PAGE,
        content_hash=f"h{n}",
        published=T0 - timedelta(hours=1),
        fetched_at=T0,
    )


@pytest.mark.parametrize("attack", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_console_digest_prints_hostile_titles_sources_and_quotes_inertly(attack: str) -> None:
    quote = Quote(f"We{attack} said it", f"Eve{attack}")
    summary = Summary([f"It{attack} happened."], [quote], [quote], [], "extractive")
    text = console_digest_text([(Story([evil_article(1, attack)]), summary)], now=T0)
    assert_terminal_safe(text)
    assert "pwned" not in text and "evil.example" not in text  # sequences go whole
    assert "1. Breaking news\n" in text and "1 source: Wire [1]" in text and "— Eve" in text


@pytest.mark.parametrize("attack", HOSTILE.values(), ids=HOSTILE.keys())
def test_console_replies_print_hostile_text_inertly(attack: str) -> None:
    reply = Reply(
        [
            Heading(f"Huawei{attack}"),
            para(f"A{attack} sentence ", Link(f"Wire{attack}", f"https://w.example/{attack}")),
            bullets([f"item{attack}"]),
            QuoteBlock(f"We{attack} said", f"Eve{attack}"),
            Buttons((Button(f"Summary{attack}", f"summary:1{attack}"),)),
        ]
    )
    out = render_reply(reply)
    assert_terminal_safe(out)
    assert "pwned" not in out and out.startswith("Huawei\n")


def test_an_unterminated_sequence_takes_the_rest_of_its_field_only() -> None:
    quote = Quote("We said it", "Eve")
    summary = Summary(["It happened."], [quote], [quote], [], "extractive")
    story = Story([evil_article(1, "\x1b]0;pwned")])
    text = console_digest_text([(story, summary)], now=T0)
    assert_terminal_safe(text)
    assert "pwned" not in text and "1. Breaking\n" in text and "“We said it” — Eve" in text


def test_a_title_cannot_forge_lines_of_the_digest() -> None:
    forged = evil_article(1, "")
    forged.title = "Real news\n2. Fake story\r\n   https://phish.example"
    forged.text = "x" * 94 + " 2. Fake summary, wrapped to the start of a line."
    summary = Summary([forged.text], [], [], [], "extractive")
    text = console_digest_text([(Story([forged]), summary)], now=T0)
    lines = text.splitlines()
    assert "1. Real news 2. Fake story https://phish.example" in lines
    assert not any(line.startswith(("2.", "https://phish")) for line in lines), lines
    heading = render_reply(Reply([Heading("Real\n1. Fake")]))
    assert heading.splitlines()[0] == "Real 1. Fake"


HOSTILE_TITLE = "Huawei\x1b[2J opens\x1b]0;pwned\x07 a lab\r in\x9b31m Munich \u202eevil"
PARAGRAPHS = [
    "Huawei Technologies said on Monday it would open a research lab in Munich, with 300 "
    "engineers working on chips and on the software that runs on them.",
    "The lab opens in 2027, the company said in a statement to reporters on Monday.",
]


async def test_a_hostile_title_from_a_real_feed_reaches_the_console_inert(
    testbot: ChatBot, store: Store, settings: Settings
) -> None:
    """Through the real ingest (feed, page, store), then `newsbot digest` and console replies."""
    await testbot.publish("evil", HOSTILE_TITLE, PARAGRAPHS)
    [stored] = [a for a in await store.articles_since(None) if "Munich" in a.title]
    assert "\x1b" in stored.title  # the hostile title is stored as it came
    everything = settings.model_copy(update={"digest": DigestSettings(max_stories=100)})
    digest = await console_digest(store, everything, ExtractiveSummarizer())
    assert_terminal_safe(digest.text)
    assert "Huawei opens a lab in" in digest.text
    company = await testbot.exec("/company huawei")
    assert_terminal_safe(company)
    assert stored.story_id is not None
    for command in (f"/summary #{stored.story_id}", f"/sources #{stored.story_id}"):
        out = await testbot.exec(command)
        assert_terminal_safe(out)
        assert "Huawei opens a lab in" in out
