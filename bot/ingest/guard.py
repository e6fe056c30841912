"""SSRF guard: newsbot fetches a URL from a chat or a feed only when it points at the public
internet (or at a network or host the operator allows with ``[ingest] allow_private``).

:class:`UrlGuard` vets a URL (scheme, spelling, every address its host resolves to) and
:class:`GuardedTransport` connects to exactly the addresses it vetted, so a DNS answer that
changes between the check and the connect (DNS rebinding) cannot steer a fetch inside.
Every redirect hop is a new request through the transport, so every hop is vetted again.

Decisions: only http and https; any port (many feeds live on :8080, and a port on a public
address reaches nothing private); no user names or passwords in URLs; addresses spelled in
any form but the canonical dotted quad (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``)
and percent-encoded hosts are refused outright, whatever they decode to.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.ingest.fetch import Fetcher, FetchError

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = IPv4Address | IPv6Address

_SCHEMES = {"http": 80, "https": 443}
_SHARED = ip_network("100.64.0.0/10")  # carrier-grade NAT; not is_private in every Python
_IPV4_COMPATIBLE = ip_network("::/96")  # deprecated ::a.b.c.d, also holds :: and ::1
_NAT64 = ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the last 32 bits are an IPv4
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_HOSTNAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")

MESSAGES = {
    "scheme": "newsbot only fetches http:// and https:// links.",
    "credentials": "That link carries a user name or password, so newsbot won't fetch it.",
    "spelling": "That link spells its address in an unusual way, so newsbot won't fetch it.",
    "private": "That address points inside a private network, so newsbot won't fetch it.",
    "malformed": "That doesn't look like a valid web address.",
}
# The same refusals as a feed's health says them to the operator, who can act on them.
NOTES = {
    "scheme": "refused: newsbot only fetches http:// and https:// addresses",
    "credentials": "refused: the address carries a user name or password",
    "spelling": "refused: {host} spells an IP address in an unusual way",
    "private": "refused: {host} points inside a private network; "
    "allow it with [ingest] allow_private",
    "malformed": "refused: {host} is not a valid web address",
}


class BlockedURL(FetchError):
    """A URL the guard refused; the message is fit to show the user who sent it."""

    def __init__(self, reason: str, host: str = "", address: str | None = None) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason
        self.host = host  # printable: fit for a log line
        self.address = address  # what the host resolved or decoded to, when known

    @property
    def note(self) -> str:
        """The refusal in a few words for the operator, e.g. for a feed's last error."""
        host = self.host or "the host"
        if self.address and self.address != self.host:
            host = f"{host} ({self.address})"
        return NOTES[self.reason].format(host=host)


@dataclass(frozen=True, slots=True)
class Target:
    """What a URL asks to connect to: host (ASCII, no trailing dot), port, literal address."""

    scheme: str
    host: str
    port: int
    address: IPAddress | None
    trusted: bool  # the operator allowlisted this host name


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver, in its order of preference."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet (and not a disguise for one that isn't)."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None or address in _IPV4_COMPATIBLE:
            return False
        embedded = address.sixtofour
        if address in _NAT64:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
        if address.is_site_local:
            return False
    return address not in _SHARED and (
        address.is_global
        and not (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        )
    )


