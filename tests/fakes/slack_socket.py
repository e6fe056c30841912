"""Slack's Socket Mode on 127.0.0.1, beside the loopback Web API of tests/slack_api.py, so the
REAL slack_sdk SocketModeClient (what slack_bolt's AsyncSocketModeHandler runs) connects in tests.

The protocol (https://api.slack.com/apis/socket-mode and .../apis/connections/socket-implement):

1. The app calls ``apps.connections.open`` with its app-level token (``xapp-…``) and gets
   ``{"ok": true, "url": "wss://…/link/?ticket=…&app_id=…"}``. A bot token is refused with
   ``not_allowed_token_type``, an unknown token with ``invalid_auth``, none with ``not_authed``;
   an app-level token on any other method is ``not_allowed_token_type`` too.
2. The app opens a WebSocket to that URL. Slack's first frame is ``hello`` (``num_connections``,
   ``debug_info``, ``connection_info.app_id``).
3. Slack sends envelopes ``{"envelope_id", "type", "payload", "accepts_response_payload"}``:
   ``slash_commands`` (the command's fields as a JSON object), ``events_api`` (the
   ``event_callback`` body, with ``retry_attempt`` / ``retry_reason``) and ``interactive``
   (``block_actions``). The app acks each within 3 seconds with ``{"envelope_id": …}``, adding a
   ``payload`` where the envelope accepts one.
4. Slack refreshes connections: ``{"type": "disconnect", "reason": "refresh_requested"}`` (after
   a ``warning``); the app calls apps.connections.open again and connects to the new URL.
   Either side answers pings with pongs.

Here the URL is ``ws://`` (no TLS on loopback; the sdk's aiohttp client takes either scheme),
and a ticket is good for one connection. What a test does::

    with SlackSocketServer() as server:               # also the Web API: server.base_url
        ... start SlackService with server.app_token ...
        await server.wait_connected()
        envelope = server.slash("company huawei", channel_id="C0NEWS")
        ack = await server.wait_ack(envelope)        # ack.at: when it arrived (monotonic)
        server.disconnect("refresh_requested")        # or server.drop(): no close frame at all

Slack's redelivery of an envelope whose ack was slow or lost is scripted with ``redeliver``
(same payload, ``retry_attempt`` > 0, ``retry_reason: "timeout"``); it is not automatic.
Left out: spreading envelopes over up to ten connections, the ``warning``
that precedes a refresh by some seconds, closing a refreshed connection that the client keeps,
``link_disabled`` / ``too_many_websockets``, and the use Slack makes of a response payload.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.loopback import wait_until
from tests.fakes.slack_api import APP_ID, JSONDict, SlackAPIServer, SlackError

APP_TOKEN = "xapp-1-A0NEWSBOT-1-loopback0socket0mode0token"
DEBUG_HOST = "applink-loopback-1"


@dataclass(slots=True)
class Ack:
    """An acknowledgement the app sent: its envelope, optional payload, arrival (monotonic)."""

    envelope_id: str
    payload: Any
    at: float
    connection: int


@dataclass(slots=True)
class Envelope:
    """An envelope this server sent: type, payload, when (monotonic) and on which connection."""

    envelope_id: str
    type: str
    payload: JSONDict
    at: float
    connection: int


@dataclass(eq=False)
class Connection:
    """One WebSocket connection of the app; ``closed_by`` is "client", "server" or "dropped"."""

    number: int
    ticket: str
    opened: float
    ws: web.WebSocketResponse = field(repr=False)
    transport: Any = field(repr=False)
    closed: float | None = None
    close_code: int | None = None
    closed_by: str = ""
    stalled: bool = False
    pings: int = 0

    @property
    def open(self) -> bool:
        """Whether the connection is still up."""
        return self.closed is None


class SlackSocketServer(SlackAPIServer):
    """The loopback Web API plus apps.connections.open and the Socket Mode WebSocket.

    What the test reads: ``connections`` (every connection, oldest first), ``acks`` (by
    envelope id), ``envelopes`` (what was sent), ``count("apps.connections.open")``, and all
    that :class:`~tests.fakes.slack_api.SlackAPIServer` records.
    What the test does: :meth:`slash`, :meth:`event`, :meth:`press` (or :meth:`push` for any
    envelope), :meth:`disconnect`, :meth:`drop`, :meth:`stall`; ``refuse_connections`` makes
    the WebSocket handshake fail with 503, as a Slack outage would.
    """

    def __init__(self, *, token: str = "xoxb-test-token", app_token: str = APP_TOKEN) -> None:
        super().__init__(token=token)
        self.app_token = app_token
        self.app_tokens = {app_token}
        self.refuse_connections = False
        self.connections: list[Connection] = []
        self.acks: dict[str, Ack] = {}
        self.envelopes: dict[str, Envelope] = {}
        self.strays: list[str] = []  # frames from the app that are not acks
        self._tickets: set[str] = set()
        self._envelope_ids = itertools.count(1)
        self._methods["apps.connections.open"] = self._connections_open

    def setup(self, app: web.Application) -> None:
        super().setup(app)
        app.router.add_get("/link/", self._link)

    async def on_shutdown(self) -> None:
        for connection in list(self.connections):
            if connection.open:
                connection.closed_by = connection.closed_by or "server"
                await connection.ws.close(code=1001, message=b"server shutdown")

    def __enter__(self) -> SlackSocketServer:
        self.start()
        return self

    # -- reading what happened --------------------------------------------------------------------

    def open_connections(self) -> list[Connection]:
        """The connections that are up now."""
        with self.lock:
            return [c for c in self.connections if c.open]

    async def wait_connected(self, count: int = 1, timeout: float = 15.0) -> Connection:
        """Wait until the app has opened its ``count``-th connection and it is up."""
        await wait_until(
            lambda: len(self.connections) >= count and self.connections[count - 1].open,
            timeout,
            f"connection {count}",
        )
        return self.connections[count - 1]

    async def wait_closed(self, connection: Connection, timeout: float = 10.0) -> Connection:
        """Wait until ``connection`` is closed (by either side)."""
        await wait_until(lambda: not connection.open, timeout, f"connection {connection.number}")
        return connection

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """Wait until the app has acknowledged ``envelope_id``."""
        await wait_until(lambda: envelope_id in self.acks, timeout, f"ack of {envelope_id}")
        return self.acks[envelope_id]

    # -- what Slack sends -------------------------------------------------------------------------

    def push(
        self, kind: str, payload: JSONDict, *, accepts_response_payload: bool, **extra: Any
    ) -> str:
        """Send an envelope on the newest open connection; returns its envelope_id."""
        envelope_id = f"{uuid.uuid4()}-{next(self._envelope_ids)}"
        frame = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            **extra,
        }
        connection = self._newest()
        with self.lock:
            self.envelopes[envelope_id] = Envelope(
                envelope_id, kind, payload, time.monotonic(), connection.number
            )
        self._run(connection.ws.send_str(json.dumps(frame)))
        return envelope_id

    def slash(self, text: str, *, command: str = "/news", **kwargs: Any) -> str:
        """A slash command (``/news text``) as a ``slash_commands`` envelope."""
        fields = self.slash_command_fields(command, text, **kwargs)
        return self.push("slash_commands", fields, accepts_response_payload=True)

    def event(self, event: JSONDict) -> str:
        """An Events API event (``app_mention``, ``message``, ...) as an ``events_api`` envelope."""
        body = self.event_callback(event)
        return self.push(
            "events_api", body, accepts_response_payload=False, retry_attempt=0, retry_reason=""
        )

    def redeliver(self, envelope_id: str, *, attempt: int = 1) -> str:
        """Send an events_api envelope again, as Slack does when its ack was slow or lost: the
        same payload (so the same ``event_id``), ``retry_attempt`` and ``retry_reason``."""
        payload = self.envelopes[envelope_id].payload
        return self.push(
            "events_api",
            payload,
            accepts_response_payload=False,
            retry_attempt=attempt,
            retry_reason="timeout",
        )

    def press(self, action_id: str, value: str, **kwargs: Any) -> str:
        """A button press as an ``interactive`` envelope carrying ``block_actions``."""
        payload = self.block_actions_payload(action_id, value, **kwargs)
        return self.push("interactive", payload, accepts_response_payload=False)

    def disconnect(self, reason: str = "refresh_requested") -> Connection:
        """Tell the app on the newest connection to reconnect; the connection stays up."""
        connection = self._newest()
        frame = {"type": "disconnect", "reason": reason, "debug_info": {"host": DEBUG_HOST}}
        self._run(connection.ws.send_str(json.dumps(frame)))
        return connection

    def expire_tickets(self) -> None:
        """Every URL handed out so far stops working, as Slack's do after a while."""
        with self.lock:
            self._tickets.clear()

    def drop(self) -> Connection:
        """Cut the newest connection without a close frame (a network failure)."""
        connection = self._newest()
        with self.lock:
            connection.closed_by = "dropped"
        self.call_soon(connection.transport.abort)
        return connection

    def stall(self) -> Connection:
        """The newest connection goes silent: no pongs, no frames read (a dead route)."""
        connection = self._newest()
        with self.lock:
            connection.stalled = True
        return connection

    # -- HTTP and WebSocket -----------------------------------------------------------------------

    def _authenticate(self, request: web.Request, args: JSONDict) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header else args.get("token")
        opening = request.match_info["method"] == "apps.connections.open"
        if token in self.app_tokens:
            if not opening:
                raise SlackError("not_allowed_token_type")
            return
        if opening and token in self.tokens:
            raise SlackError("not_allowed_token_type")
        super()._authenticate(request, args)

    def _connections_open(self, args: JSONDict) -> JSONDict:
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return {"url": f"ws://127.0.0.1:{self._port}/link/?ticket={ticket}&app_id={APP_ID}"}

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        with self.lock:
            if self.refuse_connections:
                return web.Response(status=503, text="service unavailable")
            if ticket not in self._tickets:
                return web.Response(status=401, text="invalid or used ticket")
            self._tickets.discard(ticket)
        # Pongs by hand, so that a stalled connection can leave the app's pings unanswered.
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        with self.lock:
            connection = Connection(
                len(self.connections) + 1, ticket, time.monotonic(), ws, request.transport
            )
            self.connections.append(connection)
            up = sum(1 for c in self.connections if c.open)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": up,
                "debug_info": {
                    "host": DEBUG_HOST,
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": APP_ID},
            }
        )
        try:
            async for message in ws:
                if connection.stalled:
                    continue
                if message.type == WSMsgType.PING:
                    connection.pings += 1
                    await ws.pong(message.data)
                elif message.type == WSMsgType.TEXT:
                    self._received(connection, message.data)
        finally:
            with self.lock:
                connection.closed = time.monotonic()
                connection.close_code = ws.close_code
                connection.closed_by = connection.closed_by or "client"
        return ws

    def _received(self, connection: Connection, data: str) -> None:
        try:
            frame = json.loads(data)
        except ValueError:
            frame = None
        with self.lock:
            if isinstance(frame, dict) and frame.get("envelope_id") in self.envelopes:
                envelope_id = frame["envelope_id"]
                self.acks.setdefault(
                    envelope_id,
                    Ack(envelope_id, frame.get("payload"), time.monotonic(), connection.number),
                )
            else:
                self.strays.append(data)

    # -- helpers ----------------------------------------------------------------------------------

    def _newest(self) -> Connection:
        with self.lock:
            for connection in reversed(self.connections):
                if connection.open and not connection.stalled:
                    return connection
        raise AssertionError("the app has no open Socket Mode connection")

    def _run(self, coro: Any, timeout: float = 5.0) -> Any:
        """Run a coroutine on the server's loop and wait for it (from any other thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)
