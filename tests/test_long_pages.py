"""Long pages: the text one article contributes is capped, visibly; CPU work runs off the event
loop under a time limit, so a huge page never holds up anyone else's answer."""

from __future__ import annotations

import html
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cpu
from bot.config import Settings
from bot.demo import sitegen
from bot.ingest.articles import cap_text
from bot.store import Store, utcnow
from tests.chatbot import ChatBot, make_core
from tests.fakes.loopback import LoopbackServer, static
from tests.fakes.newssite import NewsSite
from tests.fakes.telegram_api import BotAPIServer, start_newsbot_run

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"
TITLE = "Everything the Loopback Tribune ever printed"
PARAGRAPHS = [p for a in sitegen.load_articles(utcnow()) for p in a.paragraphs]


def big_page(size: int) -> bytes:
    """An HTML article page of about ``size`` bytes: the sample site's paragraphs, repeated."""
    head = (
        f"<!doctype html><html><head><title>{TITLE}</title></head><body><article><h1>{TITLE}</h1>"
    ).encode()
    parts, total, i = [head], len(head), 0
    while total < size:
        part = f"<p>{html.escape(PARAGRAPHS[i % len(PARAGRAPHS)])}</p>\n".encode()
        parts.append(part)
        total += len(part)
        i += 1
    parts.append(b"</article></body></html>")
    return b"".join(parts)


def test_cap_text_ends_at_a_break_and_says_how_long_the_text_was() -> None:
    text = "\n".join(PARAGRAPHS)
    capped = cap_text(text, 5000)
    assert capped.cut_from == len(text)
    assert 4500 <= len(capped.text) <= 5000
    assert text.startswith(capped.text)
    assert text[len(capped.text)] in " \n"  # no word cut in half
    assert cap_text("short text", 5000) == cap_text("short text", 5000)
    assert cap_text("short text", 5000).cut_from is None


async def test_ingest_cuts_long_articles_and_logs_it(
    store: Store, settings: Settings, site: NewsSite, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.chatbot import fill

    capped = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"max_article_chars": 1500})}
    )
    with caplog.at_level(logging.INFO, logger="newsbot.poll"):
        await fill(store, site, capped)
    articles = await store.articles_since(None, until=utcnow())
    assert articles and all(len(a.text) <= 1500 for a in articles)
    cuts = [r for r in caplog.records if r.getMessage() == "article text cut to the cap"]
    longer = [a for a in sitegen.load_articles(utcnow()) if len("\n".join(a.paragraphs)) > 1600]
    assert len(cuts) >= len(longer) > 0
    assert all(r.kept <= 1500 < r.chars for r in cuts)  # type: ignore[attr-defined]
    # What was kept is the article's beginning.
    huawei = next(a for a in articles if "HarmonyOS" in a.title)
    assert huawei.text.startswith(PARAGRAPHS[0][:100])


async def test_summary_of_a_huge_page_reads_its_beginning_and_says_so(
    store: Store, settings: Settings, site: NewsSite
) -> None:
    site.routes["/archive.html"] = static(big_page(3_000_000), "text/html; charset=utf-8")
    bot = ChatBot(make_core(store, settings, allow=["127.0.0.0/8"]), store, site, settings)
    reply = await bot.reply(f"/summary {site.url('/archive.html')}")
    out = reply.plain()
    assert reply.ok, out
    assert TITLE in out
    assert "This text is long: I read only its first" in out
    assert PARAGRAPHS[0].split(",")[0] in out  # the lead's first sentence
    assert "“" in out  # a key quote with its speaker
    await bot.core.aclose()


async def test_a_summary_past_the_time_limit_gets_a_short_answer_and_the_bot_goes_on(
    store: Store,
    settings: Settings,
    site: NewsSite,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A cap high enough that the whole 9 MB page is parsed: seconds of work, past 1 s.
    roomy = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"max_article_chars": 500_000})}
    )
    site.routes["/archive.html"] = static(big_page(9_000_000), "text/html; charset=utf-8")
    path = next(p for p in site.routes if "huawei" in p and p.endswith(".html"))
    pool = cpu.CpuPool(1, timeout=1.0)
    monkeypatch.setattr(cpu, "_shared", pool)
    bot = ChatBot(make_core(store, roomy, allow=["127.0.0.0/8"]), store, site, roomy)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="newsbot"):
            reply = await bot.reply(f"/summary {site.url('/archive.html')}")
        assert time.monotonic() - started < 10
        assert not reply.ok
        assert reply.plain() == (
            "That page is too long to summarise here.\nTry the link of a single, shorter article."
        )
        assert any(r.getMessage() == "page summary too slow" for r in caplog.records)
        fine = await bot.reply(f"/summary {site.url(path)}")
        assert fine.ok and "Huawei brings HarmonyOS laptops to Europe" in fine.plain()
    finally:
        await bot.core.aclose()
        pool.close()


