"""SSRF guard: newsbot fetches a URL from a chat or a feed only when it points at the public
internet (or at a network or host the operator allows with ``[ingest] allow_private``).

:class:`UrlGuard` vets a URL (scheme, spelling, every address its host resolves to, by the
policy in :mod:`bot.ingest.http.addresses`) and :class:`GuardedTransport`
(:mod:`bot.ingest.http.transport`) connects to exactly the addresses it vetted, so a DNS answer that
changes between the check and the connect (DNS rebinding) cannot steer a fetch inside.
Every redirect hop is a new request through the transport, so every hop is vetted again.

Every URL is read by the one parser, :func:`bot.ingest.http.urls.parse_url` (the WHATWG URL
Standard, as a browser reads it), and the guard vets the address that parser finds: however an
address is spelled (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``, full-width digits,
percent-encoded), it is vetted as the address it stands for, and the Fetcher sends the parser's
canonical form on, so what was vetted is what is fetched.

Decisions: only http and https; any port but 0 (many feeds live on :8080, and a port on a public
address reaches nothing private); no user names or passwords in URLs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import ip_address

from ada_url import HostType

from bot.allowlist import parse_allowlist
from bot.ingest.http.addresses import IPAddress, Resolver, is_public, system_resolver
from bot.ingest.http.fetch import FetchError
from bot.ingest.http.urls import parse_url

__all__ = [
    "HINTS",
    "MESSAGES",
    "NOTES",
    "BlockedURL",
    "Target",
    "UrlGuard",
]

log = logging.getLogger(__name__)

_SCHEMES = {"http": 80, "https": 443}

MESSAGES = {
    "scheme": "newsbot only fetches http:// and https:// links.",
    "credentials": "That link carries a user name or password, so newsbot won't fetch it.",
    "private": "That address points inside a private network, so newsbot won't fetch it.",
    "malformed": "That doesn't look like a valid web address.",
}
# What the sender can do about a refusal, said in the chat after it.
HINTS = {
    "scheme": "Send an http:// or https:// link.",
    "credentials": "Send the link without the user name and password.",
    "private": "If newsbot should read it, whoever runs the bot can allow it "
    "with [ingest] allow_private.",
    "malformed": "Send a web address: newsbot reads http:// and https:// links.",
}
# The same refusals as a feed's health says them to the operator, who can act on them.
NOTES = {
    "scheme": "refused: newsbot only fetches http:// and https:// addresses",
    "credentials": "refused: the address carries a user name or password; give it without them",
    "private": "refused: {host} points inside a private network; "
    "allow it with [ingest] allow_private",
    "malformed": "refused: not a valid web address",
}


class BlockedURL(FetchError):
    """A URL the guard refused; the message is fit to show the user who sent it."""

    def __init__(self, reason: str, host: str = "", address: str | None = None) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason
        self.host = host  # printable: fit for a log line
        self.address = address  # what the host resolved or decoded to, when known

    @property
    def hint(self) -> str:
        """What the sender can do about it, for the line after the refusal in a chat."""
        return HINTS[self.reason]

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
        allowlist = parse_allowlist(allow)  # ValueError: an entry it cannot read
        self._names = allowlist.names
        self._suffixes = allowlist.suffixes
        self._networks = allowlist.networks

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
        """Parse a URL (WHATWG, as the Fetcher will send it) and refuse it if its scheme,
        credentials or literal address alone give it away."""
        parsed = parse_url(url.strip())
        if parsed is None:
            raise self._refuse("malformed", "")
        scheme = parsed.protocol.rstrip(":")
        host = parsed.hostname
        if scheme not in _SCHEMES:
            raise self._refuse("scheme", host)
        if parsed.username or parsed.password:
            raise self._refuse("credentials", host)
        port = int(parsed.port) if parsed.port else _SCHEMES[scheme]
        if port == 0:
            raise self._refuse("malformed", host)
        if parsed.host_type == HostType.IPV6:  # in brackets; WHATWG takes no zone id
            return self._literal(scheme, host[1:-1], port, ip_address(host[1:-1]))
        if parsed.host_type == HostType.IPV4:  # every IPv4 spelling, now a dotted quad
            return self._literal(scheme, host, port, ip_address(host))
        name = host.rstrip(".")
        if not name:
            raise self._refuse("malformed", host)
        trusted = name in self._names or name.endswith(tuple(self._suffixes))
        if not trusted and (name == "localhost" or name.endswith(".localhost")):
            raise self._refuse("private", name)
        return Target(scheme, name, port, None, trusted)

    def _literal(self, scheme: str, host: str, port: int, address: IPAddress) -> Target:
        if not self._allowed(address):
            raise self._refuse("private", host, str(address))
        return Target(scheme, host, port, address, False)

    def _allowed(self, address: IPAddress) -> bool:
        return is_public(address) or any(address in network for network in self._networks)

    def _refuse(self, reason: str, host: str, address: str | None = None) -> BlockedURL:
        # Only the host is logged: paths and queries may carry tokens, userinfo a password.
        # Whatever the host holds, it never forges a log line.
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
