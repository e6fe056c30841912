"""SSRF: hostile URLs from a chat are refused, every redirect hop is vetted, and the fetch
connects to the address that was vetted. DNS is a fake resolver; the only server is loopback."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot.ingest.http.fetch import FetchError
from bot.ingest.http.guard import BlockedURL, UrlGuard
from bot.ingest.http.transport import GuardedTransport, guarded_fetcher
from bot.logs import ConsoleFormatter, JsonFormatter
from tests.fakes.loopback import Response
from tests.fakes.newssite import NewsSite

PUBLIC = "93.184.216.34"
PUBLIC6 = "2606:4700:4700::1111"


class FakeDNS:
    """name -> answers; each call takes the next answer and repeats the last. Unknown: NXDOMAIN."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = {name: list(seq) for name, seq in answers.items()}
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        seq = self.answers.get(host)
        if not seq:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return seq.pop(0) if len(seq) > 1 else seq[0]


def table_dns() -> FakeDNS:
    return FakeDNS(
        {
            "public.example": [[PUBLIC]],
            "public6.example": [[PUBLIC6]],
            "rebind.example": [["127.0.0.1"]],
            "metadata.example": [["169.254.169.254"]],
            "mixed.example": [[PUBLIC, "10.0.0.7"]],
            "cgnat.example": [["100.64.1.1"]],
            "v6private.example": [["fd00::1"]],
            "mapped.example": [["::ffff:10.0.0.1"]],
            "zero.example": [["0.0.0.0"]],
            "intranet.example": [["10.9.9.9"]],
            "feeds.corp.example": [["10.20.0.5"]],
        }
    )


