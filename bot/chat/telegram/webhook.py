"""Telegram updates by webhook: an aiohttp endpoint that checks Telegram's secret token header
and hands each update to the PTB application's queue."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings

log = logging.getLogger("newsbot.telegram")

ALLOWED_UPDATES = ["message", "callback_query"]


async def start_webhook(app: Application, settings: Settings) -> web.AppRunner:
    """Listen on ``[telegram] webhook_listen:webhook_port`` at the path of ``webhook_url`` and
    tell Telegram to post there with the secret token; returns the runner to clean up."""
    tg = settings.telegram
    assert tg.webhook_url
    secret = settings.secret("telegram", "webhook_secret")
    path = urlsplit(tg.webhook_url).path or "/"
    server = web.Application(client_max_size=1_000_000)
    server.router.add_post(path, _handler(app, secret))
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, tg.webhook_listen, tg.webhook_port).start()
    await app.bot.set_webhook(tg.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    return runner


def _handler(
    app: Application, secret: str | None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        if secret and given != secret:
            log.warning("webhook request with a wrong secret token", extra={"peer": request.remote})
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(await request.json(), app.bot)
        except Exception:  # not JSON, or not an Update
            return web.Response(status=400, text="bad update")
        await app.update_queue.put(update)
        return web.Response(text="ok")

    return handle
