"""A neutral Reply as Slack messages: Block Kit within Slack's limits, with a plain fallback.

Slack's documented limits (https://api.slack.com/reference/block-kit/blocks): at most 50 blocks
a message, a section's text at most 3,000 characters, a header 150, a button label 75. A longer
reply becomes several messages, in order, split between stories (at a Divider) where it can be.

News text is outside text. In mrkdwn it is escaped (``&`` ``<`` ``>`` as ``&amp;`` ``&lt;``
``&gt;``), so ``<!channel>``, ``<@U123>`` and ``<https://evil|click>`` in a headline show as
written and do nothing; a bare ``@channel`` / ``@here`` / ``@everyone`` gets a word joiner
(U+2060) after the ``@``. Links are only ours (``Link`` spans) and only http(s), written as
``<url|text>`` with the URL's ``| < >`` percent-encoded. Nothing is dropped: a text too long for
one section continues in the next, and :func:`blocks_text` reads the text back for tests and logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.chat.slack.mrkdwn import (
    LINK_BAR,
    MAX_FALLBACK,
    Message,
    defuse,
    entities,
    escape,
    fallback,
    plain_safe,
    safe_url,
)
from bot.reply import (
    Bold,
    BulletList,
    Buttons,
    Divider,
    Heading,
    Link,
    Paragraph,
    QuoteBlock,
    Reply,
    Span,
    said_by,
)

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS = 25  # elements in one actions block
MAX_MESSAGE_CHARS = 30_000  # text across a message's blocks; Slack refuses very large messages
MAX_LINK_CHARS = 1500  # a longer link is shown as its text only
ACTION_PREFIX = "newsbot:"  # action_id = "newsbot:<n>"; the button's value is the action payload

_ATOMS = re.compile(r"\S+\s*|\s+")
_HARD_CUT = 400  # a single word longer than this is cut (its escaped form stays ≤ 5x)

# --- inline text as atoms -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Atom:
    """A piece of mrkdwn never split: a word (with its trailing space), a link, a newline."""

    text: str  # already escaped mrkdwn
    bold: bool = False


def _words(raw: str, bold: bool) -> list[_Atom]:
    atoms = []
    for word in _ATOMS.findall(raw):
        for start in range(0, len(word), _HARD_CUT):
            atoms.append(_Atom(entities(word[start : start + _HARD_CUT]), bold))
    return atoms


def _span_atoms(span: Span) -> list[_Atom]:
    if isinstance(span, Link):
        url = safe_url(span.url)
        # "|" in a link's text would end the URL for some parsers: a look-alike (U+2223) instead.
        label = entities(span.text.strip()).replace("|", LINK_BAR)
        if not label:
            return _words(span.text, False)  # nothing to click on: the white space only
        if url is not None and len(url) + len(label) + 3 <= MAX_LINK_CHARS:
            token = f"<{url}|{label}>"
            trailing = span.text[len(span.text.rstrip()) :]
            leading = span.text[: len(span.text) - len(span.text.lstrip())]
            return [*_words(leading, False), _Atom(token), *_words(trailing, False)]
        return _words(span.text, False)
    return _words(span.text, isinstance(span, Bold))


def _render(atoms: list[_Atom]) -> str:
    """Atoms as mrkdwn; runs of bold atoms wrapped in *...* with white space kept outside."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            joined = "".join(run)
            core = joined.strip()
            lead = joined[: len(joined) - len(joined.lstrip())]
            tail = joined[len(joined.rstrip()) :]
            out.append(f"{lead}*{core}*{tail}" if core else joined)
            run.clear()

    for atom in atoms:
        if atom.bold and atom.text != "\n":
            run.append(atom.text)
        else:
            flush()
            out.append(atom.text)
    flush()
    return "".join(out)


def _cost(atom: _Atom) -> int:
    """An upper bound of the atom's rendered length: bold markers, and word joiners (one more
    for an @ that meets "channel" across atoms)."""
    return len(defuse(atom.text)) + 1 + (2 if atom.bold else 0)