HOSTILE: list[tuple[str, str]] = [
    # schemes
    ("file:///etc/passwd", "scheme"),
    ("gopher://127.0.0.1:70/_stats", "scheme"),
    ("ftp://public.example/feed.xml", "scheme"),
    ("dict://127.0.0.1:11211/stat", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("data:text/html,<h1>hi</h1>", "scheme"),
    # IPv4 literals
    ("http://127.0.0.1/", "private"),
    ("http://127.0.0.1:8080/admin", "private"),
    ("http://127.255.255.254/", "private"),
    ("http://127.0.0.1./", "private"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "private"),
    ("http://169.254.170.2/v2/credentials", "private"),
    ("http://100.64.0.1/", "private"),
    ("http://100.127.255.254/", "private"),
    ("http://0.0.0.0/", "private"),
    ("http://224.0.0.1/", "private"),
    ("http://239.255.255.250:1900/", "private"),
    ("http://255.255.255.255/", "private"),
    ("http://240.0.0.1/", "private"),
    ("http://198.18.0.1/", "private"),
    ("http://192.0.2.1/", "private"),
    # IPv6 literals
    ("http://[::1]/", "private"),
    ("http://[::1]:443/", "private"),
    ("http://[::]/", "private"),
    ("http://[::ffff:127.0.0.1]/", "private"),
    ("http://[::ffff:7f00:1]/", "private"),
    ("http://[0:0:0:0:0:ffff:a9fe:a9fe]/", "private"),
    ("http://[::ffff:8.8.8.8]/", "private"),  # mapped is refused even when public
    ("http://[::127.0.0.1]/", "private"),  # IPv4-compatible
    ("http://[fe80::1]/", "private"),
    ("http://[fe80::1%25eth0]/", "malformed"),  # WHATWG takes no zone id
    ("http://[fc00::1]/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://[fec0::1]/", "private"),
    ("http://[ff02::1]/", "private"),
    ("http://[2002:7f00:1::]/", "private"),  # 6to4 around 127.0.0.1
    ("http://[2002:a9fe:a9fe::]/", "private"),  # 6to4 around the metadata address
    ("http://[64:ff9b::a9fe:a9fe]/", "private"),  # NAT64 around the metadata address
    # other spellings of addresses: read as a browser reads them, then vetted as that address
    ("http://2130706433/", "private"),
    ("http://0x7f000001/", "private"),
    ("http://017700000001/", "private"),
    ("http://0177.0.0.1/", "private"),
    ("http://0x7f.0x0.0x0.0x1/", "private"),
    ("http://127.1/", "private"),
    ("http://127.0.1/", "private"),
    ("http://127.000.000.001/", "private"),
    ("http://0/", "private"),
    ("http://2852039166/latest/meta-data/", "private"),  # 169.254.169.254
    ("http://0xa9fea9fe/", "private"),
    ("http://0251.0376.0251.0376/", "private"),
    ("http://1.2.3.4.5/", "malformed"),
    ("http://%31%32%37.0.0.1/", "private"),
    ("http://%6c%6f%63%61%6c%68%6f%73%74/", "private"),
    ("http://１２７.０.０.１/", "private"),  # full-width digits
    ("http://127。0。0。1/", "private"),  # ideographic full stops
    ("http://locａlhost/", "private"),
    # names
    ("http://localhost/", "private"),
    ("http://LOCALHOST./", "private"),
    ("http://api.localhost:9000/", "private"),
    ("http://rebind.example/", "private"),
    ("http://metadata.example/latest/meta-data/", "private"),
    ("http://mixed.example/", "private"),  # one private answer is enough
    ("http://cgnat.example/", "private"),
    ("http://v6private.example/", "private"),
    ("http://mapped.example/", "private"),
    ("http://zero.example/", "private"),
    ("http://intranet.example/feed.xml", "private"),  # not allowlisted here
    # userinfo and parser confusion
    ("http://public.example@127.0.0.1/", "credentials"),
    ("http://user:pass@public.example/", "credentials"),
    ("http://127.0.0.1#@public.example/", "private"),
    ("http://127.0.0.1\\@public.example/", "private"),  # a backslash ends the host
    ("http://127.0.0.1:P\\@public.example/x", "malformed"),  # the port is "P"
    ("http://127.0.0.1\t/", "private"),  # tabs and newlines are dropped, as browsers do
    ("http://", "malformed"),
    ("http://public.example:0/", "malformed"),
    ("http://public.example:99999/", "malformed"),
]


@pytest.mark.parametrize(("url", "reason"), HOSTILE)
async def test_hostile_url_is_refused(url: str, reason: str) -> None:
    with pytest.raises(BlockedURL) as refused:
        await UrlGuard(resolver=table_dns()).check(url)
    assert refused.value.reason == reason
    assert str(refused.value).endswith(".")  # a sentence for the user, not a traceback


def test_the_table_is_big_enough() -> None:
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize(
    ("url", "allow", "expected"),
    [
        ("http://public.example/feed.xml", [], [PUBLIC]),
        ("https://PUBLIC.example./feed.xml", [], [PUBLIC]),
        ("http://public.example:8080/rss", [], [PUBLIC]),
        ("http://public6.example/", [], [PUBLIC6]),
        ("http://8.8.8.8/feed.xml", [], ["8.8.8.8"]),
        ("http://8.8.8.010/feed.xml", [], ["8.8.8.8"]),  # octal, as a browser reads it
        ("http://134744072/", [], ["8.8.8.8"]),
        ("http://[2606:4700:4700::1111]/", [], [PUBLIC6]),
        ("http://10.1.2.3/feed.xml", ["10.1.2.0/24"], ["10.1.2.3"]),
        ("http://intranet.example/feed.xml", ["intranet.example"], ["10.9.9.9"]),
        ("http://feeds.corp.example/", ["*.corp.example"], ["10.20.0.5"]),
        ("http://intranet.example/", ["10.9.0.0/16"], ["10.9.9.9"]),
    ],
)
async def test_public_and_allowlisted_urls_pass(url: str, allow: list[str], expected: list[str]):
    assert await UrlGuard(allow, resolver=table_dns()).check(url) == expected


async def test_allowlist_is_narrow() -> None:
    guard = UrlGuard(["10.1.2.0/24", "intranet.example"], resolver=table_dns())
    for url in ("http://10.1.3.1/", "http://metadata.example/", "http://0x0a010303/"):
        with pytest.raises(BlockedURL):
            await guard.check(url)


def test_a_bad_allowlist_entry_says_what_to_write() -> None:
    with pytest.raises(ValueError, match=r"10\.1\.2\.0/24"):
        UrlGuard(["127.0.0.1:8080"])


async def test_unresolvable_name_is_a_fetch_error_not_a_refusal() -> None:
    with pytest.raises(FetchError) as failed:
        await UrlGuard(resolver=table_dns()).check("http://nowhere.example/")
    assert not isinstance(failed.value, BlockedURL)


# --- connecting to the vetted address ----------------------------------------------------------


async def test_fetch_connects_to_the_vetted_address_not_a_second_answer() -> None:
    dns = FakeDNS({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="<rss/>")

    guard = UrlGuard(resolver=dns)
    async with guarded_fetcher(
        guard, transport=httpx.MockTransport(answer), user_agent="t"
    ) as fetcher:
        result = await fetcher.fetch("https://rebind.example/feed.xml")
        assert result.status == 200 and result.url == "https://rebind.example/feed.xml"
        with pytest.raises(BlockedURL):  # the rebound answer is vetted, and refused
            await fetcher.fetch("https://rebind.example/feed.xml")
    assert dns.calls == ["rebind.example", "rebind.example"]  # one lookup per fetch
    [sent] = seen
    assert sent.url.host == PUBLIC
    assert sent.headers["host"] == "rebind.example"
    assert sent.extensions["sni_hostname"] == "rebind.example"


async def test_next_vetted_address_is_tried_when_the_first_does_not_answer() -> None:
    tried: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.host)
        if len(tried) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200)

    guard = UrlGuard(resolver=FakeDNS({"two.example": [[PUBLIC, "8.8.8.8"]]}))
    transport = GuardedTransport(guard, httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=transport) as client:
        assert (await client.get("http://two.example/")).status_code == 200
    assert tried == [PUBLIC, "8.8.8.8"]


