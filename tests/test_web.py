"""The operator's web server: the status page, /metrics (parsed with prometheus-client's own
parser) and /healthz, on SQLite and PostgreSQL, through real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram import Bot

from bot.chat.telegram.send import TelegramSender
from bot.chat.telegram.send import encode_parts as telegram_parts
from bot.config import ConfigError, Settings
from bot.delivery.pacing import Pacer
from bot.delivery.worker import DeliveryWorker
from bot.demo.server import feed_urls
from bot.polling import poll_once
from bot.store import Store
from bot.store.outbox import Outbox
from bot.web.server import WebServer, web_server
from tests.fakes.newssite import NewsSite
from tests.fakes.telegram_api import BotAPIServer
from tests.test_delivery import TOKEN, digest, plan

TOKEN_ENV = "s3cret-status-token"


def web_settings(settings: Settings, **web: object) -> Settings:
    return settings.model_copy(
        update={"web": settings.web.model_copy(update={"enabled": True, "port": 0, **web})}
    )


@pytest.fixture
async def server(store: Store, settings: Settings) -> AsyncIterator[WebServer]:
    async with web_server(store, web_settings(settings)) as running:
        assert running is not None
        yield running


def scrape(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, by name and labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


async def get(
    server: WebServer, path: str, *, cookies: dict[str, str] | None = None, **kwargs: object
) -> httpx.Response:
    base = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=base, cookies=cookies) as client:
        return await client.get(path, **kwargs)  # type: ignore[arg-type]


async def test_metrics_move_with_a_poll_and_a_delivery(
    server: WebServer, store: Store, settings: Settings, site: NewsSite
) -> None:
    before = scrape((await get(server, "/metrics")).text)
    polls_ok = ("newsbot_polls_total", (("outcome", "ok"),))
    stored = ("newsbot_articles_stored_total", ())
    for url in [*feed_urls(site.base_url)[:2], site.url("/broken/500.xml")]:
        await store.add_feed(url)
    await poll_once(store, settings)
    after = scrape((await get(server, "/metrics")).text)
    assert after[polls_ok] - before.get(polls_ok, 0) == 2
    failed = ("newsbot_polls_total", (("outcome", "failed"),))
    assert after[failed] - before.get(failed, 0) == 1
    assert after[stored] > before.get(stored, 0)
    opened = ("newsbot_stories_opened_total", ())
    assert after[opened] > before.get(opened, 0)

    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    await plan(outbox, store, "4242", telegram_parts(digest(4242, 2)))
    with BotAPIServer() as api:
        async with Bot(TOKEN, base_url=f"{api.base_url}/bot") as bot:
            worker = DeliveryWorker(outbox, {"telegram": TelegramSender(bot, Pacer.telegram())})
            await worker.drain()
    final = scrape((await get(server, "/metrics")).text)
    sent = ("newsbot_digest_parts_total", (("outcome", "sent"), ("platform", "telegram")))
    assert final[sent] - after.get(sent, 0) == 2


async def test_status_page_shows_a_failing_feed_and_a_waiting_digest(
    server: WebServer, store: Store, settings: Settings, site: NewsSite
) -> None:
    await store.add_feed(site.url("/broken/404.xml"))
    await poll_once(store, settings)
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    await plan(outbox, store, "777", telegram_parts(digest(777, 1)))
    page = await get(server, "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "404" in page.text and "/broken/404.xml" in page.text
    assert "telegram 777" in page.text and "pending (0 tries)" in page.text
    assert "script" not in page.text.lower()
    assert (await get(server, "/healthz")).text == "ok\n"


async def test_beyond_loopback_it_needs_its_token(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    wide = web_settings(settings, listen="0.0.0.0")
    with pytest.raises(ConfigError, match="NEWSBOT_WEB__TOKEN"):
        async with web_server(store, wide):
            pass
    monkeypatch.setenv("NEWSBOT_WEB__TOKEN", TOKEN_ENV)
    wide = Settings(**{**wide.model_dump(mode="python"), "web": wide.web.model_dump()})
    async with web_server(store, wide) as running:
        assert running is not None
        assert (await get(running, "/")).status_code == 401
        assert (await get(running, "/metrics")).status_code == 401
        assert (await get(running, "/?token=wrong")).status_code == 401
        assert (await get(running, "/healthz")).status_code == 200
        bearer = {"Authorization": f"Bearer {TOKEN_ENV}"}
        assert (await get(running, "/metrics", headers=bearer)).status_code == 200
        opened = await get(running, f"/?token={TOKEN_ENV}")
        assert opened.status_code == 303 and opened.headers["location"] == "/"
        cookie = opened.cookies.get("newsbot_token")
        assert cookie == TOKEN_ENV
        page = await get(running, "/", cookies={"newsbot_token": cookie})
        assert page.status_code == 200 and "newsbot status" in page.text


async def test_health_asks_the_running_server(store: Store, settings: Settings) -> None:
    from bot.web.server import healthz_answers

    async with web_server(store, web_settings(settings)) as running:
        assert running is not None
        section = settings.web.model_copy(update={"enabled": True, "port": running.port})
        assert await healthz_answers(section) is None
    problem = await healthz_answers(section, timeout=1.0)
    assert problem is not None and "does not answer" in problem
