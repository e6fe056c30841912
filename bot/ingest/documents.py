"""Documents read for a summary on demand: a page's or a file's bytes → title, text, source.

`newsbot summarize` and the chat's `/summary URL` both read through here; the work is CPU-bound and
in proportion to the input (up to the caps), so callers run it in the CPU pool (`bot.cpu`), whose
workers import this module as they start: keep its imports light (no store, HTTP client or
settings).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.ingest.articles import DEFAULT_MAX_ARTICLE_CHARS, cap_text, content_hash, parse_limit
from bot.ingest.extract import extract
from bot.ingest.sniff import binary_kind, is_wall
from bot.models import Article, Story, TextSource

_HTML = re.compile(r"<(?:!doctype|html|body|p|div|article|head)\b", re.I)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
WHAT_TO_GIVE = "give a web page's address, an HTML file or a text file"
log = logging.getLogger("newsbot.summarize")


class InputError(Exception):
    """The input cannot be read; the message says what to do."""


@dataclass(slots=True)
class Document:
    """An article read from a URL, a file or standard input."""

    title: str
    text: str
    source: str
    url: str | None = None
    cut: bool = False  # only the beginning was read: the text cap, or a page parsed in part

    def cut_note(self) -> str | None:
        """What the reader should know when only the beginning was read."""
        if not self.cut:
            return None
        return f"This text is long: I read only its first {len(self.text):,} characters."


def document_from_bytes(
    data: bytes,
    *,
    source: str,
    url: str | None = None,
    max_chars: int = DEFAULT_MAX_ARTICLE_CHARS,
) -> Document:
    """HTML is extracted; plain text is taken as is, its first line as the title. The text is
    cut at ``max_chars`` ([ingest] max_article_chars), and HTML is parsed only so far.

    Raises InputError for a binary file (an image, a PDF ...), an empty one, and a page with
    no article on it (a sign-in or subscription wall), saying what to give instead. CPU work in
    proportion to the input (up to the caps): run it in the CPU pool.
    """
    kind = binary_kind(data)
    if kind is not None:
        raise InputError(f"{source} is {kind}, not an article; {WHAT_TO_GIVE}")
    if data.startswith(_UTF16_BOMS):
        data = data.decode("utf-16", errors="replace").encode("utf-8")
    head = data[:5000].decode("utf-8", errors="replace")
    if _HTML.search(head):
        limit = parse_limit(max_chars)
        page = extract(data[:limit], url)
        if not page.text.strip():
            raise InputError(f"found no article text in {source}")
        title, body, source = page.title or "(untitled)", page.text, page.site_name or source
        parsed_in_part = len(data) > limit
    else:
        text = data.decode("utf-8", errors="replace")
        lines = [line.strip() for line in text.strip().splitlines()]
        if not lines or not any(lines):
            raise InputError(f"{source} is empty")
        title, body = lines[0], "\n".join(lines[1:]).strip() or lines[0]
        parsed_in_part = False
    if is_wall(body):
        raise InputError(
            f"found no article in {source}: it is a sign-in or subscription page; if you can "
            "read the article in a browser, save its text to a file and summarize that"
        )
    capped = cap_text(body, max_chars)
    cut = parsed_in_part or capped.cut_from is not None
    if cut:
        log.info(
            "document read only in part",
            extra={
                "bytes": len(data),
                "chars": capped.cut_from or len(body),
                "kept": len(capped.text),
                "max_article_chars": max_chars,
            },
        )
    return Document(title, capped.text, source, url, cut)


def story_of(doc: Document) -> Story:
    """A one-article story for the summarizer."""
    article = Article(
        url=doc.url,
        title=doc.title,
        text=doc.text,
        source=doc.source,
        text_source=TextSource.PAGE,
        content_hash=content_hash(doc.text),
    )
    return Story(articles=[article])
