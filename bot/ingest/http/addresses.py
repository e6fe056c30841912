"""Which addresses are public: the address policy behind the SSRF guard (`http.guard`).

Private, loopback, link-local, shared (carrier-grade NAT), multicast and reserved addresses are
not public, nor are IPv6 addresses that embed an IPv4 one that is not (mapped, compatible,
6to4, NAT64).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from ipaddress import IPv4Address, IPv6Address, ip_network

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = IPv4Address | IPv6Address

# Not public, whatever this Python's ipaddress says (its tables changed between releases):
_NOT_PUBLIC = (
    ip_network("100.64.0.0/10"),  # shared address space, carrier-grade NAT
    ip_network("192.0.0.0/24"),  # IETF protocol assignments (3.11.7 calls 192.0.0.8 global)
    ip_network("192.88.99.0/24"),  # the retired 6to4 relay anycast
)
_IPV4_COMPATIBLE = ip_network("::/96")  # deprecated ::a.b.c.d, also holds :: and ::1
_NAT64 = ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the last 32 bits are an IPv4


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
    if isinstance(address, IPv4Address) and any(address in net for net in _NOT_PUBLIC):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
