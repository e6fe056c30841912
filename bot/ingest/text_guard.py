"""Guard against an extraction that lost the article: keep trafilatura's text unless proven worse.

Our text comes from trafilatura's precision mode and our cleanup. On some pages that keeps only
a teaser, the first sentence or a menu. The guard compares our text with trafilatura's default
extraction of the same page: when ours holds less than half of it, the lines ours dropped must
be shown to be boilerplate, or the default text (cleaned) is used instead.

A dropped line counts as boilerplate, without any ground truth, when it is:
- page furniture by the cleanup's own line rules (share/subscribe prompts, "read more" links,
  copyright...) in several languages;
- a teaser of another article (ending in an ellipsis: "... [...]");
- repeated on the page (navigation, widgets and captions shown twice);
- short and not a sentence (a menu item, a link title, a heading of a link list).
Anything else is prose. The guard keeps our text when at least half of what it dropped
(in characters) is boilerplate.

The default extraction costs a second trafilatura run (with its readability and justext
comparison), so it runs only when ours is under half of ``visible_chars``, the page's text
less its chrome: about one page in eight on the evaluation sets.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml.html import HtmlElement

from bot.ingest.cleanup import is_boilerplate

SHARE = 0.5  # ours below this share of the reference text must justify the cut
PROSE = 0.5  # dropped text that is at least this share prose: the cut lost the article
SHORT_WORDS = 8  # a line shorter than this, not ending a sentence, is a label or a link

_WORD_RE = re.compile(r"\w+")
_TEASER = re.compile(r"(?:…|\.\.\.)\s*\]?\s*$")
_SENTENCE_END = (".", "!", "?", ":", '"', "”", "»", "。", "！", "？")
# Never article text for an extractor: code, page chrome, forms.
_HIDDEN = frozenset(
    {"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
     "menu", "select", "button", "option", "svg"}
)  # fmt: skip


def visible_chars(tree: HtmlElement) -> int:
    """Characters of text that could be article text: what a reader sees, less the page chrome
    (navigation, header, footer, asides, forms) and the links of link lists (whitespace runs
    in a text node count as one). Extractors drop these parts, so a text at least half as long
    is taken to hold half of any extraction.
    """
    body = tree.find("body")
    if body is None:
        return 0
    total = 0
    stack: list[tuple[HtmlElement, bool]] = [(body, False)]
    while stack:
        node, in_list = stack.pop()
        if node.text:
            total += len(" ".join(node.text.split()))
        for child in node:
            if child.tail:
                total += len(" ".join(child.tail.split()))
            tag = child.tag if isinstance(child.tag, str) else None
            if tag is None or tag in _HIDDEN or (tag == "a" and in_list):
                continue
            stack.append((child, in_list or tag == "li"))
    return total


def _key(line: str) -> str:
    return " ".join(_WORD_RE.findall(line.casefold()))


def _lines(text: str) -> list[str]:
    return [line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line]


def line_kind(line: str, repeats: int = 1) -> str:
    """Why a line is boilerplate ("pattern", "teaser", "repeat", "short"), or "prose"."""
    if is_boilerplate(line):
        return "pattern"
    if _TEASER.search(line):
        return "teaser"
    if repeats > 1:
        return "repeat"
    if len(_WORD_RE.findall(line)) < SHORT_WORDS and not line.endswith(_SENTENCE_END):
        return "short"
    return "prose"


def dropped_prose(ours: str, reference: str) -> tuple[int, int]:
    """(prose characters, all characters) of the reference lines missing from ours."""
    have = {_key(line) for line in _lines(ours)}
    lines = _lines(reference)
    counts = Counter(_key(line) for line in lines)
    prose = total = 0
    for line in lines:
        key = _key(line)
        if key in have or not key:
            continue
        total += len(line)
        if line_kind(line, counts[key]) == "prose":
            prose += len(line)
    return prose, total


def lost_article(ours: str, reference: str) -> bool:
    """Whether ours cut most of the reference text without proving the cut was boilerplate."""
    if len(ours) >= SHARE * len(reference):
        return False
    prose, total = dropped_prose(ours, reference)
    return total > 0 and prose >= PROSE * total
