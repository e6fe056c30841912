"""Article extraction: main text and metadata from one HTML page.

The page is parsed once. Text comes from trafilatura in precision mode without its slow
readability/justext comparison; only when that yields too little does a recall-mode pass
run on the same tree. Generic boilerplate lines are then dropped (see ``cleanup``). When the
result holds less than half of trafilatura's default extraction and what it dropped is not
shown to be boilerplate, the default extraction (cleaned) is kept instead (see ``text_guard``).
Metadata is read directly from JSON-LD, ``<meta>`` and ``<link>`` tags.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.core import bare_extraction
from trafilatura.utils import load_html

from bot.ingest.cleanup import clean_text, repaired
from bot.ingest.http.logsafe import crash_fields, log_host
from bot.ingest.text_guard import SHARE, lost_article, visible_chars
from bot.models import Extracted

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 10_000_000  # larger pages are truncated before parsing
SHORT_TEXT = 500  # chars: below this the precision pass probably missed the article
RESCUE_MAX_BYTES = 3_000_000  # no second pass over huge pages: it would double their cost

ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "techarticle",
    "scholarlyarticle", "report", "liveblogposting", "socialmediaposting",
}  # fmt: skip
TITLE_TAGS = ("og:title", "twitter:title")
AUTHOR_TAGS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
DATE_TAGS = (  # the first two are the most trusted, ahead of JSON-LD
    "article:published_time", "article:published", "og:published_time", "datepublished",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "dc.date", "pubdate",
    "publish-date", "date",
)  # fmt: skip
AUTHOR_XPATH = "//*[@itemprop='author']//*[@itemprop='name'] | //a[@rel='author']"
LANGUAGE_TAGS = ("content-language", "dc.language", "language", "og:locale")
SITE_TAGS = ("og:site_name", "application-name")
_LANG_RE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$", re.I)
_BY_RE = re.compile(r"^by\s+", re.I)


def extract(html: str | bytes, url: str | None = None) -> Extracted:
    """Extract the main text and metadata of an article page.

    ``url`` is the address the page was fetched from; it resolves a relative canonical
    link. Never raises: unparsable or empty input gives ``Extracted(text="")``.
    """
    try:
        tree = _parse(html)
        if tree is None:
            return Extracted(text="")
        meta = _Meta(tree, url)
        title, author = meta.title(), meta.author()
        headings = [h for h in (title, meta.h1, _first_text(tree, "//title")) if h]
        small = len(html) <= RESCUE_MAX_BYTES
        visible = visible_chars(tree)
        # the main pass reads the repaired page; the guard reads the page as published
        main = _main_text(repaired(tree), url, rescue=small)
        text = clean_text(main, headings=headings, author=author)
        # The default extraction costs a full trafilatura run: skipped when ours holds half of
        # the page's candidate text already (on the eval sets, no skipped page lost text).
        if small and len(text) < SHARE * visible:
            text = _guarded(text, tree, url, headings, author)
        return Extracted(
            text=text,
            title=title,
            author=author,
            published=meta.published(),
            language=meta.language(),
            canonical_url=meta.canonical(),
            site_name=meta.site_name(),
        )
    except Exception as exc:  # a bad page must never stop ingestion
        log.warning("extraction failed", extra={"host": log_host(url or ""), **crash_fields(exc)})
        return Extracted(text="")


def _parse(html: str | bytes) -> HtmlElement | None:
    if not html or not isinstance(html, str | bytes):
        return None
    tree = load_html(html[:MAX_PAGE_BYTES])
    return tree if isinstance(tree, HtmlElement) else None


def _main_text(tree: HtmlElement, url: str | None, rescue: bool) -> str:
    text = _trafilatura(tree, url, favor_precision=True)
    if rescue and len(text) < SHORT_TEXT:
        second = _trafilatura(tree, url, favor_recall=True)
        if len(second) > len(text):
            text = second
    return text


def _guarded(
    text: str, tree: HtmlElement, url: str | None, headings: list[str], author: str | None
) -> str:
    """Our text, or trafilatura's default text (cleaned) when ours lost the article."""
    reference = _trafilatura(tree, url, fast=False)
    if not lost_article(text, reference):
        return text
    log.info(
        "extraction kept trafilatura's default text",
        extra={"host": log_host(url or ""), "ours": len(text), "default": len(reference)},
    )
    return clean_text(reference, headings=headings, author=author)


def _trafilatura(tree: HtmlElement, url: str | None, fast: bool = True, **focus: bool) -> str:
    # bare_extraction works on a copy of the tree, so every pass sees the same page
    doc = bare_extraction(tree, url=url, fast=fast, include_comments=False, **focus)
    return (getattr(doc, "text", None) or "") if doc is not None else ""


