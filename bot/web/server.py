"""The operator's web server inside `newsbot run`: the status page, /metrics, /healthz.

Off by default (`[web] enabled`). On loopback it is open; beyond loopback every page but
/healthz asks for the token (`NEWSBOT_WEB__TOKEN`): as a bearer token (Prometheus), or once as
``?token=…`` in a browser, which then keeps it in a cookie and drops it from the address.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from bot.config import ConfigError, Settings
from bot.config_sections import WebSettings
from bot.metrics import exposition
from bot.store import Store, utcnow
from bot.web.page import render_status
from bot.web.status import gather

log = logging.getLogger("newsbot.web")

COOKIE = "newsbot_token"
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    """Whether a listen address is reachable from this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(slots=True)
class WebServer:
    """A running server and the port it listens on (the real one when [web] port is 0)."""

    host: str
    port: int


async def healthz_answers(section: WebSettings, timeout: float = 5.0) -> str | None:
    """None when the running server's /healthz answers ok on this machine, else what is wrong.
    (`newsbot health`: a frozen event loop stops answering, though its heartbeat file stays.)"""
    import httpx

    host = section.listen.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    url = f"http://{'[' + host + ']' if ':' in host else host}:{section.port}/healthz"
    try:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            answer = await client.get(url)
    except httpx.HTTPError as exc:
        return f"the status server does not answer at {url} ({type(exc).__name__})"
    return None if answer.status_code == 200 else f"{url} answered {answer.status_code}"


def _guard(token: str | None) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is None or request.path == "/healthz":
            response = await handler(request)
        elif _matches(request.query.get("token"), token):
            rest = {k: v for k, v in request.query.items() if k != "token"}
            place = str(request.rel_url.with_query(rest))
            response = web.Response(status=303, headers={"Location": place})
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
        elif _matches(_bearer(request), token) or _matches(request.cookies.get(COOKIE), token):
            response = await handler(request)
        else:
            log.warning("web request without its token", extra={"path": request.path})
            response = web.Response(
                status=401,
                text="This page needs the status token: open it once as /?token=YOUR_TOKEN "
                "(the value of NEWSBOT_WEB__TOKEN).\n",
            )
        response.headers.update(HEADERS)
        return response

    return guard


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def status_app(store: Store, settings: Settings, token: str | None) -> web.Application:
    """The aiohttp application: /, /metrics, /healthz."""

    async def status(request: web.Request) -> web.Response:
        view = await gather(store, settings, utcnow())
        return web.Response(text=render_status(view), content_type="text/html")

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=exposition(), content_type="text/plain", charset="utf-8")

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    app = web.Application(middlewares=[_guard(token)])
    app.router.add_get("/", status)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app


@asynccontextmanager
async def web_server(store: Store, settings: Settings) -> AsyncIterator[WebServer | None]:
    """Serve the status page while the context runs, when [web] enabled says so."""
    section = settings.web
    if not section.enabled:
        yield None
        return
    token = settings.secret("web", "token")
    if not is_loopback(section.listen) and not token:
        raise ConfigError(
            f"[web] listen = {section.listen!r} reaches beyond this machine: set "
            "NEWSBOT_WEB__TOKEN (or [web] token_file) so that only you can read the status page"
        )
    runner = web.AppRunner(status_app(store, settings, token), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, section.listen, section.port)
        await site.start()
        port = runner.addresses[0][1] if runner.addresses else section.port
        log.info("status page up", extra={"listen": section.listen, "port": port})
        yield WebServer(section.listen, port)
    finally:
        await runner.cleanup()
