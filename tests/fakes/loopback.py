"""The one loopback base every fake in tests/fakes builds on, and waits on conditions.

Two kinds of fake share it:

* API fakes (Telegram, Slack, Socket Mode) subclass :class:`AiohttpLoopback`: an aiohttp
  application on an event loop of its own in a daemon thread, so long polls and WebSockets park
  without holding threads.
* Route-table fakes (news sites, the OpenAI server) subclass :class:`LoopbackServer`: the demo's
  route server (bot/demo/server.py, which may not import tests/), whose routes are plain
  functions that may block, stream byte by byte or hang up, as hostile sites do.

Both bind 127.0.0.1 only (the network guard in tests/conftest.py refuses anything else), have
``base_url``, and are context managers. :func:`wait_until` / :func:`wait_for` replace fixed
sleeps: they poll a condition and fail with what they waited for.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from aiohttp import web

from bot.demo.server import LoopbackServer, Response, Route, static

__all__ = [
    "AiohttpLoopback",
    "LoopbackServer",
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
        return f"http://127.0.0.1:{self._port}"

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
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._port = runner.addresses[0][1]
        self._runner = runner

    async def _close(self) -> None:
        await self.on_shutdown()
        if self._runner is not None:
            await self._runner.cleanup()


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
