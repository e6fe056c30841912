"""The console: a Reply as plain terminal text, with outside text stripped of what drives a
terminal.

The console is one more chat. In the chat console (the test bot, `newsbot company`) buttons
become the command to type (``summary:42`` → ``/summary 42``): a terminal has no buttons, and
the command does the same thing. What the `newsbot` command prints once, such as the digest, is
worded for the command line first (:func:`for_command_line`).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

from bot.reply import (
    Block,
    Bold,
    BulletList,
    Buttons,
    Divider,
    Heading,
    Hint,
    Image,
    Link,
    Paragraph,
    QuoteBlock,
    Reply,
    Span,
    Text,
    said_by,
)

WIDTH = 96

# Outside text (titles, quotes, sources, links) must not drive the terminal. Escape sequences go
# whole, 7-bit (ESC [) or 8-bit (U+009B), so no "[2J" litter is left: CSI (cursor moves, erase,
# colours), the string commands OSC/DCS/SOS/PM/APC (window title, hyperlinks, clipboard) up to
# their terminator or the line's end, and two-character ESC sequences.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]P^_X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
# Then every other C0/C1 control but the newline (a tab becomes a space), and the bidi marks,
# embeddings, overrides and isolates that show text in another order than it is stored.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SEPARATOR = re.compile(r"[\t\u2028\u2029]")
# Chat commands the `newsbot` command line has too ("/company NAME" → "newsbot company NAME").
_ITEM = re.compile(r"\d{1,3}\. ")
_CLI_COMMAND = re.compile(r"(?<![\w/])/(company|ask)\b")


def clean(text: str) -> str:
    """Outside text made safe for a terminal: escape sequences and control characters (but
    newlines) removed, tabs and Unicode line separators turned into spaces."""
    return _CONTROL.sub("", _SEPARATOR.sub(" ", _ESCAPE.sub("", text)))


def clean_line(text: str) -> str:
    """Outside text for one line (a title, a source, a name): :func:`clean`, and its white space
    (newlines too) collapsed, so it cannot start lines that look like ours."""
    return " ".join(clean(text).split())


def quote_for_display(text: str) -> str:
    """A quote's words without the comma that led into its attribution ("…growing," he said)."""
    return clean(text).rstrip(" ,;:")


def for_command_line(reply: Reply) -> Reply:
    """The reply as the `newsbot` command prints it: nobody presses a button or replies to a
    printout, so buttons become the gap between items and hints (how to reply) go; chat
    commands the command line has too are named as its commands. Only plain spans of ours are
    reworded: headings, bold spans and quotations hold headlines and speech, written by others."""
    blocks: list[Block] = []
    for block in reply.blocks:
        if isinstance(block, Hint):
            continue
        if isinstance(block, Buttons):
            block = Divider()
        elif isinstance(block, Paragraph):
            block = Paragraph(_cli_words(block.spans))
        elif isinstance(block, BulletList):
            block = BulletList(tuple(_cli_words(item) for item in block.items))
        blocks.append(block)
    return Reply(blocks, ok=reply.ok)


def _cli_words(run: tuple[Span, ...]) -> tuple[Span, ...]:
    return tuple(
        Text(_CLI_COMMAND.sub(r"newsbot \1", s.text)) if type(s) is Text else s for s in run
    )


def _inline(run: Iterable[Span], notes: list[str] | None = None) -> str:
    """The spans' text; a link whose text is not its URL is marked [n] and its URL appended to
    ``notes`` (shown under the paragraph), or shown in <…> after its text without ``notes``."""
    out = []
    for span in run:
        match span:
            case Link(text=text, url=url):
                shown, target = clean(text), clean(url)
                if shown in ("", target):
                    out.append(target)
                elif notes is None:
                    out.append(f"{shown} <{target}>")
                else:
                    notes.append(target)
                    out.append(f"{shown} [{len(notes)}]")
            case Text(text=text) | Bold(text=text):
                out.append(clean(text))
    return " ".join("".join(out).split())  # outside line breaks and runs of spaces: one space


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


def _item_title(run: tuple[Span, ...]) -> re.Match[str] | None:
    """The number of a numbered item's title ("1. Huawei opens a lab"): a bold first span."""
    return _ITEM.match(run[0].text) if run and isinstance(run[0], Bold) else None


def action_command(action: str) -> str:
    """The command a button action stands for, as a person would type it."""
    name, _, args = action.partition(":")
    return f"/{name} {args}".strip()


def render_reply(reply: Reply) -> str:
    """The reply as plain text ending in a newline. A numbered item (a story: its bold "1. "
    title, up to its buttons or a divider) has its lines after the first indented under its
    number, so only our numbers start a line: wrapped outside text cannot forge an item."""
    lines: list[str] = []
    body = ""  # the indent of the current numbered item's lines
    for block in reply.blocks:
        match block:
            case Heading(text=text):
                title = clean_line(text)
                if lines and lines[-1]:
                    lines.append("")
                lines += [title, "=" * min(len(title), WIDTH), ""]
                body = ""
            case Paragraph(spans=run):
                # Links as notes under their paragraph: a URL is long, and whole on its line.
                notes: list[str] = []
                text = _inline(run, notes)
                number = _item_title(run)
                if number is not None:
                    body = " " * len(number.group())
                    lines += _wrap(text, "", body)
                else:
                    lines += _wrap(text, body)
                lines += [f"{body or '   '}[{n}] {url}" for n, url in enumerate(notes, start=1)]
            case BulletList(items=items):
                for item in items:
                    lines += _wrap(_inline(item), body + "  • ", body + "    ")
            case QuoteBlock(text=text, speaker=speaker):
                said = f"“{quote_for_display(text)}” {clean_line(said_by(speaker))}"
                said = " ".join(said.split())
                lines += _wrap(said, body, body + " ") if body else _wrap(said, "    ", "     ")
            case Buttons(buttons=row):
                shown = "   ".join(
                    f"[{clean_line(b.label)}: {clean_line(action_command(b.action))}]" for b in row
                )
                lines += [*_wrap(shown, body or "  "), ""]  # a row of buttons ends an item
                body = ""
            case Divider():
                lines.append("")
                body = ""
            case Image(alt=alt):
                lines += _wrap(f"[picture: {clean_line(alt)}]")
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