def _first_text(tree: HtmlElement, xpath: str) -> str | None:
    for node in tree.xpath(xpath):
        text = " ".join(node.text_content().split())
        if text:
            return text
    return None


class _Meta:
    """Metadata lookups over one parsed page: JSON-LD article first, then meta tags."""

    def __init__(self, tree: HtmlElement, url: str | None) -> None:
        self.tree = tree
        self.url = url
        self.tags: dict[str, str] = {}
        for node in tree.xpath("//meta[@content]"):
            key = node.get("property") or node.get("name") or node.get("itemprop")
            key = key or node.get("http-equiv")
            value = " ".join((node.get("content") or "").split())
            if key and value:
                self.tags.setdefault(key.strip().lower(), value)
        objects = list(_ld_objects(tree))
        articles = [obj for obj in objects if _is_article(obj)]
        self.ld = articles[0] if articles else {}
        self.ld_dates = [obj.get("datePublished") for obj in [*articles, *objects]]
        self.h1 = _first_text(tree, "//h1")

    def _tag(self, names: tuple[str, ...]) -> str | None:
        return next((self.tags[n] for n in names if n in self.tags), None)

    def title(self) -> str | None:
        """The article headline."""
        headline = _ld_names(self.ld.get("headline"))
        return (
            self._tag(TITLE_TAGS)
            or next(iter(headline), None)
            or self.h1
            or (_first_text(self.tree, "//title"))
        )

    def author(self) -> str | None:
        """Author name(s), comma-separated."""
        names = _ld_names(self.ld.get("author"))
        if not names and (tag := self._tag(AUTHOR_TAGS)) and "://" not in tag:
            names = [tag]
        if not names and (byline := _first_text(self.tree, AUTHOR_XPATH)):
            names = [byline] if len(byline.split()) <= 6 else []  # longer: dates, roles mixed in
        names = [_BY_RE.sub("", name).strip() for name in names]
        return ", ".join(dict.fromkeys(name for name in names if name)) or None

    def published(self) -> datetime | None:
        """Publication time, tz-aware; a time without zone is taken as UTC.

        Falls back to htmldate's quick search (URL, visible dates), which gives a day only.
        """
        values = [
            self._tag(DATE_TAGS[:2]),
            *self.ld_dates,
            self._tag(DATE_TAGS[2:]),
            *self.tree.xpath("(//time/@datetime)[1]"),
        ]
        for value in values:
            if isinstance(value, str) and (parsed := _parse_date(value)):
                return parsed
        day = find_date(self.tree, extensive_search=False, original_date=True, url=self.url)
        return _parse_date(day) if day else None

    def language(self) -> str | None:
        """ISO 639 language code, from metadata or ``<html lang>``."""
        values = [
            self.ld.get("inLanguage"),
            self._tag(LANGUAGE_TAGS),
            *self.tree.xpath("/html/@lang"),
        ]
        for value in values:
            if isinstance(value, str) and (match := _LANG_RE.match(value.strip())):
                return match.group(1).lower()
        return None

    def canonical(self) -> str | None:
        """Absolute canonical URL declared by the page, or None."""
        links = self.tree.xpath("//link[@rel][@href]")
        hrefs = [n.get("href") for n in links if "canonical" in n.get("rel", "").lower().split()]
        for href in [*hrefs, self.tags.get("og:url")]:
            if href and (absolute := urljoin(self.url or "", href.strip())).startswith("http"):
                return absolute
        return None

    def site_name(self) -> str | None:
        """Name of the publication."""
        publisher = _ld_names(self.ld.get("publisher"))
        return (
            self.tags.get("og:site_name") or next(iter(publisher), None) or (self._tag(SITE_TAGS))
        )


def _ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.xpath("//script[contains(@type, 'ld+json')]"):
        try:
            yield from _flatten(json.loads(script.text or "", strict=False))
        except ValueError:
            continue


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        yield data
        yield from _flatten(data.get("@graph"))


def _is_article(obj: dict[str, Any]) -> bool:
    kinds = obj.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(kind, str) and kind.lower() in ARTICLE_TYPES for kind in kinds)


def _ld_names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [name] if (name := " ".join(value.split())) else []
    if isinstance(value, dict):
        return _ld_names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _ld_names(item)]
    return []


def _parse_date(value: str) -> datetime | None:
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if not 1990 <= parsed.year <= 2100:  # "0001-01-01" and similar placeholders
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
