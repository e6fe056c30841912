"""Reply → Telegram HTML: always valid, at most 4,096 characters a message, nothing lost."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.telegram.render import MAX_CHARS, render, size
from bot.reply import (
    Bold,
    BulletList,
    Button,
    Buttons,
    Divider,
    Heading,
    Link,
    Paragraph,
    QuoteBlock,
    Reply,
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
