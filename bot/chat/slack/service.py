"""The Slack side of `newsbot run`: the Bolt app over Socket Mode (default) or the HTTP Events API.

Socket Mode runs slack_bolt's AsyncSocketModeHandler (slack_sdk's aiohttp SocketModeClient):
``apps.connections.open`` with the app-level token on ``[slack] base_url`` gives a WebSocket URL;
envelopes are acked over it, and the client reconnects by itself after Slack's
``refresh_requested``, a dropped connection or unanswered pings (checked every ``ping_interval``
seconds). The sdk retries a failed handshake with the same URL, which Slack expires: while
the connection is down, the URL is dropped every ``url_refresh`` seconds so that the sdk asks
for a new one. Before that, the tokens are checked once: the sdk retries a refused app token
forever, so a wrong one would leave `newsbot run` hanging with a trace every ten seconds;
here it stops the start with a :class:`~bot.config.ConfigError` naming the setting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackApiError

from bot.chat.slack.post import slack_error
from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from bot.chat.core import CommandCore
    from bot.chat.slack.bot import SlackBot

log = logging.getLogger("newsbot.slack")

EVENTS_PATH = "/slack/events"
# Answers that mean the token itself is wrong, not that Slack is having a bad minute.
TOKEN_REFUSED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "not_allowed_token_type",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "missing_scope",
    }
)
_UNREACHABLE = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class SlackService:
    """The Slack side of `newsbot run`: Socket Mode (default) or the HTTP Events API."""

    def __init__(
        self,
        bot: SlackBot,
        settings: Settings,
        *,
        ping_interval: float = 10.0,
        connect_timeout: float = 30.0,
        url_refresh: float = 60.0,  # apps.connections.open is allowed about once a minute
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.ping_interval = ping_interval
        self.connect_timeout = connect_timeout
        self.url_refresh = url_refresh
        self._socket: Any = None
        self._connecting: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, *, host: str = "0.0.0.0") -> None:
        """Check the tokens, then connect (Socket Mode) or listen on ``[slack] port`` (HTTP).

        Raises ConfigError when a token or secret is missing or Slack refuses a token."""
        slack = self.settings.slack
        if slack.mode == "socket":
            app_token = self.settings.secret("slack", "app_token")
            if not app_token:
                raise ConfigError(
                    '[slack] mode = "socket" needs an app-level token (xapp-...): set '
                    'NEWSBOT_SLACK__APP_TOKEN, or use mode = "http" with a signing secret'
                )
            await self._check_bot_token()
            await self._connect(app_token)
            return
        if not self.settings.secret("slack", "signing_secret"):
            raise ConfigError(
                '[slack] mode = "http" needs the signing secret: set NEWSBOT_SLACK__SIGNING_SECRET'
            )
        await self._check_bot_token()
        self._runner = web.AppRunner(self.bot.app.web_app(path=EVENTS_PATH, port=slack.port))
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, slack.port)
        await site.start()
        self.port = self._runner.addresses[0][1] if self._runner.addresses else slack.port
        log.info("slack listening (http)", extra={"port": self.port, "path": EVENTS_PATH})

    async def stop(self) -> None:
        """Close the WebSocket (or the HTTP listener) and finish the answers under way."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            with suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._connecting is not None:
            self._connecting.cancel()
            with suppress(asyncio.CancelledError):
                await self._connecting
            self._connecting = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.bot.idle(timeout=5.0)
        await self.bot.pacer.close()

    # -- Socket Mode ------------------------------------------------------------------------------

    async def _connect(self, app_token: str) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        url = await self._open_connection(app_token)
        handler = AsyncSocketModeHandler(self.bot.app, app_token, ping_interval=self.ping_interval)
        if url is not None:
            handler.client.wss_uri = url  # the sdk connects to it instead of asking again
        self._socket = handler
        self._connecting = asyncio.create_task(handler.connect_async(), name="slack-socket-mode")
        self._connecting.add_done_callback(_connected)
        self._watchdog = asyncio.create_task(self._refresh_stale_url(), name="slack-url-refresh")
        done, _ = await asyncio.wait({self._connecting}, timeout=self.connect_timeout)
        if not done:
            log.warning(
                "slack socket mode is not connected yet; still trying in the background",
                extra={"waited_seconds": self.connect_timeout},
            )

    async def _refresh_stale_url(self) -> None:
        """While the connection is down, forget its URL every ``url_refresh`` seconds: the
        sdk's retry loop then asks apps.connections.open for a fresh one."""
        client = self._socket.client
        while True:
            await asyncio.sleep(self.url_refresh)
            if client.closed:
                return
            if client.wss_uri is not None and not await client.is_connected():
                log.info("slack socket mode still down: asking for a new connection URL")
                client.wss_uri = None

    async def _open_connection(self, app_token: str) -> str | None:
        """apps.connections.open: the WebSocket URL; None when Slack cannot be reached now (the
        sdk will ask again). A refused token is a ConfigError."""
        try:
            response = await self.bot.client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in TOKEN_REFUSED:
                raise ConfigError(_app_token_problem(error)) from None
            log.warning("slack apps.connections.open failed", extra={"error": error})
            return None
        except _UNREACHABLE as exc:
            log.warning("slack is unreachable", extra={"error": type(exc).__name__})
            return None
        return str(response["url"])

    async def _check_bot_token(self) -> None:
        """auth.test with the bot token: a refused token is a ConfigError, other failures are
        left for later requests."""
        try:
            await self.bot.client.auth_test()
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in TOKEN_REFUSED:
                raise ConfigError(
                    f"Slack refused the bot token ({error}): set NEWSBOT_SLACK__BOT_TOKEN (or "
                    "[slack] bot_token_file) to the app's Bot User OAuth Token (xoxb-...)"
                ) from None
            log.warning("slack auth.test failed", extra={"error": error})
        except _UNREACHABLE as exc:
            log.warning("slack is unreachable", extra={"error": type(exc).__name__})


def _app_token_problem(error: str) -> str:
    message = (
        f"Slack refused the app-level token ({error}): set NEWSBOT_SLACK__APP_TOKEN (or "
        "[slack] app_token_file) to an app-level token (xapp-...) with the connections:write "
        "scope, from the app's Basic Information → App-Level Tokens"
    )
    if error == "not_allowed_token_type":
        message += "; a bot token (xoxb-...) belongs in NEWSBOT_SLACK__BOT_TOKEN"
    return message


def _connected(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is None:
        log.info("slack connected (socket mode)")


def slack_configured(settings: Settings) -> bool:
    """Whether `newsbot run` should start Slack: a bot token is set."""
    return bool(settings.secret("slack", "bot_token"))


@asynccontextmanager
async def slack_service(
    core: CommandCore, settings: Settings
) -> AsyncIterator[SlackService | None]:
    """The running Slack app for `newsbot run` on the process's core, when a bot token is
    configured (else None), in the caller's event loop; stopped on exit."""
    if not slack_configured(settings):
        yield None
        return
    from bot.chat.slack.bot import SlackBot

    service = SlackService(SlackBot(core, settings), settings)
    try:
        await service.start()
        yield service
    finally:
        await service.stop()