class LoopbackOnly(httpx.AsyncHTTPTransport):
    """Records every request about to be sent; fails the test before any non-loopback connect."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "127.0.0.1":
            raise AssertionError(f"a connection to {request.url.host} was attempted")
        self.sent.append((request.url.host, request.headers["host"]))
        return await super().handle_async_request(request)


async def test_rebinding_against_the_loopback_site(site: NewsSite) -> None:
    # rebind.example answers the allowlisted 127.0.0.1 first, then a private address. The
    # system resolver cannot resolve rebind.example, so a 200 proves nobody looked it up again.
    dns = FakeDNS({"rebind.example": [["127.0.0.1"], ["10.0.0.1"]]})
    inner = LoopbackOnly()
    guard = UrlGuard(["127.0.0.1/32"], resolver=dns)
    port = site.base_url.rsplit(":", 1)[1]
    async with guarded_fetcher(guard, transport=inner, user_agent="t", timeout=3) as fetcher:
        result = await fetcher.fetch(f"http://rebind.example:{port}/good/feed.xml")
    assert result.status == 200 and b"First story" in result.body
    assert dns.calls == ["rebind.example"]
    assert site.hits["/good/feed.xml"] == 1
    assert inner.sent == [("127.0.0.1", f"rebind.example:{port}")]


def _redirect(target: str, status: int = 302) -> object:
    return lambda _headers: Response(status, b"", {"Location": target}, conditional=False)


PRIVATE_HOPS = {
    "/ssrf/metadata": "http://169.254.169.254/latest/meta-data/",
    "/ssrf/ten": "http://10.0.0.1/",
    "/ssrf/named": "http://internal.example/admin",
    "/ssrf/spelled": "http://0xa9fea9fe/",
    "/ssrf/mapped": "http://[::ffff:169.254.169.254]/",
    "/ssrf/loopback-literal": "LOOPBACK/good/feed.xml",
    "/ssrf/scheme": "file:///etc/passwd",
}


@pytest.fixture
def hostile_site(site: NewsSite) -> Iterator[NewsSite]:
    for path, target in PRIVATE_HOPS.items():
        site.routes[path] = _redirect(target.replace("LOOPBACK", site.base_url))  # type: ignore
    site.routes["/ssrf/fine"] = _redirect("/good/feed.xml", 301)  # type: ignore
    yield site


def _public_guard() -> UrlGuard:
    # The test site plays a public web site called public.example; only that name is trusted.
    dns = FakeDNS({"public.example": [["127.0.0.1"]], "internal.example": [["10.0.0.5"]]})
    return UrlGuard(["public.example"], resolver=dns)


@pytest.mark.parametrize("path", sorted(PRIVATE_HOPS))
async def test_redirect_to_a_private_address_is_refused_before_connecting(
    hostile_site: NewsSite, path: str
) -> None:
    inner = LoopbackOnly()
    port = hostile_site.base_url.rsplit(":", 1)[1]
    async with guarded_fetcher(_public_guard(), transport=inner, user_agent="t") as fetcher:
        with pytest.raises(BlockedURL):
            await fetcher.fetch(f"http://public.example:{port}{path}")
    assert hostile_site.hits[path] == 1
    assert inner.sent == [("127.0.0.1", f"public.example:{port}")]  # the first hop only
    assert hostile_site.hits.get("/good/feed.xml") is None


async def test_redirect_within_the_public_site_is_followed(hostile_site: NewsSite) -> None:
    port = hostile_site.base_url.rsplit(":", 1)[1]
    async with guarded_fetcher(_public_guard(), user_agent="t", timeout=3) as fetcher:
        result = await fetcher.fetch(f"http://public.example:{port}/ssrf/fine")
    assert result.status == 200 and result.url.endswith("/good/feed.xml")


async def test_url_httpx_cannot_parse_is_refused_by_the_fetcher() -> None:
    async with guarded_fetcher(UrlGuard(resolver=table_dns()), user_agent="t") as fetcher:
        with pytest.raises(BlockedURL) as refused:
            await fetcher.fetch("http://0177.0.0.1:9/")
    assert (refused.value.reason, refused.value.address) == ("private", "127.0.0.1")


# --- TLS keeps the host name -------------------------------------------------------------------


@pytest.fixture
def tls_site(tmp_path: Path) -> Iterator[tuple[int, ssl.SSLContext, list[str]]]:
    """An https server on 127.0.0.1 whose certificate names only news.example."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", key, "-out", cert, "-subj", "/CN=news.example",
         "-addext", "subjectAltName=DNS:news.example"],
        check=True, capture_output=True,
    )  # fmt: skip
    names: list[str] = []
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    server_ctx.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore

    class Hello(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections alive

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    server.daemon_threads = True
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], ssl.create_default_context(cafile=str(cert)), names
    finally:
        server.shutdown()
        server.server_close()