def _chunks(atoms: list[_Atom], limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Atoms packed into mrkdwn texts of at most ``limit`` characters, in order.

    A chunk ends at the last line break when it has one, else between words.
    """
    chunks: list[list[_Atom]] = [[]]
    size = 0
    for atom in atoms:
        cost = _cost(atom)
        if size + cost > limit and chunks[-1]:
            current = chunks[-1]
            breaks = [i for i, a in enumerate(current) if a.text == "\n"]
            if breaks and breaks[-1] > 0:
                cut = breaks[-1]
                chunks[-1], rest = current[:cut], current[cut + 1 :]
                chunks.append(rest)
                size = sum(_cost(a) for a in rest)
            else:
                chunks.append([])
                size = 0
            if size + cost > limit:
                chunks.append([])
                size = 0
        chunks[-1].append(atom)
        size += cost
    texts = [defuse(_render(c).strip("\n")) for c in chunks]
    return [t for t in texts if t.strip()]


def _line_atoms(lines: list[list[_Atom]]) -> list[_Atom]:
    out: list[_Atom] = []
    for i, line in enumerate(lines):
        if i:
            out.append(_Atom("\n"))
        out.extend(line)
    return out


# --- blocks ---------------------------------------------------------------------------------------


def _is_context(block: Paragraph) -> bool:
    """A sources-and-time line: has links, no bold."""
    return any(isinstance(s, Link) for s in block.spans) and not any(
        isinstance(s, Bold) for s in block.spans
    )


def _text_lines(block: Paragraph | BulletList | QuoteBlock) -> list[list[_Atom]]:
    if isinstance(block, Paragraph):
        return [[a for s in block.spans for a in _span_atoms(s)]]
    if isinstance(block, BulletList):
        return [[_Atom("• "), *(a for s in item for a in _span_atoms(s))] for item in block.items]
    said = f"“{block.text.strip()}” {said_by(block.speaker)}"
    return [[_Atom(">"), *_words(said, False)]]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _buttons(row: Buttons, counter: list[int]) -> list[dict[str, Any]]:
    elements = []
    for button in row.buttons:
        label = plain_safe(" ".join(button.label.split())) or "…"
        if len(label) > MAX_BUTTON_TEXT:
            label = label[: MAX_BUTTON_TEXT - 1] + "…"
        counter[0] += 1
        elements.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": label, "emoji": False},
                "action_id": f"{ACTION_PREFIX}{counter[0]}",
                "value": button.action[:MAX_BUTTON_VALUE],
            }
        )
    return [
        {"type": "actions", "elements": elements[i : i + MAX_ACTIONS]}
        for i in range(0, len(elements), MAX_ACTIONS)
    ]


def reply_blocks(reply: Reply) -> list[list[dict[str, Any]]]:
    """The reply's Block Kit blocks, grouped in units that should stay in one message
    (a story: the blocks between two Dividers)."""
    units: list[list[dict[str, Any]]] = [[]]
    pending: list[list[_Atom]] = []
    counter = [0]

    def flush() -> None:
        if pending:
            units[-1].extend(_section(t) for t in _chunks(_line_atoms(pending)))
            pending.clear()

    for block in reply.blocks:
        match block:
            case Heading(text=text):
                flush()
                title = " ".join(text.split())
                if not title:
                    continue
                if len(plain_safe(title)) <= MAX_HEADER_TEXT:
                    header = {"type": "plain_text", "text": plain_safe(title), "emoji": False}
                    units[-1].append({"type": "header", "text": header})
                else:
                    units[-1].extend(_section(t) for t in _chunks(_words(title, True)))
            case Paragraph() if _is_context(block):
                flush()
                for text in _chunks(_text_lines(block)[0]):
                    units[-1].append(
                        {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
                    )
            case Paragraph() | BulletList() | QuoteBlock():
                pending.extend(_text_lines(block))
            case Buttons():
                flush()
                units[-1].extend(_buttons(block, counter))
            case Divider():
                flush()
                units[-1].append({"type": "divider"})
                units.append([])
    flush()
    return [u for u in units if u]


def _block_chars(block: dict[str, Any]) -> int:
    text = block.get("text")
    if isinstance(text, dict):
        return len(text.get("text", ""))
    return sum(len(e.get("text", "")) for e in block.get("elements", []) if "text" in e)


def render_messages(reply: Reply) -> list[Message]:
    """The reply as Slack messages in order: {"text": fallback, "blocks": [...]} each, every
    message within 50 blocks and 30,000 characters, stories kept whole where they fit."""
    messages: list[list[dict[str, Any]]] = [[]]
    size = 0
    for unit in reply_blocks(reply):
        unit_size = sum(_block_chars(b) for b in unit)
        fits = len(messages[-1]) + len(unit) <= MAX_BLOCKS and size + unit_size <= MAX_MESSAGE_CHARS
        if not fits and messages[-1]:
            messages.append([])
            size = 0
        for block in unit:
            chars = _block_chars(block)
            full = len(messages[-1]) >= MAX_BLOCKS or size + chars > MAX_MESSAGE_CHARS
            if full and messages[-1]:
                messages.append([])
                size = 0
            messages[-1].append(block)
            size += chars
    # A message does not start with the divider that ended the previous story.
    for i, blocks in enumerate(messages):
        while blocks and blocks[0]["type"] == "divider":
            blocks.pop(0)
        while blocks and blocks[-1]["type"] == "divider" and i < len(messages) - 1:
            blocks.pop()
    messages = [m for m in messages if m]
    if not messages:
        text = " ".join(reply.plain().split())[:MAX_FALLBACK]
        return [{"text": escape(text) or "(nothing to show)", "blocks": []}]
    total = len(messages)
    return [
        {"text": fallback(blocks, part=i + 1, parts=total), "blocks": blocks}
        for i, blocks in enumerate(messages)
    ]
