"""Rendering a Reply as Telegram messages: HTML (the Bot API's subset, markup.py) of at most
4,096 characters each, with an inline keyboard where the Reply has buttons.

Items (a digest's stories, each ending in its Buttons) are packed whole into as few messages as
hold them, and each message's keyboard has the buttons of the stories in it, labelled with the
story's number ("Summary 2"): a digest of five short stories is one message, not six, and stays
inside Telegram's flood limits. Only an item longer than a message is cut, between sentences,
every tag closed in the message that opened it. Nothing is dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.chat.telegram.markup import Fragment, block_fragments, clean, size
from bot.digest.build import FOLLOW_UP
from bot.reply import Block, Bold, Buttons, Divider, Heading, Hint, Paragraph, Reply, para

__all__ = ["MAX_CHARS", "Keyboard", "TelegramMessage", "render", "size"]

log = logging.getLogger("newsbot.telegram")

MAX_CHARS = 4096  # Telegram's limit per message; we hold the HTML source itself to it
MAX_CALLBACK_BYTES = 64
MAX_ROWS = 10  # keyboard rows under one message: the buttons of at most ten stories

Keyboard = list[list[tuple[str, str]]]  # rows of (label, callback_data)
# Hints about how to reply, in Telegram's terms: several stories share a message here.
_TELEGRAM_WORDS: dict[str, Block] = {
    FOLLOW_UP: para(
        "For a story's longer summary press its Summary button, or reply “summary 2” "
        "(its number) to the digest; “quotes 2” and “sources 2” work too."
    )
}


@dataclass(slots=True)
class TelegramMessage:
    """One message to send: HTML text, the same text without markup, and a keyboard."""

    html: str
    plain: str
    keyboard: Keyboard = field(default_factory=list)
    photo: bytes | None = None  # sent as a photo, the text its caption
    filename: str = "picture.png"


class _Packer:
    """Messages filled in order; the keyboard rows of the items in a message go under it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.messages: list[TelegramMessage] = []
        self.html: list[str] = []
        self.plain: list[str] = []
        self.keyboard: Keyboard = []
        self.titles: list[str] = []  # the first line of the item each keyboard row belongs to

    def used(self) -> int:
        return size("\n\n".join(self.html))

    def room(self) -> int:
        """What a block added to the message under way may take."""
        return self.limit - self.used() - (2 if self.html else 0)

    def add(self, block_html: str, block_plain: str) -> bool:
        if size(block_html) > self.room():
            return False
        self.html.append(block_html)
        self.plain.append(block_plain)
        return True

    def flush(self) -> None:
        plain = "\n\n".join(self.plain)
        keyboard = _told_apart(self.keyboard, self.titles)
        self.keyboard, self.titles = [], []
        if plain.strip():
            self.messages.append(TelegramMessage("\n\n".join(self.html), plain, keyboard))
        elif keyboard:
            self.attach(keyboard)
        self.html, self.plain = [], []

    def attach(self, keyboard: Keyboard) -> None:
        if self.messages:
            self.messages[-1].keyboard.extend(keyboard)
        else:
            self.messages.append(TelegramMessage("Choose:", "Choose:", list(keyboard)))


def _told_apart(rows: Keyboard, titles: list[str]) -> Keyboard:
    """Rows whose labels are the same as another row's (the "Longer summary" of each story of
    /company) labelled with their item's first line, so that each says which story it is."""
    labels = [tuple(label for label, _ in row) for row in rows]
    out: Keyboard = []
    for row, shown, title in zip(rows, labels, titles, strict=True):
        if labels.count(shown) > 1 and title:
            row = [(f"{label}: {title}"[:64], data) for label, data in row]
        out.append(row)
    return out


def _first_line(blocks: list[Block]) -> str:
    """An item's title, for its buttons: its first paragraph that starts in bold (a story's
    title, after any heading of the reply or section), else its first line."""
    lines = [
        (isinstance(b, Paragraph) and bool(b.spans) and isinstance(b.spans[0], Bold), text)
        for b in blocks
        if isinstance(b, Heading | Paragraph)
        for text in [b.text if isinstance(b, Heading) else "".join(x.text for x in b.spans)]
    ]
    bold = [text for starts_bold, text in lines if starts_bold]
    text = bold[0] if bold else (lines[0][1] if lines else "")
    return " ".join(clean(text).split())


