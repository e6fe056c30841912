"""One URL policy at every door: more than 100 hostile URLs through each entrance newsbot has,
`newsbot summarize URL`, `newsbot feeds add`, `newsbot feeds import`, the chat's /summary and
/feeds add, and the poller (feeds and their article links), with a listener on loopback that
must see no connection.

The hostile URLs point at a catch-all listener on 127.0.0.1 (and ::1) in every spelling there
is; others aim at private and metadata addresses, at names that resolve inside (through the
guard's resolver hook, never real DNS), or at a site the operator allows (``public.example``,
trusted by name in ``[ingest] allow_private``) that redirects inside. Every connection the test
process attempts is recorded at the socket: the only one allowed is to that redirecting site.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.chat.command import ChatContext, parse_command
from bot.cli import main
from bot.config import Settings, load_settings
from bot.config_sections import BotSettings
from bot.ingest.http.guard import MESSAGES
from bot.ingest.http.urls import canonicalize_url
from bot.ingest.poll import Poller
from bot.polling import import_feeds, poll_fetcher
from bot.store import Store
from tests.chatbot import BOT_NAME, make_core
from tests.fakes.loopback import LoopbackServer, Response, Route, static
from tests.fakes.newssite import RSS, rss

OWNER = ChatContext("telegram", "-100", "42", is_admin=True)


class Listener:
    """A catch-all TCP listener on 127.0.0.1 (and ::1, same port, where there is IPv6) that
    counts every connection made to it."""

    def __init__(self) -> None:
        self.connections = 0
        self.sockets = [socket.create_server(("127.0.0.1", 0))]
        self.port = self.sockets[0].getsockname()[1]
        with contextlib.suppress(OSError):  # without IPv6 loopback the recorder still sees all
            self.sockets.append(socket.create_server(("::1", self.port), family=socket.AF_INET6))
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._serve, args=(s,)) for s in self.sockets]
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    def _serve(self, server: socket.socket) -> None:
        server.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        for server in self.sockets:
            server.close()


@dataclass
class World:
    """The listener (port P), the allowed redirecting site (port R), every connect attempted."""

    listener: Listener
    site: LoopbackServer
    connects: list[tuple[str, int]]

    @property
    def allowed(self) -> set[tuple[str, int]]:
        return {("127.0.0.1", int(self.site.base_url.rsplit(":", 1)[1]))}

    def urls(self) -> list[str]:
        port = self.site.base_url.rsplit(":", 1)[1]
        return [u.replace("{P}", str(self.listener.port)).replace("{R}", port) for u in HOSTILE]

    def assert_untouched(self) -> None:
        assert self.listener.connections == 0
        assert [c for c in self.connects if c not in self.allowed] == []


PUBLIC = "93.184.216.34"
DNS = {
    "public.example": ["127.0.0.1"],  # the allowed site: trusted by name, so it may be loopback
    "inside.example": ["127.0.0.1"],
    "rebind.example": ["127.0.0.1"],
    "v6.example": ["::1"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "mixed.example": [PUBLIC, "127.0.0.1"],
    "zero.example": ["0.0.0.0"],
    "meta.example": ["169.254.169.254"],
    "metadata.google.internal": ["169.254.169.254"],
    "ten.example": ["10.0.0.5"],
    "cgnat.example": ["100.64.1.1"],
    "127.0.0.1.nip.example": ["127.0.0.1"],
    "v6private.example": ["fd00::5"],
}

# Redirects served by the allowed site: path -> Location (P: the listener's port).
REDIRECTS = {
    "/r/literal": "http://127.0.0.1:{P}/",
    "/r/decimal": "http://2130706433:{P}/",
    "/r/octal": "http://0177.0.0.1:{P}/",
    "/r/v6": "http://[::1]:{P}/",
    "/r/mapped": "http://[::ffff:7f00:1]:{P}/",
    "/r/localhost": "http://localhost:{P}/",
    "/r/named": "http://inside.example:{P}/",
    "/r/metadata": "http://169.254.169.254/latest/meta-data/",
    "/r/file": "file:///etc/passwd",
    "/r/gopher": "gopher://127.0.0.1:{P}/_stats",
    "/r/userinfo": "http://user:pass@127.0.0.1:{P}/",
    "/r/scheme-relative": "//127.0.0.1:{P}/",
    "/r/fullwidth": "http://%EF%BC%91%EF%BC%92%EF%BC%97.0.0.1:{P}/",
    "/r/hop": "/r/literal",  # a hop within the allowed site, then inside
    "/r/ten": "http://10.0.0.1/",
}

HOSTILE: list[str] = [
    # loopback, every spelling
    "http://127.0.0.1:{P}/",
    "http://127.1:{P}/",
    "http://127.0.1:{P}/",
    "http://2130706433:{P}/",
    "http://0x7f000001:{P}/",
    "http://0x7f.0x0.0x0.0x1:{P}/",
    "http://0x7F.1:{P}/",
    "http://017700000001:{P}/",
    "http://0177.0.0.1:{P}/",
    "http://0177.1:{P}/",
    "http://127.000.000.001:{P}/",
    "http://127.0.0.1.:{P}/",
    "http://127.1.1.1:{P}/",
    "http://0:{P}/",
    "http://0.0.0.0:{P}/",
    "http://[::1]:{P}/",
    "http://[::]:{P}/",
    "http://[0:0:0:0:0:0:0:1]:{P}/",
    "http://[::ffff:7f00:1]:{P}/",
    "http://[::ffff:127.0.0.1]:{P}/",
    "http://[0:0:0:0:0:ffff:7f00:1]:{P}/",
    "http://[::127.0.0.1]:{P}/",
    "http://[2002:7f00:1::]:{P}/",
    "http://[64:ff9b::7f00:1]:{P}/",
    "http://localhost:{P}/",
    "http://localhost.:{P}/",
    "http://LOCALHOST:{P}/",
    "http://api.localhost:{P}/",
    "http://locａlhost:{P}/",
    "http://１２７.０.０.１:{P}/",
    "http://127。0。0。1:{P}/",
    "http://127．0．0．1:{P}/",
    "http://127｡0｡0｡1:{P}/",
    "http://%31%32%37.0.0.1:{P}/",
    "http://%6c%6f%63%61%6c%68%6f%73%74:{P}/",
    "http://127.0.0.1%2e:{P}/",
    "HTTP://127.0.0.1:{P}/",
    "https://127.0.0.1:{P}/",
    "http:127.0.0.1:{P}/",
    "http:/127.0.0.1:{P}/",
    "http:\\\\127.0.0.1:{P}/",
    " http://127.0.0.1:{P}/ ",
    "http://127.0.0.1:{P}/%2e%2e/admin?x=1#y",
    # userinfo and parser confusion
    "http://public.example@127.0.0.1:{P}/",
    "http://public.example:{R}@127.0.0.1:{P}/",
    "http://user:pass@127.0.0.1:{P}/",
    "http://user:pass@public.example:{R}/feed.xml",
    "http://127.0.0.1:{P}\\@public.example:{R}/",
    "http://127.0.0.1:{P}#@public.example:{R}/",
    "http://127.0.0.1:{P}?@public.example:{R}/",
    "http://public.example:{R}@@127.0.0.1:{P}/",
    "http://127.0.0.1:P\\@public.example/x",
    "http://a@b@127.0.0.1:{P}/",
    "http://%40@127.0.0.1:{P}/",
    "http://[::1",
    "http://",
    "http://127.0.0.1:99999/",
    "http://127.0.0.1:0/",
    # schemes
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "javascript:alert(1)",
    "gopher://127.0.0.1:{P}/_stats",
    "ftp://127.0.0.1:{P}/feed.xml",
    "dict://127.0.0.1:{P}/stat",
    "data:text/html,<h1>hi</h1>",
    "ws://127.0.0.1:{P}/",
    "jar:http://127.0.0.1:{P}/!/",
    "view-source:http://127.0.0.1:{P}/",
    "feed://127.0.0.1:{P}/",
    # private and metadata addresses
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "http://2852039166/latest/meta-data/",
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
    "http://192.0.0.8/",
    # names that resolve inside
    "http://inside.example:{P}/",
    "http://INSIDE.EXAMPLE.:{P}/",
    "http://rebind.example:{P}/",
    "http://v6.example:{P}/",
    "http://mapped.example:{P}/",
    "http://mixed.example:{P}/",
    "http://zero.example:{P}/",
    "http://127.0.0.1.nip.example:{P}/",
    "http://meta.example/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://ten.example/",
    "http://cgnat.example/",
    "http://v6private.example/",
    # redirects from the allowed site
    *(f"http://public.example:{{R}}{path}" for path in REDIRECTS),
]


def test_the_table_is_big_enough() -> None:
    assert len(HOSTILE) >= 100 and len(set(HOSTILE)) == len(HOSTILE)


def _redirect(target: str) -> Route:
    return lambda _headers: Response(302, b"", {"Location": target}, conditional=False)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    listener = Listener()
    routes = {
        path: _redirect(target.replace("{P}", str(listener.port)))
        for path, target in REDIRECTS.items()
    }
    connects: list[tuple[str, int]] = []
    real_connect = socket.socket.connect

    def recorded(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            connects.append((str(address[0]), int(address[1])))  # type: ignore[index]
        return real_connect(self, address)  # type: ignore[arg-type]

    async def resolver(host: str, port: int) -> list[str]:
        if host not in DNS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return DNS[host]

    monkeypatch.setattr("bot.ingest.http.guard.system_resolver", resolver)
    with LoopbackServer(routes) as site:
        monkeypatch.setattr(socket.socket, "connect", recorded)
        try:
            yield World(listener, site, connects)
        finally:
            monkeypatch.undo()
            listener.close()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n'
        f'[ingest]\nfeeds_file = "{tmp_path}/none.opml"\nallow_private = ["public.example"]\n'
        "timeout_seconds = 3\n"
    )
    monkeypatch.setenv("NEWSBOT_CONFIG", str(path))
    return path


def _one_refusal_line(err: str) -> bool:
    lines = err.splitlines()
    return len(lines) == 1 and "refused: " in lines[0] and "Traceback" not in err


def test_cli_summarize_refuses_every_one(
    world: World, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = []
    for url in world.urls():
        code = main(["summarize", url])
        out, err = capsys.readouterr()
        if code != 2 or out or not err.startswith("newsbot summarize: refused: "):
            wrong.append((url, code, out[:80], err))
        elif not _one_refusal_line(err):
            wrong.append((url, code, "not one line", err))
    assert wrong == []
    world.assert_untouched()


def test_cli_feeds_add_refuses_every_one_and_stores_nothing(
    world: World, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = []
    for url in world.urls():
        code = main(["feeds", "add", url])
        out, err = capsys.readouterr()
        if code != 2 or out or not err.startswith("newsbot feeds add: refused: "):
            wrong.append((url, code, out[:80], err))
        elif not _one_refusal_line(err):
            wrong.append((url, code, "not one line", err))
    assert wrong == []
    assert main(["feeds", "list"]) == 0
    assert "No feeds yet" in capsys.readouterr().out
    world.assert_untouched()


def test_cli_feeds_import_leaves_every_one_out(
    world: World, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = world.urls()
    root = ET.Element("opml", version="2.0")
    body = ET.SubElement(root, "body")
    for url in urls:
        ET.SubElement(body, "outline", {"text": "x", "xmlUrl": url})
    good = world.site.base_url.replace("127.0.0.1", "public.example") + "/feed.xml"
    world.site.routes["/feed.xml"] = static(rss([], "Fine"), RSS)
    ET.SubElement(body, "outline", {"text": "fine", "xmlUrl": good})
    path = tmp_path / "hostile.opml"
    path.write_bytes(ET.tostring(root, encoding="utf-8"))

    assert main(["feeds", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    urls = list(dict.fromkeys(u.strip() for u in urls))  # the file's outlines, each once
    assert out == "Imported 1 new feeds (0 already known).\n"
    header, *lines = err.splitlines()
    assert header == f"Left out {len(urls)} feeds:"
    assert len(lines) == len(urls)  # one line each
    assert all(": refused: " in line for line in lines) and "Traceback" not in err
    assert main(["feeds", "list"]) == 0
    listing = capsys.readouterr().out
    assert "public.example" in listing and listing.count("\n") <= 3
    world.assert_untouched()


async def test_starter_feeds_of_a_first_run_leave_every_one_out(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`newsbot run` stores its starter feeds (app.import_feeds) through the same door."""
    root = ET.Element("opml", version="2.0")
    body = ET.SubElement(root, "body")
    for url in world.urls():
        ET.SubElement(body, "outline", {"text": "x", "xmlUrl": url})
    good = world.site.base_url.replace("127.0.0.1", "public.example") + "/feed.xml"
    world.site.routes["/feed.xml"] = static(rss([], "Fine"), RSS)
    ET.SubElement(body, "outline", {"text": "fine", "xmlUrl": good})
    path = tmp_path / "starter.opml"
    path.write_bytes(ET.tostring(root, encoding="utf-8"))
    settings = _settings(tmp_path)
    store = await Store.open(settings.store_url())
    try:
        imported = await import_feeds(store, settings, path)
        feeds = [f.url for f in await store.list_feeds()]
    finally:
        await store.close()
    urls = list(dict.fromkeys(u.strip() for u in world.urls()))
    assert imported.added == 1 and feeds == [canonicalize_url(good) or good]
    assert len(imported.refused) == len(urls)
    left_out = [r for r in caplog.records if r.getMessage() == "starter feed left out"]
    assert len(left_out) == len(urls)
    assert all(str(getattr(r, "why", "")).startswith("refused: ") for r in left_out)
    world.assert_untouched()


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        store={"url": f"sqlite:///{tmp_path}/chat.db"},
        bot=BotSettings(owners=["telegram:42"]),
        ingest={
            "timeout_seconds": 3.0,
            "feeds_file": str(tmp_path / "none.opml"),
            "allow_private": ["public.example"],
        },
    )


