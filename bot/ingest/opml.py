"""OPML import and export of feed lists."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from bot.models import Feed


class OPMLError(Exception):
    """The file is not OPML we can read; the message says why."""


@dataclass(slots=True, frozen=True)
class Outline:
    """One feed of an OPML file."""

    url: str
    title: str | None


def read_opml(data: bytes) -> list[Outline]:
    """Every feed (outline with an xmlUrl) of an OPML document, nested groups included."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OPMLError(f"not valid XML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OPMLError(f"not OPML: the root element is <{root.tag}>, expected <opml>")
    found: dict[str, Outline] = {}
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if url and url not in found:
            title = node.get("title") or node.get("text")
            found[url] = Outline(url, title if title != url else None)
    return list(found.values())


def write_opml(feeds: list[Feed], title: str = "newsbot feeds") -> str:
    """An OPML 2.0 document listing the feeds."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attrs = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attrs["title"] = feed.title
        if feed.site_url:
            attrs["htmlUrl"] = feed.site_url
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
