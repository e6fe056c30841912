"""The neutral rich-text reply every chat adapter renders: a list of blocks, no markup.

Adapters (console, Telegram, Slack) turn these blocks into their own formats; text here is
plain, unescaped and may come from outside (titles, quotes), so every renderer escapes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Text:
    """Plain inline text."""

    text: str


@dataclass(frozen=True, slots=True)
class Bold:
    """Emphasised inline text."""

    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """Inline text that links to an http(s) URL."""

    text: str
    url: str


Span = Text | Bold | Link


@dataclass(frozen=True, slots=True)
class Heading:
    """A title line."""

    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A run of inline spans."""

    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Hint(Paragraph):
    """Advice whose wording depends on how the platform works (how to reply to a story, say).
    Renderers show it as the paragraph it is, in the default wording; an adapter whose platform
    works otherwise words it its own way by ``key`` (bot/chat/slack/words.py)."""

    key: str = ""


@dataclass(frozen=True, slots=True)
class BulletList:
    """Bullet items, each a run of inline spans."""

    items: tuple[tuple[Span, ...], ...]


@dataclass(frozen=True, slots=True)
class QuoteBlock:
    """A verbatim quotation and who said it (None when the article does not say)."""

    text: str
    speaker: str | None = None


NO_SPEAKER = "(speaker not named)"


def said_by(speaker: str | None) -> str:
    """What follows a quote: "— Ren Zhengfei", or "(speaker not named)" when the article does
    not say who spoke (a dash before no name reads as a name left out)."""
    return f"— {speaker}" if speaker else NO_SPEAKER


@dataclass(frozen=True, slots=True)
class Button:
    """An action the user can take; ``action`` is a payload such as ``summary:42``."""

    label: str
    action: str


@dataclass(frozen=True, slots=True)
class Buttons:
    """A row of buttons. Adapters without buttons show them as the command to type. ``tag``
    names the item they belong to (a story's number in a digest), for an adapter that shows
    several items' buttons under one message (Telegram labels them "Summary 2")."""

    buttons: tuple[Button, ...]
    tag: str = ""


@dataclass(frozen=True, slots=True)
class Divider:
    """A separator between items."""


@dataclass(frozen=True, slots=True)
class Image:
    """A picture (PNG bytes) with the words that say what it shows. Adapters send it as a photo
    or a file with the reply's other blocks as its caption; text-only outputs show ``alt``."""

    png: bytes
    alt: str
    filename: str = "chart.png"


Block = Heading | Paragraph | BulletList | QuoteBlock | Buttons | Divider | Image
Inline = str | Span


def spans(*parts: Inline) -> tuple[Span, ...]:
    """Inline spans from strings (plain text) and spans; empty strings are dropped."""
    return tuple(Text(p) if isinstance(p, str) else p for p in parts if p != "")


def para(*parts: Inline) -> Paragraph:
    """A paragraph of strings and spans."""
    return Paragraph(spans(*parts))


def hint(key: str, *parts: Inline) -> Hint:
    """A hint in its default wording, named ``key`` for the adapters that word it otherwise."""
    return Hint(spans(*parts), key=key)


def bullets(items: Iterable[Iterable[Inline] | Inline]) -> BulletList:
    """A bullet list; each item is a string, a span or a sequence of them."""
    out = []
    for item in items:
        out.append(spans(item) if isinstance(item, str | Text | Bold | Link) else spans(*item))
    return BulletList(tuple(out))


@dataclass(slots=True)
class Reply:
    """What a command answers: blocks in order. ``ok`` is False for refusals and errors."""

    blocks: list[Block] = field(default_factory=list)
    ok: bool = True

    @classmethod
    def message(cls, *paragraphs: str, ok: bool = True) -> Reply:
        """A reply of plain paragraphs: the short messages (errors, hints)."""
        return cls([para(p) for p in paragraphs], ok=ok)

    def add(self, *blocks: Block) -> Reply:
        """Append blocks; returns self for chaining."""
        self.blocks.extend(blocks)
        return self

    def plain(self) -> str:
        """Every bit of text in the reply, one block a line: for logs and simple assertions."""
        lines: list[str] = []
        for block in self.blocks:
            match block:
                case Heading(text=text):
                    lines.append(text)
                case Paragraph(spans=run):
                    lines.append(inline_text(run))
                case BulletList(items=items):
                    lines.extend("- " + inline_text(item) for item in items)
                case QuoteBlock(text=text, speaker=speaker):
                    lines.append(f"“{text}” {said_by(speaker)}")
                case Buttons(buttons=row):
                    lines.append(" | ".join(b.label for b in row))
                case Divider():
                    lines.append("---")
                case Image(alt=alt):
                    lines.append(f"[picture: {alt}]")
        return "\n".join(lines)


def inline_text(run: Iterable[Span]) -> str:
    """The text of inline spans, links shown by their text only."""
    return "".join(span.text for span in run)
