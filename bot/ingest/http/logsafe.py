"""Log fields that name a URL without its secrets.

A private feed's address can carry a key in its query (``?key=…``), a password in its userinfo
(``user:pass@``) and, for private podcast feeds and the like, a token in its path. So a log line
names a feed by its id and host only, and any URL inside error text is cut to scheme and host.
"""

from __future__ import annotations

import re
import traceback
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.ingest.http.guard import BlockedURL
    from bot.models import Feed

# Anything from a scheme to the next blank or quote: a URL as error text and reprs show it.
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]*")


def log_host(url: str) -> str:
    """The URL's host, lower-cased and printable ('' when it has none); never its userinfo."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return "".join(ch if ch.isprintable() else "?" for ch in host[:255])


def log_url(url: str) -> str:
    """The URL cut to ``scheme://host[:port]``; ``/…`` marks a path, query or fragment cut off."""
    scheme = url.partition("://")[0].lower()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{scheme}://…"
    host = log_host(url)
    if ":" in host:
        host = f"[{host}]"
    where = f"{host}:{port}" if port else host
    cut = parts.path not in ("", "/") or parts.query or parts.fragment
    return f"{scheme}://{where}{'/…' if cut else ''}"


def scrub(text: str) -> str:
    """The text with every URL in it cut to scheme and host (see :func:`log_url`)."""
    return _URL.sub(lambda match: log_url(match.group()), text)


def feed_fields(feed: Feed) -> dict[str, Any]:
    """Log fields naming a feed: its id and its host."""
    return {"feed_id": feed.id, "host": log_host(feed.url)}


def refusal_fields(feed: Feed, refused: BlockedURL) -> dict[str, Any]:
    """Log fields of an SSRF refusal: the feed's id and the refused host and address."""
    return {
        "feed_id": feed.id,
        "host": refused.host,
        "address": refused.address,
        "reason": refused.reason,
    }


def crash_fields(exc: BaseException) -> dict[str, Any]:
    """Log fields of an unexpected exception, URLs scrubbed: a database error, for one, lists
    the statement's parameters, article and feed URLs among them.

    Log them instead of ``exc_info``, whose text no caller can scrub.
    """
    return {
        "error": scrub(f"{type(exc).__name__}: {exc}"),
        "traceback": scrub("".join(traceback.format_exception(exc))),
    }
