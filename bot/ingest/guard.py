"""SSRF guard: newsbot fetches a URL from a chat or a feed only when it points at the public
internet (or at a network or host the operator allows with ``[ingest] allow_private``).

:class:`UrlGuard` vets a URL (scheme, spelling, every address its host resolves to, by the
policy in :mod:`bot.ingest.addresses`) and :class:`GuardedTransport`
(:mod:`bot.ingest.transport`) connects to exactly the addresses it vetted, so a DNS answer that
changes between the check and the connect (DNS rebinding) cannot steer a fetch inside.
Every redirect hop is a new request through the transport, so every hop is vetted again.

Decisions: only http and https; any port (many feeds live on :8080, and a port on a public
address reaches nothing private); no user names or passwords in URLs; addresses spelled in
any form but the canonical dotted quad (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``)
and percent-encoded hosts are refused outright, whatever they decode to.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

import httpx

from bot.ingest.addresses import IPAddress, Resolver, is_public, loose_ipv4, system_resolver
from bot.ingest.fetch import FetchError
from bot.ingest.transport import GuardedTransport, guarded_fetcher

__all__ = [
    "MESSAGES",
    "NOTES",
    "BlockedURL",
    "GuardedTransport",
    "IPAddress",
    "Resolver",
    "Target",
    "UrlGuard",
    "guarded_fetcher",
    "is_public",
    "loose_ipv4",
    "system_resolver",
]

log = logging.getLogger(__name__)

_SCHEMES = {"http": 80, "https": 443}
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
