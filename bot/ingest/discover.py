"""Feed discovery: the feeds an HTML page names in its ``<link rel="alternate">`` tags.

Pure: bytes in, URLs out. Fetching the page and the feed is the caller's job.
"""

from __future__ import annotations

import lxml.html
from lxml.etree import ParserError

from bot.ingest.http.urls import feed_url

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
_HEAD_BYTES = 1_000_000  # the links are in <head>; a page's first megabyte holds it


def feed_links(page: bytes | str, base_url: str) -> list[str]:
    """The canonical URLs of the RSS, Atom and JSON feeds a page links to, in page order,
    without repeats. Relative links are resolved against the page's ``<base href>`` or
    ``base_url``; links that are not http(s) are left out. Never raises."""
    head = (page.encode("utf-8") if isinstance(page, str) else page)[:_HEAD_BYTES]
    if not head.strip():
        return []
    try:
        root = lxml.html.fromstring(head)
    except (ParserError, ValueError):
        return []
    base = base_url
    for tag in root.iter("base"):
        href = tag.get("href")
        if href:
            base = feed_url(href, base=base_url) or base_url
            break
    found: dict[str, None] = {}
    for tag in root.iter("link"):
        rel = (tag.get("rel") or "").casefold().split()
        kind = (tag.get("type") or "").split(";")[0].strip().casefold()
        if "alternate" not in rel or kind not in FEED_TYPES:
            continue
        url = feed_url(tag.get("href") or "", base=base)
        if url is not None:
            found.setdefault(url, None)
    return list(found)
