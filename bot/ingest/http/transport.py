"""The SSRF guard's httpx transport: connects only to the addresses the guard vetted."""

from __future__ import annotations

from typing import Any

import httpx

from bot.ingest.http.fetch import Fetcher
from bot.ingest.http.guard import UrlGuard


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
