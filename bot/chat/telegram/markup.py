"""Telegram HTML for the blocks of a Reply: outside text escaped (``&``, ``<``, ``>``; quotes
too inside ``href``), only http(s) links as ``<a>``, and each block as fragments that fit a
budget, so that a block too long for one message is cut between sentences (else between words,
else between characters) and each part reopens the block's tags. Packing the fragments into
messages is render.py's."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.reply import Bold, BulletList, Heading, Link, Paragraph, QuoteBlock, Span, Text, said_by

MAX_URL_CHARS = 2048
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+")
_WORD_GAP = re.compile(r"(?<=\s)(?=\S)")
# C0 controls but tab and newline, DEL and C1: Telegram rejects or mangles them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Fragment:
    """A piece of a block: its HTML (tags closed) and its plain text."""

    html: str
    plain: str


def size(text: str) -> int:
    """Length in UTF-16 code units, the way Telegram counts."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean(text: str) -> str:
    """The text without the control characters Telegram rejects or mangles."""
    return _CONTROL.sub("", text)


def escape(text: str) -> str:
    """Text for Telegram HTML."""
    return html.escape(clean(text), quote=False)


def _safe_url(url: str) -> str | None:
    url = clean(url).strip()
    if len(url) > MAX_URL_CHARS or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _pieces(text: str, budget: int) -> list[str]:
    """Text cut into pieces whose escaped form fits ``budget``: at sentence ends, else between
    words, else between characters. Joined again, the pieces are the text."""
    out: list[str] = []
    for sentence in _split_keep(text, _SENTENCE_END):
        if size(escape(sentence)) <= budget:
            out.append(sentence)
            continue
        for word in _split_keep(sentence, _WORD_GAP):
            while size(escape(word)) > budget:
                cut = _longest_prefix(word, budget)
                out.append(word[:cut])
                word = word[cut:]
            if word:
                out.append(word)
    return out


def _split_keep(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Split after each match, keeping the matched white space with the piece before it."""
    parts, start = [], 0
    for match in pattern.finditer(text):
        if match.end() > start:
            parts.append(text[start : match.end()])
            start = match.end()
    parts.append(text[start:])
    return [p for p in parts if p]


def _longest_prefix(word: str, budget: int) -> int:
    lo, hi = 1, len(word)
    while lo < hi:  # the longest prefix whose escaped form fits
        mid = (lo + hi + 1) // 2
        if size(escape(word[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _styled(text: str, opening: str, closing: str, budget: int) -> list[Fragment]:
    inner = budget - size(opening) - size(closing)
    return [
        Fragment(f"{opening}{escape(piece)}{closing}", clean(piece))
        for piece in _pieces(text, inner)
        if piece
    ]


def _spans(run: tuple[Span, ...], budget: int) -> list[Fragment]:
    out: list[Fragment] = []
    for span in run:
        match span:
            case Link(text=text, url=url):
                target = _safe_url(url)
                shown = text if text.strip() else url
                if target is None:
                    out += _styled(shown, "", "", budget)
                    if shown != url and url.strip():
                        out += _styled(f" ({url})", "", "", budget)
                else:
                    opening = f'<a href="{html.escape(target, quote=True)}">'
                    out += _styled(shown, opening, "</a>", budget)
            case Bold(text=text):
                out += _styled(text, "<b>", "</b>", budget)
            case Text(text=text):
                out += _styled(text, "", "", budget)
    return out


def block_fragments(block: object, budget: int) -> tuple[str, str, list[Fragment]]:
    """(opening tag, closing tag, fragments) of a block; fragments fit inside the tags."""
    match block:
        case Heading(text=text):
            return "<b>", "</b>", _styled(text, "", "", budget - 7)
        case Paragraph(spans=run):
            return "", "", _spans(run, budget)
        case BulletList(items=items):
            out: list[Fragment] = []
            for i, item in enumerate(items):
                out.append(Fragment("\n• " if i else "• ", "\n• " if i else "• "))
                out += _spans(item, budget)
            return "", "", out
        case QuoteBlock(text=text, speaker=speaker):
            inner = budget - size("<blockquote></blockquote>")
            said = _styled("“", "", "", inner) + _styled(text, "", "", inner)
            said += _styled(f"” {said_by(speaker)}", "", "", inner)
            return "<blockquote>", "</blockquote>", said
    return "", "", []
