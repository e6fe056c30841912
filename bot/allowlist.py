"""Reading ``[ingest] allow_private``: the settings check its entries with it, and the ingest's
SSRF guard (bot/ingest/http/guard.py) lets through the hosts and networks it reads."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network

# A host name in an allowlist, after IDNA encoding.
_HOSTNAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


@dataclass(frozen=True, slots=True)
class Allowlist:
    """``[ingest] allow_private`` read: exact host names (IDNA), ``*.name`` suffixes (with their
    leading dot) and networks, which the SSRF guard lets through."""

    names: frozenset[str]
    suffixes: tuple[str, ...]
    networks: tuple[IPv4Network | IPv6Network, ...]


def parse_allowlist(entries: Iterable[str]) -> Allowlist:
    """Read allowlist entries: host names (intranet.example), ``*.corp.example`` for every name
    under corp.example, or networks and addresses (10.1.2.0/24, 10.1.2.3, fd00::/8); raises
    ValueError naming the entry it cannot read."""
    names: set[str] = set()
    suffixes: list[str] = []
    networks: list[IPv4Network | IPv6Network] = []
    for entry in entries:
        item = entry.strip().lower().rstrip(".")
        try:
            networks.append(ip_network(item, strict=False))
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
            suffixes.append("." + name)
        else:
            names.add(name)
    return Allowlist(frozenset(names), tuple(suffixes), tuple(networks))