def test_newsbot_summarize_of_a_huge_text_file_says_it_read_the_beginning(
    tmp_path: Path,
) -> None:
    path = tmp_path / "book.txt"
    path.write_text(TITLE + "\n" + "\n".join(PARAGRAPHS * 60))  # about 3 MB
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/newsbot.db"\n')
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "summarize", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(TITLE + "\n")
    assert "(This text is long: I read only its first 99," in done.stdout
    assert "” — Zoë Lefèvre" in done.stdout


# `newsbot run` on Telegram: /help while a 10 MB page is summarised ----------------------------


@pytest.fixture
def tg_server() -> Iterator[BotAPIServer]:
    with BotAPIServer() as server:
        yield server


def answered(server: BotAPIServer, chat: int, within: float) -> float | None:
    """Seconds until ``chat`` got its first message, or None when it got none in time."""
    started = time.monotonic()
    while not server.sent[chat]:
        if time.monotonic() - started > within:
            return None
        time.sleep(0.01)
    return time.monotonic() - started


def test_help_is_answered_within_a_second_while_a_10_mb_page_is_summarised(
    tmp_path: Path, tg_server: BotAPIServer
) -> None:
    page = big_page(9_900_000)  # a 10 MB page, within [ingest] max_body_bytes
    with LoopbackServer() as site:
        site.routes["/archive.html"] = static(page, "text/html; charset=utf-8")
        proc = start_newsbot_run(
            tg_server, tmp_path, TOKEN, ingest='allow_private = ["127.0.0.1"]\n'
        )
        try:
            deadline = time.monotonic() + 30
            tg_server.user_says(42, "/help", user_id=42)  # the bot is up and answering
            assert answered(tg_server, 42, within=10) is not None

            tg_server.user_says(7, f"/summary {site.base_url}/archive.html", user_id=7)
            while not site.hits.get("/archive.html") and time.monotonic() < deadline:
                time.sleep(0.01)
            assert site.hits.get("/archive.html"), "the page was not fetched"
            # While the page is read and summarised, other chats ask for /help.
            waits: list[float | None] = []
            chat = 100
            while not tg_server.sent[7] and time.monotonic() < deadline:
                tg_server.user_says(chat, "/help", user_id=chat)
                waits.append(answered(tg_server, chat, within=1.0))
                chat += 1
                time.sleep(0.2)
            summary = tg_server.sent[7]
            assert summary, "no answer to /summary within 30 s"
            assert waits, "the summary came back before /help could be sent"
            assert all(w is not None for w in waits), waits  # each /help within 1 s
            text = summary[0]["plain"]
            assert text.startswith(TITLE)
            assert "This text is long: I read only its first" in text
            assert PARAGRAPHS[0].split(",")[0] in text
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        finally:
            proc.kill()
    assert proc.returncode == 0, err
    assert "document read only in part" in err


async def test_a_feed_page_past_the_time_limit_keeps_the_feed_s_text(
    store: Store, settings: Settings, site: NewsSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.ingest.poll import Poller
    from bot.models import TextSource
    from bot.polling import poll_fetcher
    from tests.fakes.newssite import RSS, rss

    roomy = settings.ingest.model_copy(update={"max_article_chars": 500_000})
    site.routes["/archive.html"] = static(big_page(9_000_000), "text/html; charset=utf-8")
    path = next(p for p in site.routes if "huawei" in p and p.endswith(".html"))
    items = [("a", site.url("/archive.html"), TITLE), ("h", site.url(path), "Huawei laptops")]
    site.routes["/long/feed.xml"] = static(rss(items), RSS)
    await store.add_feed(site.url("/long/feed.xml"))
    pool = cpu.CpuPool(1, timeout=1.0)
    monkeypatch.setattr(cpu, "_shared", pool)
    try:
        async with poll_fetcher(settings) as fetcher:
            report = await Poller(store, fetcher, roomy).poll_due()
    finally:
        pool.close()
    assert report.new == 2 and not report.failed
    stored = {a.title: a for a in await store.articles_since(None, until=utcnow())}
    assert stored[TITLE].text_source == TextSource.FEED
    assert stored[TITLE].text == f"Feed summary of {TITLE}."
    assert stored["Huawei laptops"].text_source == TextSource.PAGE
