"""A small HTTP server on 127.0.0.1 that serves the bundled sample news site.

Its route model (:class:`Response`, :data:`Route`, :func:`static`) is also what the tests' route
fakes serve, on the loopback base in tests/fakes/loopback.py.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(slots=True)
class Response:
    """What a route answers: status, headers and a body (bytes, or chunks to stream)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # answer 304 when the client's validator matches


Route = Callable[[Mapping[str, str]], Response]
# A POST route also gets the request body (read whole, by Content-Length).
PostRoute = Callable[[Mapping[str, str], bytes], Response]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.hits[path] = self.server.hits.get(path, 0) + 1
        route = self.server.routes.get(path)
        response = route(self.headers) if route else Response(404, b"not found")
        self._send(response)

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.hits[path] = self.server.hits.get(path, 0) + 1
        route = self.server.post_routes.get(path)
        response = route(self.headers, body) if route else Response(404, b"not found")
        self._send(replace(response, conditional=False))  # no ETag/304 for a POST

    def _send(self, response: Response) -> None:
        headers = dict(response.headers)
        body = response.body
        if isinstance(body, bytes) and response.status == 200 and response.conditional:
            etag = headers.setdefault("ETag", '"' + hashlib.sha1(body).hexdigest()[:16] + '"')
            modified = headers.get("Last-Modified")
            if self.headers.get("If-None-Match") == etag or (
                modified and self.headers.get("If-Modified-Since") == modified
            ):
                response, body = Response(304), b""
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        if isinstance(body, bytes):
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in body:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, as a capped client should

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo's output is the digest, not access logs


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    post_routes: dict[str, PostRoute]
    hits: dict[str, int]

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-body (a capped fetcher) is not an error here


class LoopbackServer:
    """Serves routes on 127.0.0.1 (or another loopback ``host``) from a background thread; use
    as a context manager."""

    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        port: int = 0,
        *,
        post_routes: dict[str, PostRoute] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self._server = _Server((host, port), _Handler)
        self._server.routes = dict(routes or {})
        self._server.post_routes = dict(post_routes or {})
        self._server.hits = {}
        # A short poll interval: shutdown() waits for it, and tests start and stop many servers.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def routes(self) -> dict[str, Route]:
        """The path → route table; tests may add to it while serving."""
        return self._server.routes

    @property
    def post_routes(self) -> dict[str, PostRoute]:
        """The path → POST route table; tests may add to it while serving."""
        return self._server.post_routes

    @property
    def hits(self) -> dict[str, int]:
        """How many requests each path received."""
        return self._server.hits

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def static(body: bytes, content_type: str, **headers: str) -> Route:
    """A route that always answers the same body."""
    return lambda _headers: Response(200, body, {"Content-Type": content_type, **headers})


def sample_site_routes(base_url: str, now: datetime) -> dict[str, Route]:
    """Every page and feed of the bundled sample news site."""
    from bot.demo import sitegen

    articles = sitegen.load_articles(now)
    modified = format_datetime(now, usegmt=True)
    routes: dict[str, Route] = {}
    for article in articles:
        page = sitegen.render_page(article, base_url, articles).encode("utf-8")
        routes[sitegen.article_path(article)] = static(page, "text/html; charset=utf-8")
    for outlet in sitegen.OUTLETS:
        body, content_type = sitegen.render_feed(outlet, base_url, articles)
        routes[sitegen.feed_path(outlet)] = static(
            body, content_type, **{"Last-Modified": modified, "Cache-Control": "max-age=300"}
        )
        index = sitegen.render_index(outlet, base_url, articles).encode("utf-8")
        routes[f"/{outlet}/"] = static(index, "text/html; charset=utf-8")
    return routes


def feed_urls(base_url: str) -> list[str]:
    """The sample site's feed addresses."""
    from bot.demo import sitegen

    return [base_url + sitegen.feed_path(outlet) for outlet in sitegen.OUTLETS]
