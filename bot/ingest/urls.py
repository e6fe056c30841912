"""URL canonicalisation: one article, one URL, however a feed decorated the link."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

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


def canonicalize_url(url: str, base: str | None = None, *, keep_query: bool = False) -> str | None:
    """The canonical form of an http(s) URL, or None when it is not one.

    Lower-cases scheme and host, drops default ports, fragments and tracking parameters,
    sorts the remaining query, and keeps everything that may select content. With
    ``keep_query`` the query stays as it is (see :func:`feed_url`).
    """
    url = url.strip()
    if not url:
        return None
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    # Credentials in a news link are a leak, never part of the article's identity: dropped.
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(parts.path or "/", safe="/:@!$&'()*+,;=-._~%")
    if keep_query:
        return urlunsplit((scheme, netloc, path, parts.query, ""))
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = sorted((k, v) for k, v in query if not is_tracking_param(k))
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
    """The lower-cased host of a URL ('' when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
