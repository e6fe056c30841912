"""`newsbot summarize (URL | FILE | -) [--json]`: one article in, summary and key quotes out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.ingest.documents import WHAT_TO_GIVE, Document, InputError, document_from_bytes
from bot.ingest.http.urls import host_of, parse_url
from bot.models import Quote, Summary
from bot.reply import said_by

if TYPE_CHECKING:
    from bot.config import Settings


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
    from bot.ingest.http.clients import cli_guard
    from bot.ingest.http.fetch import PAGE_ACCEPT, FetchError
    from bot.ingest.http.guard import BlockedURL
    from bot.polling import make_fetcher

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
    from bot.chat.console import clean, quote_for_display

    lines = [clean(doc.title), ""]
    lines += [clean(s) for s in summary.sentences]
    for q in summary.quotes:
        lines += ["", f"“{quote_for_display(q.text)}” {clean(said_by(q.speaker))}"]
    if summary.companies:
        lines += ["", "Companies: " + ", ".join(clean(c) for c in summary.companies)]
    lines += ["", f"({summary.summarizer} summary{'; ' + summary.note if summary.note else ''})"]
    if note := doc.cut_note():
        lines += [f"({note})"]
    return "\n".join(lines) + "\n"
