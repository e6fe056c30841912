"""Rendering a digest as plain text for the console."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime

from bot.models import Digest

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


def _when(stamp: datetime | None) -> str:
    """The console digest's time: UTC in full, as the server's logs write it, since the
    console (the operator's `newsbot digest`) belongs to no chat and has no chat time zone."""
    return stamp.strftime("%Y-%m-%d %H:%M UTC") if stamp else "time unknown"


def render_console(digest: Digest, *, left_out: int = 0) -> str:
    """The digest as readable plain text."""
    count = len(digest.items)
    if count == 0:
        return "No new stories since the last digest.\n"
    noun = "story" if count == 1 else "stories"
    lines = [f"Digest: {count} {noun}", ""]
    for number, item in enumerate(digest.items, start=1):
        lead = item.story.lead
        lines.append(f"{number}. {clean_line(lead.title)}")
        sources = ", ".join(clean_line(s) for s in item.story.sources)
        lines.append(f"   {sources} · {_when(lead.published or lead.fetched_at)}")
        if lead.url:
            lines.append(f"   {clean_line(lead.url)}")
        for sentence in item.summary.sentences:
            lines.extend(
                textwrap.wrap(
                    clean(sentence),
                    width=96,
                    initial_indent="   ",
                    subsequent_indent="   ",
                    break_on_hyphens=False,
                )
            )
        for quote in item.summary.quotes[:1]:
            said = f"“{quote_for_display(quote.text)}” — {clean(quote.speaker or 'unattributed')}"
            lines.extend(
                textwrap.wrap(
                    said,
                    width=96,
                    initial_indent="   ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
            )
        lines.append("")
    if left_out:
        more = "story" if left_out == 1 else "stories"
        lines.append(
            f"… and {left_out} more {more} in this window "
            "(raise [digest] max_stories in config/newsbot.toml to see them all)."
        )
    return "\n".join(lines).rstrip() + "\n"
