"""The one URL parser of newsbot, and canonicalisation: one article, one URL, however a feed
decorated the link.

Every URL newsbot reads (a feed's, an article link, a redirect's Location, a link someone typed
into a chat or the command line) is parsed here, by the WHATWG URL Standard as a browser reads
it (the ada parser): ``http://2130706433/``, ``http://0177.0.0.1/`` and ``http://１２７.０.０.１/``
are all ``http://127.0.0.1/``, and that canonical form is what the SSRF guard vets and what the
HTTP client is given, so no second parser can read a different host out of the same text.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlunsplit

import ada_url

# Query parameters that only track the reader; everything else may select content and is kept.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs", "oly_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "mkt_tok",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "ncid",
        "sr_share",
        "spm",
        "ref_src",
        "ref_url",
        "cmp",
        "rss",
        "at_medium",
        "at_campaign",
        "guccounter",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    """Whether a query parameter only tracks the reader."""
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def parse_url(text: str, base: str | None = None) -> ada_url.URL | None:
    """The URL as a browser reads ``text`` (relative to ``base``), or None when it is none."""
    try:
        return ada_url.URL(text, base) if base else ada_url.URL(text)
    except ValueError:  # ada's "Invalid input"
        return None


def web_url(text: str, base: str | None = None) -> str | None:
    """The WHATWG serialisation of an http(s) URL, fragment dropped; None for anything else."""
    parsed = parse_url(text, base)
    if parsed is None or parsed.protocol not in ("http:", "https:"):
        return None
    return parsed.href.split("#", 1)[0]


def canonicalize_url(url: str, base: str | None = None, *, keep_query: bool = False) -> str | None:
    """The canonical form of an http(s) URL, or None when it is not one.

    Lower-cases scheme and host, drops default ports, fragments and tracking parameters,
    sorts the remaining query, and keeps everything that may select content. With
    ``keep_query`` the query stays as it is (see :func:`feed_url`).
    """
    url = url.strip()
    if not url:
        return None
    parts = parse_url(url, base)
    if parts is None:
        return None
    scheme = parts.protocol.rstrip(":")
    host = parts.hostname.rstrip(".")  # lower-case, IDNA-encoded, IPv6 in brackets already
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    # Credentials in a news link are a leak, never part of the article's identity: dropped.
    netloc = f"{host}:{parts.port}" if parts.port else host  # the default port is never kept
    path = quote(parts.pathname or "/", safe="/:@!$&'()*+,;=-._~%")
    query = parts.search.removeprefix("?")
    if keep_query:
        return urlunsplit((scheme, netloc, path, query, ""))
    kept = sorted(
        (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking_param(k)
    )
    return urlunsplit((scheme, netloc, path, urlencode(kept, doseq=True), ""))


def feed_url(url: str, base: str | None = None) -> str | None:
    """The canonical form of a feed's address, or None when it is not an http(s) URL.

    Unlike an article link, a feed's query is left whole: ``?rss``, ``?format=atom`` or an
    ``utm_source`` some servers insist on select the feed itself.
    """
    return canonicalize_url(url, base, keep_query=True)


def find_feed_url(stored: Iterable[str], given: str, *, loose: bool = False) -> str | None:
    """The stored feed address that the address someone typed names: the same address (or the
    same once canonical, as stored ones may predate :func:`feed_url`); with ``loose``, failing
    that, the same once tracking parameters are set aside on both (to find what to remove)."""
    stored = list(stored)
    wanted = feed_url(given)
    exact = next((u for u in stored if u == given or (wanted and feed_url(u) == wanted)), None)
    if exact is not None or not loose:
        return exact
    canonical = canonicalize_url(given)
    if canonical is None:
        return None
    return next((u for u in stored if canonicalize_url(u) == canonical), None)


def host_of(url: str) -> str:
    """The lower-cased host of a URL, IPv6 without brackets ('' when it has none)."""
    parsed = parse_url(url)
    return parsed.hostname.strip("[]") if parsed is not None else ""
