"""Slack's mrkdwn both ways: outside text escaped so that it shows as written and mentions no
one (``&`` ``<`` ``>`` as entities, a word joiner after the ``@`` of ``@channel`` / ``@here`` /
``@everyone``), link URLs made safe for ``<url|text>``; and the text blocks show, read back for
tests, logs and the plain notification text."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

MAX_FALLBACK = 300  # characters of a message's notification text

Message = dict[str, Any]

WORD_JOINER = "\u2060"
LINK_BAR = "\u2223"  # stands for "|" inside a link's text, where Slack would end the text
_BROADCAST = re.compile(r"@(?=(channel|here|everyone))", re.I)
_LINK = re.compile(r"<(https?://[^|<>\s]*)\|([^<>]*)>|<(https?://[^|<>\s]*)>")


def escape(text: str) -> str:
    """Outside text for mrkdwn: & < > escaped, broadcast mentions defused."""
    return defuse(entities(text))


def entities(text: str) -> str:
    """& < > as mrkdwn entities (word joiners of ours dropped first)."""
    text = text.replace(WORD_JOINER, "")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_DEFUSE = re.compile(r"(<https?://[^|<>\s]*)|@(?=(?:channel|here|everyone))", re.I)


def defuse(mrkdwn: str) -> str:
    """A word joiner after the @ of @channel, @here, @everyone (not inside our link URLs)."""
    return _DEFUSE.sub(lambda m: m[1] if m[1] is not None else "@" + WORD_JOINER, mrkdwn)


def unescape(text: str) -> str:
    """The inverse of :func:`escape` (without the word joiners)."""
    text = text.replace(WORD_JOINER, "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_safe(text: str) -> str:
    """Outside text for a plain_text object: broadcast mentions defused (no escaping there)."""
    return _BROADCAST.sub("@" + WORD_JOINER, text.replace(WORD_JOINER, ""))


def safe_url(url: str) -> str | None:
    """An http(s) URL fit for ``<url|text>``, or None."""
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https") or any(c.isspace() for c in url):
        return None
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


# --- reading blocks back ------------------------------------------------------------------------


def mrkdwn_text(text: str) -> str:
    """The text a mrkdwn string shows, as rendered here: links by their text, markup out."""
    text = _LINK.sub(lambda m: m[2].replace(LINK_BAR, "|") if m[2] is not None else m[3], text)
    lines = []
    for line in text.split("\n"):
        if line.startswith(">"):
            line = line[1:]
        if line.startswith("• "):
            line = line[2:]
        lines.append(line)
    return unescape("\n".join(lines).replace("*", ""))


def block_text(block: dict[str, Any]) -> str:
    """The text one block shows (buttons by their labels)."""
    kind = block.get("type")
    if kind == "header":
        return block["text"]["text"].replace(WORD_JOINER, "")
    if kind == "section":
        return mrkdwn_text(block["text"]["text"])
    if kind == "context":
        return " ".join(mrkdwn_text(e["text"]) for e in block["elements"] if "text" in e)
    if kind == "actions":
        return " | ".join(
            e["text"]["text"].replace(WORD_JOINER, "") for e in block["elements"] if "text" in e
        )
    return ""


def blocks_text(messages: list[Message]) -> str:
    """Everything the messages show, one block a line: for logs and tests."""
    return "\n".join(block_text(b) for m in messages for b in m["blocks"])


def button_actions(messages: list[Message]) -> list[str]:
    """The action payloads of the messages' buttons, in order (``summary:42``, ...)."""
    return [
        e["value"]
        for m in messages
        for b in m["blocks"]
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("type") == "button"
    ]


def fallback(blocks: list[dict[str, Any]], *, part: int = 1, parts: int = 1) -> str:
    """The notification text of a message: its first lines of text, at most 300 characters."""
    lines: list[str] = []
    for block in blocks:
        text = block_text(block)
        if text.strip():
            lines.append(" ".join(text.split()))
        if sum(len(x) for x in lines) > MAX_FALLBACK:
            break
    plain = " · ".join(lines) or "newsbot"
    suffix = f" ({part}/{parts})" if parts > 1 else ""
    room = MAX_FALLBACK - len(suffix)
    text = escape(plain)
    if len(text) > room:
        kept = 0  # the longest start of the plain text whose escaped form fits with the "…"
        for n in range(1, len(plain) + 1):
            if len(escape(plain[:n])) > room - 2:
                break
            kept = n
        text = escape(plain[:kept].rstrip()) + "…"
    return text + suffix
