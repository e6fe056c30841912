"""Reply → Slack Block Kit: within Slack's limits, escaped, split in order, nothing lost."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.slack.mrkdwn import WORD_JOINER, blocks_text, button_actions, escape
from bot.chat.slack.render import render_messages
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
    Text,
    para,
    said_by,
)
from tests.fakes.slack_api import validate_blocks

# News text at its worst: markup Slack parses, mentions, entities, long words, any Unicode.
NASTY = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "@channel",
        "@here",
        "@everyone",
        "<@U024BE7LH>",
        "<#C0NEWS>",
        "<https://evil.example|click>",
        "&amp;",
        "&lt;",
        "a & b",
        "1 < 2 > 0",
        "*bold*",
        "_it_",
        "`code`",
        "|",
        ">",
        "\n",
        "x" * 700,
        "&" * 500,
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=200), NASTY), max_size=4).map("".join)
URL = st.one_of(
    st.builds(lambda p: f"https://example.com/{p}", st.text(max_size=40)),
    st.sampled_from(["javascript:alert(1)", "http://x.org/a?b=1&c=<2>|d", "ftp://x", ""]),
)
SPAN = st.one_of(
    st.builds(Text, TEXT),
    st.builds(Bold, TEXT),
    st.builds(Link, TEXT, URL),
)
RUN = st.lists(SPAN, max_size=5).map(tuple)
BLOCK = st.one_of(
    st.builds(Heading, TEXT),
    st.builds(Paragraph, RUN),
    st.builds(BulletList, st.lists(RUN, max_size=4).map(tuple)),
    st.builds(QuoteBlock, TEXT, st.one_of(st.none(), TEXT)),
    st.builds(
        Buttons,
        st.lists(
            st.builds(Button, st.text(min_size=1, max_size=60), st.text(max_size=100)),
            min_size=1,
            max_size=30,
        ).map(tuple),
    ),
    st.just(Divider()),
)
REPLY = st.builds(Reply, st.lists(BLOCK, max_size=70))

_DECOR = re.compile(r"[\s*•“”—|" + WORD_JOINER + "\u2223>]")


def squash(text: str) -> str:
    """Text without white space and the characters rendering adds or may alter."""
    return _DECOR.sub("", text)


def expected_text(reply: Reply) -> str:
    """What the reply says: every heading, span, item, quote, speaker and button label."""
    parts: list[str] = []
    for block in reply.blocks:
        match block:
            case Heading(text=text):
                parts.append(text)
            case Paragraph(spans=run):
                parts.extend(s.text for s in run)
            case BulletList(items=items):
                parts.extend(s.text for item in items for s in item)
            case QuoteBlock(text=text, speaker=speaker):
                parts += [text, said_by(speaker)]
            case Buttons(buttons=row):
                parts.extend(" ".join(b.label.split()) or "…" for b in row)
    return squash("".join(parts))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REPLY)
def test_any_reply_renders_to_valid_blocks_with_nothing_lost(reply: Reply) -> None:
    messages = render_messages(reply)
    assert messages
    for message in messages:
        assert validate_blocks(message["blocks"]) == []
        assert len(message["blocks"]) <= 50
        assert message["text"].strip() and len(message["text"]) <= 310
        for block in message["blocks"]:
            assert block["type"] != "divider" or block is not message["blocks"][0]
    # Read back in order, the messages say exactly what the reply says (labels cut at 75).
    shown = squash(blocks_text(messages))
    wanted = expected_text(reply)
    if any(len(" ".join(b.label.split())) > 75 for b in _buttons(reply)):
        return
    assert shown == wanted
    assert button_actions(messages) == [b.action[:2000] for b in _buttons(reply)]


def _buttons(reply: Reply) -> list[Button]:
    return [b for block in reply.blocks if isinstance(block, Buttons) for b in block.buttons]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(), NASTY), max_size=6).map("".join))
def test_news_text_cannot_mention_or_link(text: str) -> None:
    rendered = "\n".join(
        b["text"]["text"] for m in render_messages(Reply([para(Text(text))])) for b in m["blocks"]
    )
    assert "<" not in rendered and ">" not in rendered.replace("\n>", "")
    assert not re.search(r"@(channel|here|everyone)", rendered, re.I)
    assert re.sub(r"&(amp|lt|gt);", "", rendered).count("&") == 0


def test_escaping_and_links() -> None:
    assert escape("a & <b> @here") == "a &amp; &lt;b&gt; @" + WORD_JOINER + "here"
    [message] = render_messages(
        Reply(
            [
                para(
                    Bold("Huawei <!channel>"),
                    " sources: ",
                    Link("Reuters | <x>", "https://r.example/a?x=1&y=2|3>"),
                    " ",
                    Link("evil", "javascript:alert(1)"),
                )
            ]
        )
    )
    text = message["blocks"][0]["text"]["text"]
    assert text.startswith("*Huawei &lt;!channel&gt;*")
    assert "<https://r.example/a?x=1&amp;y=2%7C3%3E|Reuters \u2223 &lt;x&gt;>" in text
    assert "javascript" not in text and text.endswith(" evil")


def _digest(stories: int) -> Reply:
    reply = Reply([Heading(f"Your digest: {stories} stories")])
    for n in range(1, stories + 1):
        reply.add(
            para(Bold(f"{n}. Story number {n} & co")),
            para("A summary sentence that says what happened. " * 8),
            QuoteBlock(f"Quote {n}", "Someone"),
            para("2026-11-25 08:00 UTC · 2 sources: ", Link("Wire", f"https://w.example/{n}")),
            Buttons((Button("Summary", f"summary:{n}"), Button("Sources", f"sources:{n}"))),
            Divider(),
        )
    return reply


def test_sixty_stories_split_in_order_between_stories() -> None:
    messages = render_messages(_digest(60))
    assert len(messages) >= 5
    for number, message in enumerate(messages, start=1):
        assert validate_blocks(message["blocks"]) == []
        assert message["text"].endswith(f"({number}/{len(messages)})")
        assert message["blocks"][-1]["type"] in ("actions", "divider")  # whole stories
    actions = button_actions(messages)
    assert actions[::2] == [f"summary:{n}" for n in range(1, 61)]
    assert messages[0]["blocks"][0]["type"] == "header"


def test_one_huge_paragraph_continues_in_the_next_section() -> None:
    words = [f"w{n}" for n in range(3000)]
    messages = render_messages(Reply([para(" ".join(words))]))
    sections = [b["text"]["text"] for m in messages for b in m["blocks"]]
    assert len(sections) > 1 and all(len(s) <= 3000 for s in sections)
    assert " ".join(sections).split() == words
