"""Rendering a Reply as plain terminal text, with outside text stripped of control characters.

Buttons become the command to type (``summary:42`` → ``/summary 42``): a terminal has no
buttons, and the command does the same thing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from bot.digest.render import clean, clean_line, quote_for_display
from bot.reply import (
    Bold,
    BulletList,
    Buttons,
    Divider,
    Heading,
    Image,
    Link,
    Paragraph,
    QuoteBlock,
    Reply,
    Span,
    Text,
)

WIDTH = 96


def _inline(run: Iterable[Span]) -> str:
    out = []
    for span in run:
        match span:
            case Link(text=text, url=url):
                shown, target = clean(text), clean(url)
                out.append(target if shown in ("", target) else f"{shown} <{target}>")
            case Text(text=text) | Bold(text=text):
                out.append(clean(text))
    return "".join(out)


def _wrap(text: str, first: str = "", rest: str | None = None) -> list[str]:
    lines = textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_on_hyphens=False,
        break_long_words=False,  # long URLs stay whole, so they stay clickable
    )
    return lines or [first.rstrip()]


def action_command(action: str) -> str:
    """The command a button action stands for, as a person would type it."""
    name, _, args = action.partition(":")
    return f"/{name} {args}".strip()


def render_reply(reply: Reply) -> str:
    """The reply as plain text ending in a newline."""
    lines: list[str] = []
    for block in reply.blocks:
        match block:
            case Heading(text=text):
                title = clean_line(text)
                lines += [title, "=" * min(len(title), WIDTH)]
            case Paragraph(spans=run):
                lines += _wrap(_inline(run))
            case BulletList(items=items):
                for item in items:
                    lines += _wrap(_inline(item), "  • ", "    ")
            case QuoteBlock(text=text, speaker=speaker):
                said = f"“{quote_for_display(text)}” — {clean(speaker or 'unattributed')}"
                lines += _wrap(said, "    ", "     ")
            case Buttons(buttons=row):
                shown = "   ".join(
                    f"[{clean_line(b.label)}: {clean_line(action_command(b.action))}]" for b in row
                )
                lines += _wrap(shown, "  ")
            case Divider():
                lines.append("")
            case Image(alt=alt):
                lines += _wrap(f"[picture: {clean_line(alt)}]")
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
