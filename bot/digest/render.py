"""Rendering a digest as plain text for the console."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime

from bot.models import Digest

# Escape sequences and other control characters in outside text must not drive the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Outside text made safe for a terminal: control characters removed."""
    return _CONTROL.sub("", text)


def quote_for_display(text: str) -> str:
    """A quote's words without the comma that led into its attribution ("…growing," he said)."""
    return clean(text).rstrip(" ,;:")


def _when(stamp: datetime | None) -> str:
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
        lines.append(f"{number}. {clean(lead.title)}")
        sources = ", ".join(clean(s) for s in item.story.sources)
        lines.append(f"   {sources} · {_when(lead.published or lead.fetched_at)}")
        if lead.url:
            lines.append(f"   {clean(lead.url)}")
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
