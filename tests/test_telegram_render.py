"""Reply → Telegram HTML: always valid, at most 4,096 characters a message, nothing lost."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.telegram.render import MAX_CHARS, render, size
from bot.digest.build import FOLLOW_UP, story_buttons
from bot.reply import (
    Bold,
    BulletList,
    Button,
    Buttons,
    Divider,
    Heading,
    Hint,
    Link,
    Paragraph,
    QuoteBlock,
    Reply,
    hint,
    para,
)
from tests.fakes.telegram_api import parse_html

TRICKY = "<>&\"'’“” 😀👨‍👩‍👧 שלום مرحبا \u200b\u200c\u200d\u2066\u202e .!? \n"
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(TRICKY),
        st.characters(blacklist_categories=("Cs", "Cc")),
    ),
    max_size=300,
)
long_texts = st.one_of(texts, texts.map(lambda t: (t + " Sentence. ") * 40))
urls = st.one_of(
    st.just('https://example.com/a?b=1&c="2"<x>'),
    st.just("javascript:alert(1)"),
    texts.map(lambda t: "https://example.org/" + t),
)
spans = st.one_of(
    long_texts.map(lambda t: para(t).spans[0] if t else Bold("x")),
    texts.map(Bold),
    st.builds(Link, texts, urls),
)
blocks = st.one_of(
    texts.map(Heading),
    st.lists(spans, max_size=6).map(lambda s: Paragraph(tuple(s))),
    st.lists(st.lists(spans, max_size=3).map(tuple), max_size=5).map(
        lambda items: BulletList(tuple(items))
    ),
    st.builds(QuoteBlock, long_texts, st.one_of(st.none(), texts)),
    st.just(Buttons((Button("Summary", "summary:1"), Button("Quotes", "quotes:1")))),
    st.just(Divider()),
)

_WS = re.compile(r"\s+")


def atoms(reply: Reply) -> list[str]:
    """Every piece of text the reader must see, in order."""
    out: list[str] = []
    for block in reply.blocks:
        match block:
            case Heading(text=text):
                out.append(text)
            case Hint():
                pass  # worded by the adapter its own way
            case Paragraph(spans=run):
                out += [s.text for s in run]
            case BulletList(items=items):
                out += [s.text for item in items for s in item]
            case QuoteBlock(text=text, speaker=speaker):
                out += [text, speaker or ""]
    return out


def check(reply: Reply, limit: int = MAX_CHARS) -> list[str]:
    messages = render(reply, limit)
    plains = []
    for message in messages:
        assert size(message.html) <= limit
        plain, _ = parse_html(message.html)  # raises on anything Telegram would refuse
        assert plain == message.plain.replace("\r", "\r") or plain == message.plain
        assert plain.strip()
        plains.append(plain)
    seen = _WS.sub("", "".join(plains))
    at = 0
    for atom in atoms(reply):
        wanted = _WS.sub("", atom)
        found = seen.find(wanted, at)
        assert found >= 0, (wanted[:80], seen[at : at + 80])
        at = found + len(wanted)
    return plains


@settings(max_examples=150, deadline=None)
@given(st.lists(blocks, max_size=8))
def test_any_reply_renders_valid_and_whole(reply_blocks: list) -> None:
    check(Reply(reply_blocks))


@settings(max_examples=60, deadline=None)
@given(st.lists(blocks, min_size=1, max_size=8))
def test_small_limits_still_split_safely(reply_blocks: list) -> None:
    check(Reply(reply_blocks), limit=200)


def test_escaping_links_and_keyboards() -> None:
    reply = Reply().add(
        Heading("AT&T <b>news</b>"),
        para("Tom & Jerry ", Link("site", 'https://x.org/?a=1&b="2"'), Link("bad", "ftp://x")),
        Buttons((Button("Summary", "summary:7"), Button("Long", "x" * 80))),
    )
    [message] = render(reply)
    assert message.html.startswith("<b>AT&amp;T &lt;b&gt;news&lt;/b&gt;</b>")
    assert '<a href="https://x.org/?a=1&amp;b=&quot;2&quot;">site</a>' in message.html
    assert "bad (ftp://x)" in message.plain and "ftp" not in message.html.split("</a>")[1][:0]
    assert message.keyboard == [[("Summary", "summary:7")]]


def test_ten_thousand_characters_arrive_as_ordered_parts() -> None:
    sentences = [f"Sentence number {i} tells part of a long story." for i in range(220)]
    text = " ".join(sentences)
    assert len(text) > 10_000
    plains = check(Reply([Heading("Long"), para(text)]))
    assert len(plains) == 3 and all(len(p) <= MAX_CHARS for p in plains)
    assert _WS.sub("", "".join(plains)) == _WS.sub("", "Long" + text)
    assert all(p.rstrip().endswith(".") for p in plains)  # cut between sentences


def a_digest(sizes: list[int]) -> Reply:
    """A digest as bot/digest/build.py builds it: stories of about ``sizes`` characters each."""
    reply = Reply([Heading(f"Your digest: {len(sizes)} stories")])
    for n, chars in enumerate(sizes, 1):
        said = (f"Story {n} sentence {i} says what happened." for i in range(chars // 40))
        summary = " ".join(said)
        reply.add(
            para(Bold(f"{n}. Title of story {n}")),
            para(summary),
            QuoteBlock(f"We said something about story {n}", "A. Speaker"),
            para("6 Dec, 08:00 UTC · 1 source: ", Link("Daily Ledger", f"https://x.org/{n}")),
            story_buttons(100 + n, n),
        )
    return reply.add(hint(FOLLOW_UP, "Reply “summary” to a story for its longer summary."))


def story_of(message_plain: str) -> set[int]:
    return {int(m) for m in re.findall(r"^(\d+)\. Title", message_plain, re.M)}


def test_a_digest_of_five_short_stories_is_one_message_with_each_story_s_buttons() -> None:
    messages = render(a_digest([400] * 5))
    check(a_digest([400] * 5))
    assert len(messages) == 1
    [message] = messages
    assert story_of(message.plain) == {1, 2, 3, 4, 5}
    assert message.keyboard == [
        [(f"Summary {n}", f"summary:{100 + n}"), (f"Quotes {n}", f"quotes:{100 + n}"),
         (f"Sources {n}", f"sources:{100 + n}")]
        for n in range(1, 6)
    ]  # fmt: skip
    assert "press its Summary button, or reply “summary 2”" in message.plain


def test_stories_are_packed_whole_and_only_one_longer_than_a_message_is_cut() -> None:
    sizes = [1500, 1500, 1500, 300, 6000, 300]
    plains = check(a_digest(sizes))
    messages = render(a_digest(sizes))
    assert len(messages) < len(sizes)
    where: dict[int, list[int]] = {}
    for index, message in enumerate(messages):
        for n in story_of(message.plain):
            where.setdefault(n, []).append(index)
        for n in {int(label.split()[-1]) for row in message.keyboard for label, _ in row}:
            # a story's buttons are under the message its text ends in
            assert f"We said something about story {n}" in message.plain
    assert sorted(where) == list(range(1, 7)) and all(len(v) == 1 for v in where.values())
    for n, chars in enumerate(sizes, 1):
        holding = [p for p in plains if f"Story {n} sentence" in p]
        assert len(holding) == (1 if chars < MAX_CHARS else 2), n  # only story 5 is cut


def test_unnumbered_stories_sharing_a_message_have_buttons_that_say_which() -> None:
    reply = Reply([Heading("Huawei: the latest 3 stories")])
    for n in range(1, 4):
        reply.add(
            para(Bold(f"Huawei story {n}")),
            para("What happened, in a sentence."),
            Buttons((Button("Longer summary", f"summary:{n}"),)),
            Divider(),
        )
    reply.add(para("To get Huawei in your digest: /subscribe company Huawei"))
    [message] = render(reply)  # the hint folded into the answer, not a message of its own
    assert message.keyboard == [
        [(f"Longer summary: Huawei story {n}", f"summary:{n}")] for n in range(1, 4)
    ]
    assert message.plain.endswith("To get Huawei in your digest: /subscribe company Huawei")