def _starts_with_a_refusal(text: str) -> bool:
    return any(text.startswith(message) for message in MESSAGES.values())


async def test_chat_summary_and_feeds_add_refuse_every_one(world: World, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store = await Store.open(settings.store_url())
    core = make_core(store, settings, allow=settings.ingest.allow_private)
    wrong = []
    try:
        for url in world.urls():
            for command in ("/summary", "/feeds add"):
                parsed = parse_command(f"{command} {url.strip()}", bot_name=BOT_NAME)
                assert parsed is not None
                reply = await core.handle(parsed, OWNER)
                if reply.ok or not _starts_with_a_refusal(reply.plain()):
                    wrong.append((command, url, reply.plain()[:200]))
        assert await store.list_feeds() == []
    finally:
        await core.aclose()
        await store.close()
    assert wrong == []
    world.assert_untouched()


async def test_the_poller_refuses_every_feed_and_article_link(world: World, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store = await Store.open(settings.store_url())
    urls = world.urls()
    items = [(f"n{i}", url.strip(), f"Story {i}") for i, url in enumerate(urls)]
    world.site.routes["/links.xml"] = static(rss(items, "Hostile links"), RSS)
    try:
        for url in urls:  # stored behind the doors' back, as an older version may have
            await store.add_feed(url)
        links_feed = world.site.base_url.replace("127.0.0.1", "public.example") + "/links.xml"
        await store.add_feed(links_feed)
        async with poll_fetcher(settings) as fetcher:
            report = await Poller(store, fetcher, settings.ingest).poll_due()
        feeds = {f.url: f for f in await store.list_feeds()}
        articles = await store.articles_since(None)
    finally:
        await store.close()
    assert len(report.failed) == len(urls)
    assert all((feeds[u].last_error or "").startswith("refused: ") for u in urls)
    assert feeds[links_feed].error_count == 0
    # Every entry stored with the feed's own text; no link was fetched.
    links = {canonicalize_url(u) for u in urls} - {None}  # many spellings, one URL
    assert len(articles) >= len(links) >= 50
    assert all(a.text.startswith("Feed summary of Story") for a in articles)
    world.assert_untouched()


def test_the_allowed_site_itself_is_reached(world: World, config: Path, capsys) -> None:
    """The control: the listener and the recorder do see what the guard lets through."""
    settings = load_settings(None)
    assert settings.ingest.allow_private == ["public.example"]
    port = world.listener.port
    config.write_text(config.read_text().replace('["public.example"]', '["127.0.0.1"]'))
    main(["summarize", f"http://127.0.0.1:{port}/"])  # allowed: the listener hangs up
    capsys.readouterr()
    assert world.listener.connections == 1
    assert ("127.0.0.1", port) in world.connects
