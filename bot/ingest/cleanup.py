"""Generic cleanup around extraction: repair the page tree before, drop boilerplate after.

Tree repairs undo two layouts that make an extractor lose body text: an article body split
into several sibling containers, and embedded posts wrapped in "social" widgets.
Text rules target boilerplate found on news sites in general (repeated headline, bylines,
share/newsletter prompts, cross-links, "related" link lists, copyright lines); none is
specific to one site. Only short lines are candidates: real paragraphs are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from copy import deepcopy

from lxml import etree
from lxml.html import HtmlElement

_WORD_RE = re.compile(r"\w+")
_TOP = 4  # lines: how far down the headline may repeat
_SHORT = 40  # words: longer lines are taken as article prose, never as boilerplate

# Cross-link teasers placed inside or after the body: "Read more: <other headline>".
_CROSSLINK = re.compile(
    r"^(?:related(?: articles?| stories| coverage| content| reading)?|read (?:more|also|next)"
    r"|see (?:more|also)|also (?:read|see|on \S+)|more(?: on this)?|recommended|don'?t miss"
    r"|watch(?: now)?|must read|top stories|trending|editor'?s picks?|filed under|tagged)"
    r"\b\s*[:|>»\-–—]|^also on \w[\w.-]*\.[a-z]{2,}\b",
    re.I,
)
# Prompts to share, comment, subscribe, follow or download, and similar page furniture.
_PROMPT = re.compile(
    r"^(?:share(?: this(?: article| story| post| page)?)?[:!.]?$|share (?:on|via)\b"
    r"|like this (?:story|article)|tell us what you think"
    r"|(?:leave|post|add|view|show) (?:a |your )?comments?|\d* ?comments?$"
    r"|click here\b|(?:sign up|subscribe|register)\b.{0,80}\b(?:newsletter|inbox|updates)"
    r"|get the latest\b.{0,80}\binbox|thanks? (?:you )?for (?:signing up|subscribing)"
    r"|follow\b.{0,60}\b(?:twitter|facebook|instagram|youtube)\b|if you (?:enjoyed|liked) this"
    r"|have a (?:news )?tip\b|advertisement$|story continues below"
    r"|continue reading|print (?:this )?article$|text size$|order reprints$)",
    re.I,
)
# The same furniture on German, French, Spanish, Italian and Dutch pages.
_PROMPT_OTHER = re.compile(
    r"^(?:(?:teilen|partager|compartir|condividi|delen)(?: \w+){0,2}[:!.]?$"
    r"|(?:teilen sie (?:dies|das|den artikel)|teilen (?:mit|auf|per)|partager (?:sur|par)"
    r"|compartir en|condividi su|deel (?:dit|via))\b|gefällt mir\b"
    r"|(?:lesen sie (?:auch|mehr)|mehr zum thema|weiterlesen|das könnte sie auch interessieren)\b"
    r"|(?:jetzt )?(?:newsletter )?abonnieren\b|zum (?:newsletter|abo)\b"
    r"|pour lire la suite\b|lire (?:aussi|la suite|plus)\b|(?:à|a) lire (?:aussi|également)\b"
    r"|(?:voir|consultez) aussi\b|abonnez-vous\b"
    r"|(?:lee|leer|lea) (?:también|más)\b|suscríbete\b"
    r"|leggi (?:anche|tutto|di più)\b|iscriviti\b|lees (?:ook|meer|verder)\b)",
    re.I,
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright\b)|\b(?:all rights reserved|alle rechte vorbehalten"
    r"|tous droits réservés|todos los derechos reservados|tutti i diritti riservati)\b",
    re.I,
)
# Contact line after the body: "Write to Jane Doe at jane@example.com", "Follow him on Twitter".
_CONTACT = re.compile(
    r"^(?:write to|e-?mail|contact)\b.{0,80}@\S+\.\w+|\bfollow (?:him|her|them|me|us)\b.{0,40}"
    r"(?:twitter|facebook|instagram|@\w)",
    re.I,
)
# "Listen: https://..." (a bare URL may be a cited source and is kept)
_URL_LINE = re.compile(r"^[\w ]{1,30}:\s*(?:https?://|www\.)\S+$", re.I)
# A CMS shortcode left in the text: "[button link=...]Label[/button]" -> "Label"
_SHORTCODE = re.compile(r"\[(\w+)(?:\s[^\]]*)?\](.*?)\[/\1\]")
# "By Jane Doe", "By Jane Doe and John Roe, Reuters"
_BYLINE = re.compile(r"^by\s+(?:[A-Z][\w.'’-]*\s*(?:,|and|&)?\s*){1,8}$")
_STAMP = re.compile(
    r"^(?:(?:last )?(?:updated|published|posted|modified)\b[^.]{0,30}\d[^.]{0,30}$"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b.{0,60}\b(?:by|por|von|par)\b)",
    re.I,
)
_LINE_RULES = (_CROSSLINK, _PROMPT, _PROMPT_OTHER, _COPYRIGHT, _CONTACT, _URL_LINE, _BYLINE, _STAMP)
# A heading announcing a list of links to other articles.
_SECTION = re.compile(
    r"^(?:related(?: articles?| stories| posts| coverage| content| links)?|read (?:more|also|next)"
    r"|see also|more (?:from|on|stories|news)\b.*|recommended(?: for you| stories)?"
    r"|you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|most (?:popular|read)"
    r"|trending(?: now| stories)?|don'?t miss|tags|topics|share this(?: article| story)?)[:.…]*$",
    re.I,
)


# Containers that hold the article body, as named by common CMS themes.
_BODY_XPATH = etree.XPath(
    "//*[self::div or self::section or self::article][@itemprop='articleBody' or re:test(@class,"
    " 'article(-|__)?body|articlebody|entry-content|post-content|story-?body|article-?text', 'i')]",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)
_EMBED_XPATH = etree.XPath("//blockquote[contains(@class, 'twitter-tweet')]")
_WIDGET = re.compile(r"social|tweet|embed|widget", re.I)


def prepare_tree(tree: HtmlElement) -> None:
    """Repair, in place, page layouts that hide body text from the extractor."""
    _merge_split_bodies(tree)
    _unwrap_embedded_posts(tree)


def repaired(tree: HtmlElement) -> HtmlElement:
    """The page with its layouts repaired: a repaired copy, or the page itself when it needs no
    repair (the page as published stays untouched either way)."""
    classes = [(n.tag, n.get("class"), n.get("itemprop")) for n in _BODY_XPATH(tree)]
    if len(classes) == len(set(classes)) and not _EMBED_XPATH(tree):
        return tree
    copy = deepcopy(tree)
    prepare_tree(copy)
    return copy


def _merge_split_bodies(tree: HtmlElement) -> None:
    # Some themes cut the body into sibling chunks of the same class around ads; extractors
    # keep only the first. Chunks are merged when they are cousins at most (common ancestor
    # within two levels), so a separate article appended below the first is left alone.
    groups: dict[tuple[str, str | None, str | None], list[HtmlElement]] = {}
    for node in _BODY_XPATH(tree):
        groups.setdefault((node.tag, node.get("class"), node.get("itemprop")), []).append(node)
    for first, *others in (nodes for nodes in groups.values() if len(nodes) > 1):
        above = list(first.iterancestors())
        for node in others:
            parent = node.getparent()
            ancestors = list(node.iterancestors())
            if first in ancestors or node in above or parent is None:
                continue
            common = next((a for a in ancestors if a in above), None)
            if common is not None and ancestors.index(common) <= 2:
                first.extend(list(node))
                parent.remove(node)


def _unwrap_embedded_posts(tree: HtmlElement) -> None:
    # An embedded tweet quoted by the article sits in a "social"/"embed" wrapper that
    # extractors discard as a share widget: lift the quote out of its wrapper.
    for quote in _EMBED_XPATH(tree):
        target = quote
        for ancestor in list(quote.iterancestors())[:3]:
            if ancestor.tag in {"div", "figure", "aside", "section"} and _WIDGET.search(
                ancestor.get("class") or ""
            ):
                target = ancestor
        parent = target.getparent()
        if target is not quote and parent is not None:
            parent.replace(target, quote)
        quote.attrib.pop("class", None)


def _key(text: str) -> str:
    return " ".join(_WORD_RE.findall(text.casefold()))


def _words(line: str) -> int:
    return len(_WORD_RE.findall(line))


def _is_heading_like(line: str) -> bool:
    """A short line not ending like a sentence: a headline in a list of links."""
    body = line.removeprefix("- ").rstrip()
    return _words(body) <= _SHORT and not body.endswith((".", "!", "?", ":", "”", '"', "…"))


def is_boilerplate(line: str) -> bool:
    """Whether a single line of text is generic page furniture rather than article prose."""
    if _words(line) > _SHORT:
        return False
    if not _WORD_RE.search(line):
        return False
    return any(pattern.search(line) for pattern in _LINE_RULES)


def _drop_link_sections(lines: list[str]) -> list[str]:
    # A "Related"-style heading and the headline-like lines under it (the links).
    out: list[str] = []
    skipping = False
    for line in lines:
        if _SECTION.match(line):
            skipping = True
        elif not (skipping and _is_heading_like(line)):
            skipping = False
            out.append(line)
    return out


def clean_text(text: str, headings: Iterable[str] = (), author: str | None = None) -> str:
    """Drop boilerplate lines from extracted text and join paragraphs with blank lines.

    ``headings`` are the page's title variants: a line among the first few repeating one
    (or naming ``author``) is dropped with the heading-like lines above it. List items and
    table rows stay on consecutive lines.
    """
    text = _SHORTCODE.sub(r"\2", text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    lead = {_key(h) for h in headings}
    if author:
        lead |= {_key(author), _key(f"by {author}")}
    lead.discard("")
    # the headline (or byline), and any kicker or breadcrumb above it, is not body text
    top = [i for i, line in enumerate(lines[:_TOP]) if _key(line) in lead]
    if top and all(_is_heading_like(line) for line in lines[: top[-1]]):
        lines = lines[top[-1] + 1 :]
    lines = [line for line in lines if not is_boilerplate(line)]
    return _layout(_drop_link_sections(lines))


def _layout(lines: list[str]) -> str:
    out: list[str] = []
    for i, line in enumerate(lines):
        if i:
            out.append("\n" if _is_row(line) and _is_row(lines[i - 1]) else "\n\n")
        out.append(line)
    return "".join(out)


def _is_row(line: str) -> bool:
    return line.startswith(("- ", "| "))
