"""An errbot-style test bot: chat commands in, console text out, one line per test.

    async def test_company(testbot: ChatBot) -> None:
        assert "Huawei" in await testbot.exec("/company huawei")
        assert "admins" in await testbot.exec("/settings time 9:00", as_=MEMBER)

The bot's store is filled through the real ingest path (app.poll_once: fetch, extract, cluster,
index) from the sample news site served on 127.0.0.1. Import the fixture into a test module:
``from tests.chatbot import ChatBot, testbot_fixture  # noqa: F401``.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import chat_fetcher_factory
from bot.chat.command import ChatContext, parse_command
from bot.chat.console import for_command_line, render_reply
from bot.chat.core import CommandCore
from bot.config import Settings
from bot.config_sections import LLMSettings, SummarizerSettings
from bot.demo.server import feed_urls
from bot.digest.build import digest_reply
from bot.digest.rank import DigestPlan, Ranked, Section
from bot.digest.views import UTC_ZONE
from bot.ingest.poll import PollReport
from bot.models import Story, Summary
from bot.nlp.companies import Gazetteer
from bot.polling import poll_once
from bot.reply import Reply
from bot.store import Store, utcnow
from bot.store.cache import SummaryCache
from bot.summarize.answer import Answerer
from bot.summarize.embedded import ExtractiveSummarizer
from tests.fakes.loopback import static
from tests.fakes.newssite import RSS, NewsSite, rss

ROOT = Path(__file__).resolve().parents[1]
BOT_NAME = "newsbot_test_bot"
LOOPBACK = ("127.0.0.0/8",)

# Who sends a command: a role in the bot's test chat, or a whole ChatContext.
ADMIN = "admin"
MEMBER = "member"
Sender = ChatContext | str


def article_page(title: str, paragraphs: Iterable[str]) -> bytes:
    """An article page the extractor reads like any news page."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article></body></html>"
    ).encode()


class ChatBot:
    """A CommandCore over a filled store, driven like a chat."""

    __test__ = False

    def __init__(self, core: CommandCore, store: Store, site: NewsSite, settings: Settings):
        self.core = core
        self.store = store
        self.site = site
        self.settings = settings
        self._extra: list[tuple[str, str, str]] = []

    @staticmethod
    def context(
        chat: str = "chat-1", platform: str = "test", *, as_: Sender = MEMBER
    ) -> ChatContext:
        """The chat a command comes from, sent by ``as_``: ADMIN (user-1, a chat admin),
        MEMBER (user-1, not an admin) or a ChatContext of the test's own."""
        if isinstance(as_, ChatContext):
            return as_
        if as_ not in (ADMIN, MEMBER):
            raise ValueError(f"as_ is ADMIN, MEMBER or a ChatContext, not {as_!r}")
        return ChatContext(platform, chat, "user-1", is_admin=as_ == ADMIN)

    async def reply(self, text: str, *, as_: Sender = MEMBER, chat: str = "chat-1") -> Reply:
        """The Reply to a message; the message must be a command for this bot."""
        return await reply_to(self.core, text, self.context(chat, as_=as_))

    async def exec(self, text: str, *, as_: Sender = MEMBER, chat: str = "chat-1") -> str:
        """The reply to a message as the console shows it."""
        return render_reply(await self.reply(text, as_=as_, chat=chat))

    async def poll(self) -> PollReport:
        """Poll every due feed through the real ingest path."""
        return await poll_once(self.store, self.settings)

    async def publish(self, slug: str, title: str, paragraphs: list[str]) -> str:
        """Put one more article on the site's extra feed and poll; returns the article URL."""
        url = self.site.url(f"/extra/{slug}.html")
        self.site.routes[f"/extra/{slug}.html"] = static(
            article_page(title, paragraphs), "text/html; charset=utf-8"
        )
        self._extra.append((slug, url, html.escape(title)))
        self.site.routes["/extra/feed.xml"] = static(rss(self._extra, "Loopback Tribune"), RSS)
        feed, _ = await self.store.add_feed(self.site.url("/extra/feed.xml"))
        await self.store.make_due(feed.id)
        report = await self.poll()
        assert not report.failed, report.failed
        return url

    async def record_digest(self, *, chat: str = "chat-1") -> None:
        """Record a digest for the chat ending now, as the scheduler would after sending it."""
        chat_id = await self.store.ensure_chat("test", chat, timezone="UTC", digest_time="08:00")
        await self.store.record_digest(chat_id, None, utcnow(), 0)


async def reply_to(core: CommandCore, text: str, context: ChatContext) -> Reply:
    """The core's Reply to a message from ``context``; the message must be a command."""
    command = parse_command(text, bot_name=BOT_NAME)
    assert command is not None, f"not a command: {text!r}"
    return await core.handle(command, context)


def make_core(
    store: Store,
    settings: Settings,
    *,
    llm_url: str | None = None,
    allow: Iterable[str] = (),
) -> CommandCore:
    """A CommandCore as the service builds one; with ``llm_url``, /ask uses that LLM server."""
    gazetteer = Gazetteer.load(ROOT / "config" / "companies.toml")
    answerer = None
    if llm_url is not None:
        llm_settings = settings.model_copy(
            update={
                "summarizer": SummarizerSettings(backend="llm"),
                "llm": LLMSettings(base_url=llm_url, model="test-model", timeout_seconds=3),
            }
        )
        from bot.store.news import NewsIndex

        answerer = Answerer(NewsIndex(store), llm_settings, cache=SummaryCache(store))
    return CommandCore(
        store,
        ExtractiveSummarizer(gazetteer),
        gazetteer,
        settings,
        chat_fetcher_factory(settings, allow),
        answerer=answerer,
    )


async def fill(store: Store, site: NewsSite, settings: Settings) -> None:
    """Add the sample site's feeds and poll them once."""
    for url in feed_urls(site.base_url):
        await store.add_feed(url)
    report = await poll_once(store, settings)
    assert report.new >= 20 and not report.failed, report


@pytest.fixture(name="testbot")
async def testbot_fixture(
    store: Store, settings: Settings, site: NewsSite
) -> AsyncIterator[ChatBot]:
    """A chat bot over a store holding the sample site's news."""
    await fill(store, site, settings)
    core = make_core(store, settings)
    try:
        yield ChatBot(core, store, site, settings)
    finally:
        await core.aclose()


def console_digest_text(items: Iterable[tuple[Story, Summary]], *, now: datetime) -> str:
    """Stories with their summaries as `newsbot digest` prints them (the chats' digest Reply,
    worded for the command line, rendered for the terminal), times in UTC."""
    pairs = list(items)
    section = Section(None, tuple(Ranked(story, 1.0) for story, _ in pairs))
    reply = digest_reply(
        DigestPlan((section,), 0), [s for _, s in pairs], title="Digest", zone=UTC_ZONE, now=now
    )
    return render_reply(for_command_line(reply))
