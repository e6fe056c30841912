"""Feed documents → entries: feedparser for RSS/Atom/RDF, a JSON Feed reader, stable entry keys."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.html
from lxml.etree import ParserError

from bot.ingest.http.urls import canonicalize_url
from bot.models import Entry, ParsedFeed

_JSON_TYPES = ("application/feed+json", "application/json")
_MAX_KEY = 400


class FeedError(Exception):
    """The document is not a feed we can read; the message says what it is instead."""


# The internal subset of a DOCTYPE: <!DOCTYPE rss [ ... ]>
_SUBSET = re.compile(rb"(<!DOCTYPE[^\[>]*)\[(.*?)\]\s*>", re.S | re.I)
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s+)?[^\s>]+\s+(SYSTEM|PUBLIC|\"[^\"]*\"|'[^']*')", re.I)
_MAX_ENTITIES = 32


def defuse(body: bytes) -> bytes:
    """The document without a DOCTYPE internal subset that could expand or fetch entities.

    A few feeds declare plain text entities (<!ENTITY id "tag:example.com,">), which stay; a
    subset with parameter entities, external entities, entities built from other entities
    (the "billion laughs") or very many declarations is dropped whole, and the references to
    it are left undefined, as text.
    """
    head = body[:65536]
    match = _SUBSET.search(head)
    if match is None:
        return body
    declarations = _ENTITY.findall(match.group(2))
    risky = len(declarations) > _MAX_ENTITIES or any(
        percent or kind.upper() in (b"SYSTEM", b"PUBLIC") or b"&" in kind or b"%" in kind
        for percent, kind in declarations
    )
    if not risky:
        return body
    return body[: match.start()] + match.group(1) + b">" + body[match.end() :]


def parse_document(
    body: bytes, url: str, content_type: str = "", headers: dict[str, str] | None = None
) -> feedparser.FeedParserDict:
    """Parse feed bytes into feedparser's result shape (JSON Feed included). Never raises."""
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, url)
    body = defuse(body)
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    if content_type:
        response_headers["content-type"] = content_type
    if response_headers:
        # Without a Content-Type feedparser flags the document bozo, so the URL only goes
        # along with real headers; entry links are resolved against it in make_entries.
        response_headers.setdefault("content-location", url)
    try:
        return feedparser.parse(body, response_headers=response_headers or None)
    except Exception as exc:  # feedparser is meant never to raise; be sure of it
        return feedparser.FeedParserDict(
            bozo=True, bozo_exception=exc, entries=[], feed=feedparser.FeedParserDict(), version=""
        )


def parse_feed(
    body: bytes, url: str, content_type: str = "", *, max_entries: int = 100
) -> ParsedFeed:
    """Parse a feed document into entries with stable keys.

    Raises FeedError when the document holds no feed at all (an HTML page, garbage).
    """
    doc = parse_document(body, url, content_type)
    feed = doc.get("feed", {})
    raw_entries = doc.get("entries", [])
    # feedparser names a version for nearly any bytes with "<rss" in them; a broken document
    # without a single entry or channel field is no feed.
    if not raw_entries and (not doc.get("version") or (doc.get("bozo") and not feed)):
        raise FeedError(_not_a_feed(doc, body, content_type))
    entries = make_entries(raw_entries[:max_entries], base=feed.get("link") or url)
    problem = doc.get("bozo_exception")
    ttl = str(feed.get("ttl", "")).strip()
    return ParsedFeed(
        title=field_text(feed, "title") or None,
        site_url=canonicalize_url(feed.get("link", ""), base=url),
        entries=entries,
        ttl_minutes=int(ttl) if ttl.isdigit() else None,
        language=feed.get("language") or None,
        warning=f"{type(problem).__name__}: {problem}" if doc.get("bozo") and problem else None,
    )


