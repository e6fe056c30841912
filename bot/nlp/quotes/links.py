"""How the quotations of one article hang together: which quote continues which.

A quotation with no cue of its own takes the speaker of the quotation it continues (the
previous paragraph's part of a multi-paragraph quotation, the other part of a split
quotation, the quotation just before it in the paragraph, or the attributed quotation that
ends the paragraph before); and one sentence quoted in two parts around its attribution is a
split quotation that quotes.py joins into one Quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlp.marks import QuoteSpan
from bot.nlp.quotes.cues import Attribution

_SENTENCE_INSIDE = re.compile(r"[.?!][\"'”’]?\s+\S")  # a sentence end with more after it


@dataclass(slots=True)
class Found:
    """One quotation of the article, with its cue and resolved speaker."""

    span: QuoteSpan
    attribution: Attribution | None
    speaker: str | None
    standalone: bool  # the quotation starts its sentence
    introduced: bool  # a colon right before it introduces it: The message was: “…”


def split_quote(text: str, first: Found, second: Found) -> bool:
    """“If we stop …,” Whitfield said, “we lose both.” -- one sentence quoted in two parts
    around its attribution: the first ends with a comma, the text between is that
    attribution alone, ending with a comma, and the second part has no cue of its own."""
    att = first.attribution
    if att is None or not att.adjacent or second.span.continued:
        return False
    between = text[first.span.after : second.span.open_at]
    if "\n" in between or not between.rstrip().endswith(","):
        return False
    if not text[first.span.start : first.span.end].endswith(","):
        return False
    between_cue = range(first.span.after, second.span.open_at)
    return att.cue_start in between_cue and (
        second.attribution is None or second.attribution.cue_start in between_cue
    )


def inherit(text: str, found: list[Found]) -> None:
    """A quotation with no cue takes the speaker of the quotation it continues."""
    # The paragraphs of one quotation share the attribution that any of them carries.
    chain: list[Found] = []
    for item in [*found, None]:
        if item is not None and item.span.continued and chain:
            chain.append(item)
            continue
        source = next((c for c in chain if c.attribution is not None), None)
        for member in chain:
            if member.attribution is None and source is not None:
                member.attribution, member.speaker = source.attribution, source.speaker
        chain = [item] if item is not None else []
    for k, item in enumerate(found):
        if item.attribution is not None or not item.standalone:
            continue
        prev = found[k - 1] if k > 0 else None
        nxt = found[k + 1] if k + 1 < len(found) else None
        if prev is not None and prev.attribution and _same_paragraph(text, prev, item):
            source = prev
        elif nxt is not None and nxt.attribution and _same_paragraph(text, item, nxt):
            source = nxt
        elif prev is not None and (
            (prev.attribution and _adjacent_paragraphs(text, prev, item))
            or (prev.speaker and _next_paragraph(text, prev, item))
        ):
            source = prev
        else:
            continue
        item.attribution, item.speaker = source.attribution, source.speaker


def _next_paragraph(text: str, a: Found, b: Found) -> bool:
    """b opens the paragraph right after the one that ends with a's attribution:
    “…,” Smith said Friday.¶“…” -- news goes on quoting the speaker it just named."""
    between = text[a.span.after : b.span.open_at]
    rest, _, gap = between.partition("\n")
    if gap.strip() or "\n" not in between:
        return False  # not the very next paragraph
    return not _SENTENCE_INSIDE.search(rest.strip())


def _same_paragraph(text: str, a: Found, b: Found) -> bool:
    return "\n" not in text[a.span.after : b.span.open_at]


def _adjacent_paragraphs(text: str, a: Found, b: Found) -> bool:
    """b opens the paragraph right after the one that a ends."""
    between = text[a.span.after : b.span.open_at]
    return between.count("\n") >= 1 and not between.replace("\n", "").strip(" .,\t")