def loose_ipv4(name: str) -> IPv4Address | None:
    """The address inet_aton() would read from a numeric host (``127.1``, ``0x7f.1``), or None."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        base = 16 if part.startswith("0x") else 8 if len(part) > 1 and part[0] == "0" else 10
        digits = part[2:] if base == 16 else part
        try:
            numbers.append(int(digits or "0", base))
        except ValueError:
            return None
    # The last part fills every byte the earlier ones left: 127.1 is 127.0.0.1.
    last_bits = 8 * (5 - len(numbers))
    value = 0
    for number in numbers[:-1]:
        if number > 0xFF:
            return None
        value = value << 8 | number
    if numbers[-1] >= 1 << last_bits:
        return None
    return IPv4Address(value << last_bits | numbers[-1])


class UrlGuard:
    """Vets URLs from chats; ``allow`` lists host names and CIDR networks the operator trusts.

    An allowlisted name may resolve to any address; an address inside an allowlisted network
    is fetched whatever name led there. ``*.corp.example`` allows every name under corp.example.
    """

    def __init__(
        self,
        allow: Iterable[str] = (),
        resolver: Resolver | None = None,
        *,
        log_refusals: bool = True,
    ) -> None:
        self.resolver = resolver or system_resolver
        self.log_refusals = log_refusals  # off when the caller logs refusals with its context
        self._names: set[str] = set()
        self._suffixes: list[str] = []
        self._networks: list[IPv4Network | IPv6Network] = []
        for entry in allow:
            item = entry.strip().lower().rstrip(".")
            try:
                self._networks.append(ip_network(item, strict=False))
                continue
            except ValueError:
                pass
            name = item.removeprefix("*.")
            try:
                name = name.encode("idna").decode("ascii")
            except UnicodeError:
                name = ""
            if not _HOSTNAME.match(name):
                raise ValueError(
                    f"allowlist entry {entry!r}: expected a host name (intranet.example, "
                    "*.corp.example) or a network (10.1.2.0/24, 10.1.2.3, fd00::/8)"
                )
            if item.startswith("*."):
                self._suffixes.append("." + name)
            else:
                self._names.add(name)

    async def precheck(self, url: str) -> None:
        """Refuse what can be refused without DNS (the Fetcher runs this before every hop)."""
        self.target(url)

    async def check(self, url: str) -> list[str]:
        """The vetted addresses to connect to for this URL; raises BlockedURL or FetchError."""
        target = self.target(url)
        if target.address is not None:
            return [str(target.address)]
        try:
            answers = await self.resolver(target.host, target.port)
        except OSError as exc:  # socket.gaierror included
            raise FetchError(f"cannot resolve {target.host}: {exc}") from None
        if not answers:
            raise FetchError(f"cannot resolve {target.host}: no addresses")
        addresses = []
        for answer in answers:
            try:
                addresses.append(ip_address(answer))
            except ValueError:
                raise self._refuse("malformed", target.host, answer) from None
        if not target.trusted:
            for address in addresses:  # one private answer among public ones is enough
                if not self._allowed(address):
                    raise self._refuse("private", target.host, str(address))
        return [str(address) for address in addresses]

    def target(self, url: str) -> Target:
        """Parse a URL the way httpx will and refuse it if its spelling alone gives it away."""
        if "\\" in url or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
            raise self._refuse("malformed", _rough_host(url))
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError):
            host = _rough_host(url)
            numeric = bool(_NUMERIC_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]))
            raise self._refuse("spelling" if host and numeric else "malformed", host) from None
        host = parsed.raw_host.decode("ascii").lower()
        if parsed.scheme not in _SCHEMES:
            raise self._refuse("scheme", host)
        if parsed.userinfo:
            raise self._refuse("credentials", host)
        port = parsed.port or _SCHEMES[parsed.scheme]
        if not 0 < port < 65536:
            raise self._refuse("malformed", host)
        if ":" in host:  # IPv6 literal; a zone comes percent-encoded: fe80::1%25eth0
            try:
                address = ip_address(host.replace("%25", "%", 1))
            except ValueError:
                raise self._refuse("malformed", host) from None
            return self._literal(parsed.scheme, host, port, address)
        name = host.rstrip(".")
        if not name or "%" in name:
            raise self._refuse("spelling" if name else "malformed", host)
        if _NUMERIC_LABEL.match(name.rsplit(".", 1)[-1]):
            # No top-level domain is numeric, so this is an address, and only the
            # canonical dotted quad is accepted: resolvers read 0177.1 as 127.0.0.1.
            try:
                canonical = IPv4Address(name)
            except ValueError:
                canonical = None
            if canonical is None or str(canonical) != name:
                decoded = loose_ipv4(name)
                raise self._refuse("spelling", host, str(decoded) if decoded else None)
            return self._literal(parsed.scheme, name, port, canonical)
        trusted = name in self._names or name.endswith(tuple(self._suffixes))
        if not trusted and (name == "localhost" or name.endswith(".localhost")):
            raise self._refuse("private", name)
        return Target(parsed.scheme, name, port, None, trusted)

    def _literal(self, scheme: str, host: str, port: int, address: IPAddress) -> Target:
        if not self._allowed(address):
            raise self._refuse("private", host, str(address))
        return Target(scheme, host, port, address, False)

    def _allowed(self, address: IPAddress) -> bool:
        plain = ip_address(str(address).split("%", 1)[0])  # a zone id never matches a network
        return is_public(address) or any(plain in network for network in self._networks)

    def _refuse(self, reason: str, host: str, address: str | None = None) -> BlockedURL:
        # Only the host is logged: paths and queries may carry tokens, userinfo a password.
        # A host httpx could not parse may hold control characters: never let them forge lines.
        shown = "".join(ch if ch.isprintable() else "?" for ch in host[:255])
        if self.log_refusals:
            log.warning(
                "url refused",
                extra={
                    "event": "url_refused",
                    "reason": reason,
                    "host": shown,
                    "address": address,
                },
            )
        return BlockedURL(reason, shown, address)


def _rough_host(url: str) -> str:
    """The host as urlsplit reads it, for a log line about a URL httpx cannot parse."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that connects only to the addresses the guard vetted for the request.

    The request goes to the vetted IP (the URL's host replaced), with the original Host header
    and, for https, the host name as TLS SNI and as the name the certificate must match.
    """

    def __init__(self, guard: UrlGuard, transport: httpx.AsyncBaseTransport | None = None):
        self.guard = guard
        # No keep-alive: the pool is keyed by IP, and a TLS connection whose certificate was
        # checked for one name must not carry a request for another name on the same IP.
        self._inner = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_keepalive_connections=0), trust_env=False
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Vet the request's URL, then send it to the first vetted address that answers."""
        addresses = await self.guard.check(str(request.url))
        extensions = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = request.url.raw_host.decode("ascii").rstrip(".")
        for address in addresses[:-1]:
            try:
                return await self._send(request, address, extensions)
            except httpx.ConnectError:  # the next vetted address may answer
                continue
        return await self._send(request, addresses[-1], extensions)

    async def _send(
        self, request: httpx.Request, address: str, extensions: dict[str, Any]
    ) -> httpx.Response:
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=address.split("%", 1)[0]),
            headers=request.headers,  # keeps Host: the name, not the address
            stream=request.stream,
            extensions=extensions,
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self._inner.aclose()


def guarded_fetcher(
    guard: UrlGuard, *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
) -> Fetcher:
    """A Fetcher (same keyword options) that vets every hop and connects to vetted addresses."""
    return Fetcher(
        url_guard=guard.precheck, transport=GuardedTransport(guard, transport), **options
    )
