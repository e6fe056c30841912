"""The one loopback base every fake in tests/fakes builds on, and waits on conditions.

:class:`AiohttpLoopback` serves an aiohttp application on an event loop of its own in a daemon
thread, so long polls and WebSockets park without holding threads. Two kinds of fake build on it:

* API fakes (Telegram, Slack, Socket Mode) add aiohttp routes of their own.
* Route-table fakes (news sites, the OpenAI server) are :class:`LoopbackServer`s: a table of
  plain functions (request headers → :class:`Response`, the sample site's route model from
  bot/demo/server.py), each run in a thread of its own, so a route may block, stream byte by
  byte or hang up, as hostile sites do.

Every fake binds a loopback address (the network guard in tests/netguard.py refuses anything
else), has ``base_url`` and is a context manager. :func:`wait_until` / :func:`wait_for` replace
fixed sleeps: they poll a condition and fail with what they waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aiohttp import web

from bot.demo.server import PostRoute, Response, Route, static

__all__ = [
    "AiohttpLoopback",
    "LoopbackServer",
    "PostRoute",
    "Response",
    "Route",
    "static",
    "wait_for",
    "wait_until",
]


class AiohttpLoopback:
    """An aiohttp application served on 127.0.0.1 by an event loop of its own in a daemon thread.

    Subclasses add their routes in :meth:`setup`; handlers run on the server's loop, never the
    test's. State shared with the test thread is guarded by :attr:`lock`. Use as a context
    manager (or call :meth:`start` / :meth:`stop`).
    """

    shutdown_timeout = 2.0
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0

    def setup(self, app: web.Application) -> None:
        """Add routes to the application (called on the server loop before it serves)."""
        raise NotImplementedError

    async def on_shutdown(self) -> None:
        """Release requests held open; called on the server loop before the listener closes."""

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{self.host}:{self._port}"

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server's event loop (running while the server is started)."""
        assert self._loop is not None, "the server is not started"
        return self._loop

    def start(self) -> None:
        """Start serving; returns once the port is bound."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)

    def stop(self) -> None:
        """Answer parked requests, close the listener and the loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(
                timeout=self.shutdown_timeout + 5
            )
        finally:
            self._loop = None
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)
            if not loop.is_running():
                loop.close()

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the server loop, from any thread (no-op when stopped)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback)

    def __enter__(self) -> AiohttpLoopback:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self.setup(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=self.shutdown_timeout)
        await runner.setup()
        await self._site(runner).start()
        self._port = runner.addresses[0][1]
        self._runner = runner

    def _site(self, runner: web.AppRunner) -> web.BaseSite:
        return web.TCPSite(runner, self.host, 0)

    async def _close(self) -> None:
        await self.on_shutdown()
        if self._runner is not None:
            await self._runner.cleanup()


class LoopbackServer(AiohttpLoopback):
    """Serves a route table on 127.0.0.1 (or another loopback ``host``); the port is bound
    at once, so ``base_url`` is known before the server starts.

    A GET route gets the request headers, a POST route the headers and the body; each runs in a
    daemon thread, and a body that is an iterable of chunks is streamed (chunked), each chunk
    taken in a thread too. A 200 with a bytes body carries an ETag and is answered 304 when the
    client's validator matches, unless the Response says ``conditional=False``.
    """

    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        port: int = 0,
        *,
        post_routes: dict[str, PostRoute] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__()
        self.host = host
        self.routes: dict[str, Route] = dict(routes or {})
        self.post_routes: dict[str, PostRoute] = dict(post_routes or {})
        self.hits: dict[str, int] = {}  # requests per path
        self._waiting: set[asyncio.Future[Any]] = set()  # routes still running in threads
        self._sock = socket.create_server((host, port))
        self._port = self._sock.getsockname()[1]

    def setup(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._handle)

    def stop(self) -> None:
        super().stop()
        self._sock.close()

    async def on_shutdown(self) -> None:
        for future in list(self._waiting):  # a route still sleeping: its request ends here
            future.cancel()

    def _site(self, runner: web.AppRunner) -> web.BaseSite:
        return web.SockSite(runner, self._sock)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.raw_path.split("?", 1)[0]
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
        if request.method == "POST":
            body = await request.read()
            post = self.post_routes.get(path)
            response = await self._in_thread(post, request.headers, body) if post else _NOT_FOUND
            response.conditional = False  # no ETag/304 for a POST
        else:
            route = self.routes.get(path)
            response = await self._in_thread(route, request.headers) if route else _NOT_FOUND
        return await self._send(request, response)

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking ``function`` in a daemon thread of its own (a route that sleeps for
        minutes never holds up the process's exit) and await its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def settle(result: Any, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        def run() -> None:
            result, error = None, None
            try:
                result = function(*args)
            except BaseException as exc:  # handed to the awaiting handler
                error = exc
            with contextlib.suppress(RuntimeError):  # the server stopped meanwhile
                loop.call_soon_threadsafe(settle, result, error)

        threading.Thread(target=run, daemon=True).start()
        self._waiting.add(future)
        try:
            return await future
        finally:
            self._waiting.discard(future)

    async def _send(self, request: web.Request, response: Response) -> web.StreamResponse:
        headers = dict(response.headers)
        body = response.body
        status = response.status
        if isinstance(body, bytes) and status == 200 and response.conditional:
            etag = headers.setdefault("ETag", '"' + hashlib.sha1(body).hexdigest()[:16] + '"')
            modified = headers.get("Last-Modified")
            if request.headers.get("If-None-Match") == etag or (
                modified and request.headers.get("If-Modified-Since") == modified
            ):
                status, body = 304, b""
        if isinstance(body, bytes):
            return web.Response(status=status, body=body, headers=headers)
        stream = web.StreamResponse(status=status, headers=headers)
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        chunks: Iterator[bytes] = iter(body if isinstance(body, Iterable) else ())
        try:
            while (chunk := await self._in_thread(next, chunks, _END)) is not _END:
                await stream.write(chunk)
            await stream.write_eof()
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass  # the client stopped reading, as a capped client should
        return stream


_NOT_FOUND = Response(404, b"not found")
_END = object()


async def wait_until(check: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``check`` in the caller's loop until it holds; TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout}s for {what}")
        await asyncio.sleep(0.01)


def wait_for(check: Callable[[], object], timeout: float, what: str) -> None:
    """:func:`wait_until` for synchronous code (a thread, a blocking test)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout}s for {what}")
        time.sleep(0.01)
