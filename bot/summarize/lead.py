"""Placeholder summary: an article's first sentences.

This is not summarization; the extractive and LLM summarizers replace it (issue #3).
"""

from __future__ import annotations

import re

# A sentence ends at . ! or ? (maybe followed by a closing quote or bracket) before white space
# and an upper-case letter, digit or opening quote.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]?\s+(?=[A-Z0-9“\"‘'(])")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Inc|Corp|Co|Ltd|Pvt|Bros|Plc|No|vs|etc|Gen|Sen|Rep|Gov|Jan|Feb|Mar|"
    r"Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b(?:[A-Za-z]\.){2,})\.$"
)


def lead_sentences(text: str, count: int) -> list[str]:
    """The first ``count`` sentences of the text's first paragraphs, whole, never cut."""
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        pending = ""
        for piece in _BOUNDARY.split(paragraph):
            pending = f"{pending} {piece}".strip() if pending else piece
            if _ABBREVIATIONS.search(pending.rstrip("\"'”’)]")):
                continue
            sentences.append(pending)
            pending = ""
            if len(sentences) >= count:
                return sentences
        if pending:
            sentences.append(pending)
        if len(sentences) >= count:
            return sentences[:count]
    return sentences
