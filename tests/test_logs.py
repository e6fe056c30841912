"""Logs are structured and never carry a secret."""

from __future__ import annotations

import json
import logging

import pytest

from bot import logs
from bot.config import Settings
from bot.ingest.feeds import parse_feed
from bot.ingest.http.logsafe import log_host, scrub
from bot.ingest.poll import Poller
from bot.polling import make_fetcher, poll_fetcher
from bot.store import Store
from tests.fakes.loopback import Response, Route, static
from tests.fakes.newssite import RSS, NewsSite, rss, trickling


def test_secrets_are_masked_in_json_and_console_lines(capsys: pytest.CaptureFixture[str]) -> None:
    token = "123456:AAE-fake-telegram-token"
    logs.register_secret(token)
    for fmt in ("json", "console"):
        logs.configure("INFO", fmt)
        log = logging.getLogger("newsbot.test")
        log.warning("calling https://api.telegram.org/bot%s/getMe", token, extra={"token": token})
        try:
            raise RuntimeError(f"auth failed for {token}")
        except RuntimeError:
            log.exception("request failed")
    err = capsys.readouterr().err
    assert token not in err
    assert err.count("***") >= 6
    first = json.loads(err.splitlines()[0])
    assert first["level"] == "warning" and first["logger"] == "newsbot.test"
    assert first["token"] == "***"


def test_short_values_are_not_registered() -> None:
    logs.register_secret("abc")
    assert logs.redact("abc def") == "abc def"


# --- polling: a private feed's key never reaches a log line -----------------------------------

SECRET = "SECRET123"
PARAGRAPH = "<p>The harbour authority said container volumes rose again this autumn.</p>"
PAGE = f"<html><body><article><h1>Harbour</h1>{PARAGRAPH * 12}</article></body></html>".encode()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _redirect(target: str) -> Route:
    return lambda _headers: Response(302, b"", {"Location": target}, conditional=False)


def _private_feeds(site: NewsSite) -> dict[str, str]:
    """Feeds whose addresses, and whose article links, carry the key; one way each can go wrong."""
    key = f"key={SECRET}&token=tok-{SECRET}"
    base = site.base_url
    host_port = base.removeprefix("http://")
    # Escaped for the XML: rss() writes links as they are.
    good, missing, slow, plain = (
        f"{base}/private/{name}.html?{key.replace('&', '&amp;')}"
        for name in ("a", "gone", "slow", "plain")
    )
    site.routes["/private/a.html"] = site.routes["/private/plain.html"] = static(PAGE, "text/html")
    site.routes["/private/slow.html"] = trickling(PAGE, "text/html")
    site.routes["/private/feed.xml"] = static(
        rss([("a", good, "Harbour"), ("gone", missing, "Gone")], "Private"), RSS
    )
    site.routes["/private/plain.xml"] = static(rss([("p", plain, "Plain")]), "text/plain")
    site.routes["/private/slow.xml"] = static(rss([("s", slow, "Slow")]), RSS)
    site.routes["/private/crash.xml"] = static(rss([("c", good, "Crash")]), RSS)
    site.routes["/private/loop-a.xml"] = _redirect(f"{base}/private/loop-b.xml?{key}")
    site.routes["/private/loop-b.xml"] = _redirect(f"{base}/private/loop-a.xml?{key}")
    return {
        "polled": f"{base}/private/feed.xml?{key}",
        "userinfo": f"http://reader:{SECRET}@{host_port}/private/feed.xml",
        "failed": f"{base}/broken/404.xml?{key}",
        "warning": f"{base}/private/plain.xml?{key}",
        "out of time": f"{base}/private/slow.xml?{key}",
        "crashed": f"{base}/private/crash.xml?{key}",
        "redirect loop": f"{base}/private/loop-a.xml?{key}",
    }


