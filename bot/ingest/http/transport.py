"""The SSRF guard's httpx transport: connects only to the addresses the guard vetted."""

from __future__ import annotations

import ssl
from collections import OrderedDict
from typing import Any

import httpx

from bot.ingest.http.fetch import Fetcher
from bot.ingest.http.guard import UrlGuard

HOST_POOLS = 64  # hosts whose idle connections are kept (the least recently used go first)
KEEPALIVE_PER_HOST = 2  # idle connections kept per host (the Fetcher's per_host default)
KEEPALIVE_SECONDS = 5.0  # an idle connection older than this is closed, not reused


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that connects only to the addresses the guard vetted for the request.

    The request goes to the vetted IP (the URL's host replaced), with the original Host header
    and, for https, the host name as TLS SNI and as the name the certificate must match.

    Connections are kept alive in one pool per host name: connections are keyed by the address
    they go to, and a TLS connection whose certificate was checked for one name must never carry
    a request for another name on the same address. A pooled connection is reused only when the
    guard vets its address again for the new request (each request is vetted anew, so a name
    that now resolves elsewhere gets a new connection there, or a refusal).
    """

    def __init__(
        self,
        guard: UrlGuard,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.guard = guard
        self._fixed = transport  # one transport for every host (tests hand in their own)
        # One context for every pool: making one loads the CA bundle (tens of milliseconds).
        self._ssl = ssl_context
        self._pools: OrderedDict[tuple[str, str, int | None], httpx.AsyncBaseTransport] = (
            OrderedDict()
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Vet the request's URL, then send it to the first vetted address that answers."""
        addresses = await self.guard.check(str(request.url))
        extensions = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = request.url.raw_host.decode("ascii").rstrip(".")
        inner = await self._pool(request.url)
        for address in addresses[:-1]:
            try:
                return await self._send(inner, request, address, extensions)
            except httpx.ConnectError:  # the next vetted address may answer
                continue
        return await self._send(inner, request, addresses[-1], extensions)

    async def _pool(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        """The connection pool of the URL's host name (scheme and port too)."""
        if self._fixed is not None:
            return self._fixed
        key = (url.scheme, url.host.rstrip("."), url.port)
        pool = self._pools.get(key)
        if pool is not None:
            self._pools.move_to_end(key)
            return pool
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context(trust_env=False)
        pool = httpx.AsyncHTTPTransport(
            verify=self._ssl,
            trust_env=False,
            limits=httpx.Limits(
                max_keepalive_connections=KEEPALIVE_PER_HOST, keepalive_expiry=KEEPALIVE_SECONDS
            ),
        )
        self._pools[key] = pool
        await self._forget_idle_hosts()
        return pool

    async def _forget_idle_hosts(self) -> None:
        """Close the least recently used pools past HOST_POOLS, those with nothing under way
        (a pool still streaming a response stays, over the count, until it is idle)."""
        for key in list(self._pools)[: max(0, len(self._pools) - HOST_POOLS)]:
            if _idle(self._pools[key]):
                await self._pools.pop(key).aclose()

    @staticmethod
    async def _send(
        inner: httpx.AsyncBaseTransport,
        request: httpx.Request,
        address: str,
        extensions: dict[str, Any],
    ) -> httpx.Response:
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=address.split("%", 1)[0]),
            headers=request.headers,  # keeps Host: the name, not the address
            stream=request.stream,
            extensions=extensions,
        )
        return await inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        """Close every connection pool."""
        pools = [self._fixed] if self._fixed is not None else list(self._pools.values())
        self._pools.clear()
        for pool in pools:
            await pool.aclose()


def _idle(transport: httpx.AsyncBaseTransport) -> bool:
    """Whether no connection of an httpx transport's pool is carrying a request."""
    pool = getattr(transport, "_pool", None)  # httpx's httpcore pool; unknown: say busy
    connections = getattr(pool, "connections", None)
    return connections is not None and all(c.is_idle() for c in connections)


def guarded_fetcher(
    guard: UrlGuard,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    ssl_context: ssl.SSLContext | None = None,
    **options: Any,
) -> Fetcher:
    """A Fetcher (same keyword options) that vets every hop and connects to vetted addresses."""
    return Fetcher(
        url_guard=guard.precheck,
        transport=GuardedTransport(guard, transport, ssl_context=ssl_context),
        **options,
    )