def _keyboard(block: Buttons) -> Keyboard:
    """The block's row; a tagged row (a story of a digest) says whose it is: "Summary 2"."""
    row = []
    for button in block.buttons:
        data = clean(button.action)
        if not 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES:
            log.warning("button left off: its action is too long", extra={"action": data[:80]})
            continue
        label = clean(button.label)[:64] or data
        if block.tag:
            label = f"{label[: 63 - len(block.tag)]} {clean(block.tag)}"
        row.append((label, data))
    return [row] if row else []


def _worth_filling(packer: _Packer, block_html: str) -> bool:
    """A block that fits a message of its own is cut only when less than a fifth would move."""
    return packer.room() > size(block_html) * 0.8


_Rendered = tuple[str, str, list[Fragment]]  # opening tag, closing tag, fragments


def _items(blocks: list[Block]) -> list[tuple[list[Block], Buttons | None]]:
    """The reply's items: the blocks up to and with their buttons (a story of a digest) or up to
    a divider; the blocks after the last of them are one more item."""
    items: list[tuple[list[Block], Buttons | None]] = []
    current: list[Block] = []
    for block in blocks:
        if isinstance(block, Buttons | Divider):
            items.append((current, block if isinstance(block, Buttons) else None))
            current = []
        else:
            current.append(block)
    if current:
        items.append((current, None))
    return items


def _add_block(packer: _Packer, rendered: _Rendered) -> None:
    """One block into the message under way, or the next; cut between fragments only when it
    is too long for a message of its own (or nearly all of it fits here). Each part closes and
    reopens the block's tags."""
    opening, closing, fragments = rendered
    whole_html = opening + "".join(f.html for f in fragments) + closing
    whole_plain = "".join(f.plain for f in fragments)
    if packer.add(whole_html, whole_plain):
        return
    limit = packer.limit
    if packer.html and size(whole_html) <= limit and not _worth_filling(packer, whole_html):
        packer.flush()
        packer.add(whole_html, whole_plain)
        return
    tags = size(opening) + size(closing)
    part: list[Fragment] = []
    room = packer.room() - tags
    for fragment in fragments:
        if size(fragment.html) > room:
            if part:
                packer.add(opening + "".join(f.html for f in part) + closing,
                           "".join(f.plain for f in part))  # fmt: skip
            packer.flush()
            part, room = [], limit - tags
        part.append(fragment)
        room -= size(fragment.html)
    if part:
        packer.add(opening + "".join(f.html for f in part) + closing,
                   "".join(f.plain for f in part))  # fmt: skip


def render(reply: Reply, limit: int = MAX_CHARS) -> list[TelegramMessage]:
    """The reply as Telegram messages, in order; none longer than ``limit``.

    Items (a digest's stories) are packed into as few messages as hold them whole: an item that
    does not fit the message under way starts the next one, and only an item longer than a
    message is cut (between sentences, its tags closed and reopened). An item's buttons go
    under the message its text ends in, at most ``MAX_ROWS`` rows a message."""
    packer = _Packer(limit)
    worded = [_TELEGRAM_WORDS.get(b.key, b) if isinstance(b, Hint) else b for b in reply.blocks]
    for blocks, buttons in _items(worded):
        rendered = [r for r in (block_fragments(b, limit) for b in blocks) if r[2]]
        whole = "\n\n".join(o + "".join(f.html for f in frags) + c for o, c, frags in rendered)
        full_keyboard = buttons is not None and len(packer.keyboard) >= MAX_ROWS
        moves = size(whole) > packer.room() and size(whole) <= limit  # whole in the next one
        if packer.html and (full_keyboard or moves):
            packer.flush()
        for item in rendered:
            _add_block(packer, item)
        if buttons is not None:
            rows = _keyboard(buttons)
            packer.keyboard.extend(rows)
            packer.titles.extend(_first_line(blocks) for _ in rows)
    packer.flush()
    return packer.messages