@pytest.mark.parametrize("guarded", [True, False], ids=["guarded", "plain"])
async def test_poll_logs_name_feeds_by_id_and_host_never_by_their_secret_urls(
    store: Store,
    settings: Settings,
    site: NewsSite,
    guarded: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    urls = _private_feeds(site)
    ids = {name: (await store.add_feed(url))[0].id for name, url in urls.items()}

    def crashing_parse(body: bytes, url: str, *args: object, **kwargs: object) -> object:
        if "/crash.xml" in url:
            raise RuntimeError(f"parser bug while reading {url}")
        return parse_feed(body, url, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("bot.ingest.poll.parse_feed", crashing_parse)
    logs.configure("INFO", "json")
    collect = _Collect()
    logging.getLogger().addHandler(collect)
    # Long enough for the healthy feeds on a loaded machine; the trickling one never finishes.
    ingest = settings.ingest.model_copy(update={"feed_time_budget_seconds": 6.0})
    fetcher = poll_fetcher(settings) if guarded else make_fetcher(settings)
    async with fetcher:
        report = await Poller(store, fetcher, ingest).poll_due()

    # Every path the brief names was taken.
    by_url = {f.url: f for f in report.feeds}
    # Unguarded, the userinfo feed is the same feed polled at the same time: whichever of the
    # two stores the articles first has them as new.
    same = [by_url[urls["polled"]]] + ([] if guarded else [by_url[urls["userinfo"]]])
    assert sum(f.new for f in same) == 2 and all(f.from_feed_text == 1 for f in same)
    assert by_url[urls["failed"]].error == "HTTP 404 Not Found"
    assert by_url[urls["out of time"]].out_of_time == "feed"
    assert "redirect loop" in (by_url[urls["redirect loop"]].error or "")
    assert "internal error: RuntimeError" in (by_url[urls["crashed"]].error or "")
    poll_records = [r for r in collect.records if r.name == "newsbot.poll"]
    by_message: dict[str, list[logging.LogRecord]] = {}
    for record in poll_records:
        by_message.setdefault(record.getMessage(), []).append(record)
    expected = {
        "feed polled",
        "feed failed",
        "feed parsed with a warning",
        "feed poll out of time: what is left waits for the next poll",
        "feed poll crashed",
        "article page failed, using the feed's text",
    }
    if guarded:  # the guard refuses a password in a URL; the plain fetcher sends it
        expected.add("feed refused by the SSRF guard")
        assert by_url[urls["userinfo"]].error
    else:
        assert by_url[urls["userinfo"]].error is None
    assert expected <= set(by_message)
    for record in poll_records:
        assert getattr(record, "host", None) == "127.0.0.1", record.getMessage()
        if record.getMessage() != "host out of time: its other feeds wait for the next round":
            assert getattr(record, "feed_id", None) in ids.values(), record.getMessage()
    failed = {r.feed_id for r in by_message["feed failed"]}  # type: ignore[attr-defined]
    assert {ids["failed"], ids["crashed"], ids["redirect loop"]} <= failed
    (loop_line,) = [r for r in by_message["feed failed"] if r.feed_id == ids["redirect loop"]]  # type: ignore[attr-defined]
    assert loop_line.error == f"redirect loop at {site.base_url}/…"  # type: ignore[attr-defined]
    (crash,) = by_message["feed poll crashed"]
    assert "parser bug while reading http://127.0.0.1:" in crash.error  # type: ignore[attr-defined]
    assert "Traceback" in crash.traceback and crash.exc_info is None  # type: ignore[attr-defined]

    # Nothing anywhere: message, arguments, extra fields, and both formatted lines.
    assert collect.records
    for record in collect.records:
        values = [record.getMessage(), repr(record.args), *map(repr, vars(record).values())]
        lines = [logs.JsonFormatter().format(record), logs.ConsoleFormatter().format(record)]
        for text in values + lines:
            assert SECRET not in text, text
    assert SECRET not in capsys.readouterr().err


def test_urls_in_error_text_are_cut_to_scheme_and_host() -> None:
    text = (
        "redirect loop at https://reader:pw-SECRET123@Feeds.example:8443/rss?key=SECRET123 "
        "parameters ('http://[::1]:8080/a?token=SECRET123', 3) <http://bad:99999/x#SECRET123>"
    )
    assert scrub(text) == (
        "redirect loop at https://feeds.example:8443/… "
        "parameters ('http://[::1]:8080/…', 3) <http://…>"
    )
    assert log_host("https://reader:pw-SECRET123@Feeds.example/rss?key=SECRET123") == (
        "feeds.example"
    )