async def test_tls_verifies_the_host_name_while_connecting_to_the_address(
    tls_site: tuple[int, ssl.SSLContext, list[str]],
) -> None:
    port, client_ctx, names = tls_site
    dns = FakeDNS({"news.example": [["127.0.0.1"]], "other.example": [["127.0.0.1"]]})
    guard = UrlGuard(["127.0.0.1/32"], resolver=dns)
    async with guarded_fetcher(guard, ssl_context=client_ctx, user_agent="t", timeout=3) as fetcher:
        for _ in range(3):
            result = await fetcher.fetch(f"https://news.example:{port}/")
            assert result.body == b"hello"
        # Same address, another name: the kept-alive connection, checked for news.example,
        # must not carry it; a new handshake checks the certificate for other.example.
        with pytest.raises(FetchError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            await fetcher.fetch(f"https://other.example:{port}/")
        assert (await fetcher.fetch(f"https://news.example:{port}/")).body == b"hello"
    # One handshake served news.example's four requests (kept alive), one other.example's.
    assert names == ["news.example", "other.example"]
    assert dns.calls.count("news.example") == 4  # each request vetted anew all the same


# --- the log line ------------------------------------------------------------------------------


async def test_refusal_logs_the_host_and_nothing_secret(caplog: pytest.LogCaptureFixture) -> None:
    guard = UrlGuard(resolver=table_dns())
    with caplog.at_level(logging.WARNING, logger="bot.ingest.http.guard"):
        with pytest.raises(BlockedURL):
            await guard.check("http://metadata.example/latest/meta-data/?token=tok-123456")
        with pytest.raises(BlockedURL):
            await guard.check("http://admin:hunter2-secret@169.254.169.254/?key=abc-987654")
    named, credentials = caplog.records
    assert (named.event, named.reason, named.host, named.address) == (  # type: ignore[attr-defined]
        "url_refused",
        "private",
        "metadata.example",
        "169.254.169.254",
    )
    assert (credentials.reason, credentials.host) == ("credentials", "169.254.169.254")  # type: ignore[attr-defined]
    for record in caplog.records:
        assert record.levelno == logging.WARNING
        for line in (JsonFormatter().format(record), ConsoleFormatter().format(record)):
            for secret in ("tok-123456", "hunter2", "abc-987654", "admin", "meta-data"):
                assert secret not in line


def test_the_reply_is_fit_for_a_user() -> None:
    assert str(BlockedURL("private", "10.0.0.1")) == (
        "That address points inside a private network, so newsbot won't fetch it."
    )
