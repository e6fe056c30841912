"""The bundled sample news site: three fictional outlets, their article pages and their feeds.

Data lives in ``site/``: ``articles.json``, ``outlets.json`` and one page layout per outlet in
``templates/<outlet>.html`` (home pages share ``templates/index.html``). Templates know two
constructs: ``{{ name }}`` inserts a value, HTML-escaped (``{{ name_json }}`` inserts the value
of ``name`` as script-safe JSON), and ``{% for name %}...{% endfor %}`` repeats its body for each
dict of a list, whose keys shadow the page's. Nothing here touches the network or writes to disk.
"""

from __future__ import annotations

import html
import json
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

_SITE = Path(__file__).parent / "site"
_OUTLETS: dict[str, dict[str, str]] = json.loads((_SITE / "outlets.json").read_text("utf-8"))
OUTLETS: list[str] = list(_OUTLETS)

_ATOM = "http://www.w3.org/2005/Atom"
_DC = "http://purl.org/dc/elements/1.1/"
_XML = "http://www.w3.org/XML/1998/namespace"
ET.register_namespace("dc", _DC)
ET.register_namespace("atom", _ATOM)
_TRACKING = "?utm_source=rss&utm_medium=feed&utm_campaign=circuit-ledger"  # on RSS links only
_TOKEN = re.compile(r"\{%\s*for (\w+)\s*%\}(.*?)\{%\s*endfor\s*%\}|\{\{\s*(\w+)\s*\}\}", re.S)
_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_QUOTE = re.compile(r"“([^”]{40,220})”")


@dataclass(slots=True)
class SiteArticle:
    """One article of the sample site, as in ``articles.json``, plus its publication time."""

    slug: str
    outlet: str
    section: str
    title: str
    author: str
    hours_ago: float
    teaser: str
    paragraphs: list[str]
    comments: list[dict[str, str]]
    published: datetime  # tz-aware UTC: now - hours_ago, to the second


def load_articles(now: datetime) -> list[SiteArticle]:
    """Read the bundled articles, dating each ``hours_ago`` before ``now`` (naive means UTC)."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    raw = json.loads((_SITE / "articles.json").read_text(encoding="utf-8"))
    return [
        SiteArticle(**a, published=(now - timedelta(hours=a["hours_ago"])).replace(microsecond=0))
        for a in raw
    ]


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def article_path(article: SiteArticle) -> str:
    """The article page's path on the site; fixed, whatever the publication time."""
    return f"/{article.outlet}/2026/{_slugify(article.section)}/{article.slug}.html"


def feed_path(outlet: str) -> str:
    """The path of the outlet's feed (RSS, Atom or JSON Feed, depending on the outlet)."""
    return f"/{outlet}/{_OUTLETS[outlet]['feed_file']}"


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _item_id(article: SiteArticle) -> str:
    """A feed item id that depends on neither the base URL (a random port) nor the time."""
    crc = zlib.crc32(f"{article.outlet}/{article.slug}".encode())
    return _OUTLETS[article.outlet]["id_prefix"] + f"{crc:08x}"


def _newest_first(outlet: str, articles: list[SiteArticle]) -> list[SiteArticle]:
    mine = [a for a in articles if a.outlet == outlet]
    return sorted(mine, key=lambda a: (a.published, a.slug), reverse=True)


@cache
def _template(name: str) -> str:
    return (_SITE / "templates" / f"{name}.html").read_text(encoding="utf-8")


