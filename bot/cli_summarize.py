"""`newsbot summarize (URL | FILE | -) [--json]`: one article in, summary and key quotes out."""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Light imports only: document_from_bytes runs in the CPU pool's workers, which import this
# module as they start (the store, the HTTP client and the settings are not needed there).
from bot.ingest.articles import DEFAULT_MAX_ARTICLE_CHARS, cap_text, content_hash, parse_limit
from bot.ingest.extract import extract
from bot.ingest.sniff import binary_kind, is_wall
from bot.ingest.urls import host_of, parse_url
from bot.models import Article, Quote, Story, Summary, TextSource

if TYPE_CHECKING:
    from bot.config import Settings

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


async def read_input(target: str, settings: Settings) -> Document:
    """The document named by a file path, an http(s) URL (fetched through the SSRF guard, as
    every link newsbot reads) or '-' (standard input)."""
    max_chars = settings.ingest.max_article_chars
    if target == "-":
        return document_from_bytes(
            sys.stdin.buffer.read(), source="standard input", max_chars=max_chars
        )
    path = Path(target)
    if path.exists():
        return document_from_bytes(_read_file(path), source=path.name, max_chars=max_chars)
    if parse_url(target) is None and "://" not in target:  # with "://", the guard says why
        raise InputError(f"{target} is neither an http(s) URL nor a readable file")
    from bot.app import make_fetcher
    from bot.ingest.clients import cli_guard
    from bot.ingest.fetch import PAGE_ACCEPT, FetchError
    from bot.ingest.guard import BlockedURL

    async with make_fetcher(settings, cli_guard(settings.ingest)) as fetcher:
        try:
            result = await fetcher.fetch(target, accept=PAGE_ACCEPT)
        except BlockedURL as exc:
            raise InputError(exc.note) from None
        except FetchError as exc:
            raise InputError(f"could not fetch {host_of(target) or target}: {exc}") from None
    return document_from_bytes(
        result.body, source=host_of(result.url), url=result.url, max_chars=max_chars
    )


def _read_file(path: Path) -> bytes:
    if path.is_dir():
        raise InputError(f"{path} is a folder; {WHAT_TO_GIVE}")
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(f"cannot read {path}: {reason}; check that you may read it") from None


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


def _quote(q: Quote) -> dict[str, Any]:
    return {"text": q.text, "speaker": q.speaker}


def as_json(doc: Document, summary: Summary) -> dict[str, Any]:
    """The `newsbot summarize --json` contract; outside tools rely on this exact shape."""
    return {
        "title": doc.title,
        "summary": summary.sentences,
        "quotes": [_quote(q) for q in summary.quotes],
        "all_quotes": [_quote(q) for q in summary.all_quotes],
        "companies": summary.companies,
        "summarizer": summary.summarizer,
    }


def as_text(doc: Document, summary: Summary) -> str:
    """The summary for a person at a terminal."""
    from bot.digest.render import clean, quote_for_display

    lines = [clean(doc.title), ""]
    lines += [clean(s) for s in summary.sentences]
    for q in summary.quotes:
        lines += ["", f"“{quote_for_display(q.text)}” — {clean(q.speaker or 'unattributed')}"]
    if summary.companies:
        lines += ["", "Companies: " + ", ".join(clean(c) for c in summary.companies)]
    lines += ["", f"({summary.summarizer} summary{'; ' + summary.note if summary.note else ''})"]
    if note := doc.cut_note():
        lines += [f"({note})"]
    return "\n".join(lines) + "\n"
