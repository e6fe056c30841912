"""The network guard: tests reach only loopback (127.0.0.0/8, ::1, localhost).

A pytest plugin (tests/conftest.py loads it). For the whole session it wraps
``socket.socket.connect`` / ``connect_ex`` (which asyncio, httpx, aiohttp and asyncpg all end
up calling) and ``socket.getaddrinfo``:

* a connect to an address that is not loopback raises :class:`NetworkGuardError` before any
  packet leaves, and the test that made it fails, even where the code under test swallows the
  error (a fetcher turns it into "couldn't connect", say): each attempt is recorded and the
  autouse fixture fails the test at teardown with the address;
* looking up a name other than ``localhost`` answers "name not known" (``socket.gaierror``, as
  an offline resolver would, but at once and without a query leaving the machine). Tests that
  need names resolve them through a fake resolver (bot.ingest.http.guard's resolver hook), which
  never reaches this.

Numeric addresses pass ``getaddrinfo`` (no lookup happens); their connect is what is checked.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from ipaddress import IPv6Address, ip_address

import pytest

LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost", "ip6-loopback"}


class NetworkGuardError(ConnectionRefusedError):
    """A test tried to reach beyond loopback."""


_refused: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def is_loopback(host: object) -> bool:
    """Whether ``host`` (an address literal or name) stays on this machine."""
    if host is None:  # getaddrinfo(None, port): the local wildcard or loopback
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text.lower() in LOOPBACK_NAMES:
        return True
    try:
        address = ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _check(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets, netlink: local by nature
    host = address[0] if isinstance(address, tuple) else address
    if not is_loopback(host):
        where = f"{host}:{address[1]}" if isinstance(address, tuple) else str(host)
        _refused.append(where)
        raise NetworkGuardError(
            f"network guard: tests reach only 127.0.0.1/::1, but this test connected to {where} "
            "(serve it from a tests/fakes loopback server, or resolve names with a fake resolver)"
        )


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
    if not is_loopback(host):
        text = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ip_address(text.split("%", 1)[0])
        except ValueError:
            raise socket.gaierror(
                socket.EAI_NONAME, f"network guard: no DNS in tests (looked up {text!r})"
            ) from None
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


def take_refused() -> list[str]:
    """The connects refused since the last call (and forget them)."""
    taken = _refused[:]
    _refused.clear()
    return taken


@pytest.fixture(scope="session", autouse=True)
def _network_guard_installed() -> Iterator[None]:
    """Wrap connect and getaddrinfo for the whole session (session fixtures included)."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(autouse=True)
def _network_guard(_network_guard_installed: None) -> Iterator[None]:
    """Fail the test that tried to leave loopback, even if its code caught the refusal."""
    take_refused()
    yield
    refused = take_refused()
    if refused:
        pytest.fail(
            "network guard: this test tried to reach beyond loopback: " + ", ".join(refused),
            pytrace=False,
        )