def make_entries(raw_entries: list[Any], base: str) -> list[Entry]:
    """Turn feedparser entries into Entry models with keys unique within the document."""
    identities = [_identity(e) for e in raw_entries]
    counts = Counter(i for i in identities if i)
    entries = []
    seen: set[str] = set()
    for raw, identity in zip(raw_entries, identities, strict=True):
        link = canonicalize_url(raw.get("link", ""), base=base)
        title = field_text(raw, "title")
        published = _when(raw)
        if identity and counts[identity] == 1 and len(identity) <= _MAX_KEY:
            key = identity
        else:
            # Some feeds ship the same GUID (or none) for every entry; the entry's own link,
            # title and date then tell the entries apart, stably across polls.
            stamp = published.isoformat() if published else ""
            key = "h:" + _digest(identity or "", link or "", title, stamp)
        if key in seen:  # a true duplicate inside one document
            continue
        seen.add(key)
        content = raw.get("content") or []
        entries.append(
            Entry(
                key=key,
                title=title or "(untitled)",
                link=link,
                published=published,
                author=html_to_text(raw.get("author", "")) or None,
                summary=field_text(raw, "summary"),
                content=html_to_text(content[0].get("value", "")) if content else "",
            )
        )
    return entries


def field_text(item: Any, name: str) -> str:
    """A feed field as plain text; markup is removed only where the feed declared HTML.

    A plain-text title such as "AT&T <Beta> deal" keeps its angle brackets.
    """
    value = item.get(name, "")
    detail = item.get(f"{name}_detail") or {}
    if detail.get("type") == "text/plain" and isinstance(value, str):
        return " ".join(value.split())
    return html_to_text(value)


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment, with paragraphs kept apart and white space folded."""
    if not value or not isinstance(value, str):
        return ""
    if "<" not in value and "&" not in value:
        return " ".join(value.split())
    try:
        root = lxml.html.fragment_fromstring(value, create_parent="div")
    except (ParserError, ValueError):
        return " ".join(value.split())
    for block in root.iter("p", "br", "div", "li", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n" + (block.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def _identity(raw: Any) -> str:
    return str(raw.get("id") or raw.get("guid") or raw.get("link") or "").strip()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:32]


def _when(raw: Any) -> datetime | None:
    for field in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = raw.get(field)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if content_type.split(";")[0].strip().lower() in _JSON_TYPES:
        return True
    return body.lstrip()[:1] == b"{"


def _parse_json_feed(body: bytes, url: str) -> feedparser.FeedParserDict:
    """A JSON Feed (1.0 / 1.1) in feedparser's result shape."""
    result = feedparser.FeedParserDict(
        bozo=False, entries=[], feed=feedparser.FeedParserDict(), version=""
    )
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        result.update(bozo=True, bozo_exception=exc)
        return result
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        result.update(bozo=True, bozo_exception=ValueError("JSON without a JSON Feed version"))
        return result
    result["version"] = "json1" + ("1" if str(data["version"]).endswith("1.1") else "0")
    result["feed"].update(
        title=_text(data.get("title")),
        link=_text(data.get("home_page_url")),
        language=_text(data.get("language")),
    )
    items = data.get("items")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        entry = feedparser.FeedParserDict(
            id=_text(item.get("id")),
            link=_text(item.get("url")),
            title=_text(item.get("title")),
            summary=_text(item.get("summary")),
            # JSON Feed titles and summaries are plain text by the spec.
            title_detail={"type": "text/plain"},
            summary_detail={"type": "text/plain"},
        )
        html = _text(item.get("content_html")) or _text(item.get("content_text"))
        if html:
            entry["content"] = [feedparser.FeedParserDict(value=html)]
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        if isinstance(authors, list) and authors and isinstance(authors[0], dict):
            entry["author"] = _text(authors[0].get("name"))
        for src, dst in (
            ("date_published", "published_parsed"),
            ("date_modified", "updated_parsed"),
        ):
            stamp = _iso(item.get(src))
            if stamp:
                entry[dst] = stamp.utctimetuple()
        result["entries"].append(entry)
    return result


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _not_a_feed(doc: Any, body: bytes, content_type: str) -> str:
    head = body.lstrip()[:200].lower()
    if not body.strip():
        return "not a feed: the response was empty"
    if b"<html" in head or b"<!doctype html" in head or "html" in content_type:
        return "not a feed: the URL serves an HTML page (look for its RSS/Atom link)"
    problem = doc.get("bozo_exception")
    detail = f" ({type(problem).__name__}: {problem})" if problem else ""
    return f"not a feed: no RSS, Atom or JSON Feed found{detail}"