def _insert(name: str, ctx: dict[str, Any]) -> str:
    if name.endswith("_json"):
        text = json.dumps(ctx[name.removesuffix("_json")], ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return html.escape(str(ctx[name]))


def _fill(template: str, ctx: dict[str, Any]) -> str:
    """Fill a template in one pass, so that inserted text is never read as template syntax."""

    def token(match: re.Match[str]) -> str:
        loop, body, name = match.groups()
        if name:
            return _insert(name, ctx)
        return "".join(
            _VAR.sub(lambda m, item=item: _insert(m.group(1), {**ctx, **item}), body)
            for item in ctx[loop]
        )

    return _TOKEN.sub(token, template)


def _common(outlet: str, base_url: str) -> dict[str, Any]:
    info = _OUTLETS[outlet]
    return info | {
        "outlet": outlet,
        "home_url": _url(base_url, f"/{outlet}/"),
        "feed_url": _url(base_url, feed_path(outlet)),
        "feed_type": info["content_type"].split(";")[0],
    }


def _card(article: SiteArticle, base_url: str) -> dict[str, str]:
    when = article.published
    return {
        "title": article.title,
        "section": article.section,
        "teaser": article.teaser,
        "url": _url(base_url, article_path(article)),
        "author": article.author,
        "published_iso": when.isoformat(),
        "published_human": when.strftime(_OUTLETS[article.outlet]["date_format"]),
    }


def render_page(article: SiteArticle, base_url: str, articles: list[SiteArticle]) -> str:
    """The full HTML of the article's page, with related links to the same outlet's stories."""
    outlet, section = article.outlet, _slugify(article.section)
    ctx = _common(outlet, base_url) | _card(article, base_url)
    page_url = ctx["page_url"] = ctx.pop("url")
    others = [a for a in _newest_first(outlet, articles) if a.slug != article.slug]
    lead = 3 if len(article.paragraphs) > 7 else 2
    quoted = next(filter(None, map(_QUOTE.search, article.paragraphs)), None)
    count = len(article.comments)
    ctx |= {
        "article_id": zlib.crc32(article.slug.encode()) % 900_000 + 100_000,
        "section_slug": section,
        "section_url": _url(base_url, f"/{outlet}/{section}/"),
        "author_url": _url(base_url, f"/{outlet}/authors/{_slugify(article.author)}/"),
        "image_url": _url(base_url, f"/static/{outlet}/img/{article.slug}.jpg"),
        "share_url": quote(page_url, safe=""),
        "share_title": quote(article.title, safe=""),
        "paras_lead": [{"text": p} for p in article.paragraphs[:lead]],
        "paras_rest": [{"text": p} for p in article.paragraphs[lead:]],
        "pull_quote": quoted.group(1).rstrip(",") if quoted else article.teaser,
        "related": [_card(a, base_url) for a in others[:4]],
        "trending": [_card(a, base_url) for a in (others[4:] + others[:4])[:5]],
        "comments": [{**c, "initial": c["author"][:1].upper()} for c in article.comments],
        "comment_count": count,
        "comments_note": f"{count} comment{'s' * (count != 1)}" if count else "no comments yet",
    }
    return _fill(_template(outlet), ctx)


def render_index(outlet: str, base_url: str, articles: list[SiteArticle]) -> str:
    """The outlet's home page: its headlines, newest first."""
    items = [_card(a, base_url) for a in _newest_first(outlet, articles)]
    return _fill(_template("index"), _common(outlet, base_url) | {"items": items})


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    element.text = text
    return element


def _rss(ctx: dict[str, Any], items: list[SiteArticle], base_url: str) -> bytes:
    rss = ET.Element("rss", version="2.0")
    channel = _sub(rss, "channel")
    for tag, key in [("title", "site_name"), ("link", "home_url"), ("description", "tagline")]:
        _sub(channel, tag, ctx[key])
    _sub(channel, "language", ctx["lang"].lower())
    _sub(channel, f"{{{_ATOM}}}link", href=ctx["feed_url"], rel="self", type=ctx["feed_type"])
    if items:
        _sub(channel, "lastBuildDate", format_datetime(items[0].published, usegmt=True))
    _sub(channel, "ttl", "15")
    for article in items:
        item = _sub(channel, "item")
        _sub(item, "title", article.title)  # plain text, as most readers take RSS titles
        _sub(item, "link", _url(base_url, article_path(article)) + _TRACKING)
        _sub(item, "guid", _item_id(article), isPermaLink="false")
        _sub(item, "pubDate", format_datetime(article.published, usegmt=True))
        _sub(item, f"{{{_DC}}}creator", article.author)
        _sub(item, "category", article.section)
        _sub(
            item, "description", html.escape(article.teaser, quote=False)
        )  # RSS descriptions are HTML
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _atom(ctx: dict[str, Any], items: list[SiteArticle], base_url: str) -> bytes:
    # Unqualified tags under a literal xmlns: the Atom namespace as the default, no prefixes.
    feed = ET.Element("feed", {"xmlns": _ATOM, f"{{{_XML}}}lang": "en"})
    _sub(feed, "id", _OUTLETS[ctx["outlet"]]["id_prefix"] + "all")
    _sub(feed, "title", ctx["site_name"], type="text")
    _sub(feed, "subtitle", ctx["tagline"], type="text")
    _sub(feed, "link", rel="self", type=ctx["feed_type"], href=ctx["feed_url"])
    _sub(feed, "link", rel="alternate", type="text/html", href=ctx["home_url"])
    updated = items[0].published if items else datetime(2026, 1, 1, tzinfo=UTC)
    _sub(feed, "updated", updated.isoformat())
    for article in items:
        entry = _sub(feed, "entry")
        _sub(entry, "id", _item_id(article))
        _sub(entry, "title", article.title, type="text")
        link = _url(base_url, article_path(article))
        _sub(entry, "link", rel="alternate", type="text/html", href=link)
        _sub(entry, "published", article.published.isoformat())
        _sub(entry, "updated", article.published.isoformat())
        _sub(_sub(entry, "author"), "name", article.author)
        _sub(entry, "category", term=article.section)
        _sub(entry, "summary", article.teaser, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _json_feed(ctx: dict[str, Any], items: list[SiteArticle], base_url: str) -> bytes:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": ctx["site_name"],
        "home_page_url": ctx["home_url"],
        "feed_url": ctx["feed_url"],
        "description": ctx["tagline"],
        "language": ctx["lang"],
        "items": [
            {
                "id": _item_id(a),
                "url": _url(base_url, article_path(a)),
                "title": a.title,
                "summary": a.teaser,
                "content_text": a.teaser,  # JSON Feed requires content; this feed ships teasers
                "date_published": a.published.isoformat(),
                "authors": [{"name": a.author}],
                "tags": [a.section],
            }
            for a in items
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def render_feed(outlet: str, base_url: str, articles: list[SiteArticle]) -> tuple[bytes, str]:
    """The outlet's feed, newest first, as ``(body, content_type)``."""
    build = {"rss": _rss, "atom": _atom, "json": _json_feed}[_OUTLETS[outlet]["feed"]]
    body = build(_common(outlet, base_url), _newest_first(outlet, articles), base_url)
    return body, _OUTLETS[outlet]["content_type"]
