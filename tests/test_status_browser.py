"""The status page in a real headless browser (Debian's chromium, driven by playwright): it loads
with no console error, shows a failing feed's error and a waiting digest, works at a phone's
width, and refuses a browser without the token when it listens beyond loopback."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from playwright.async_api import ConsoleMessage, async_playwright

from bot.chat.telegram.send import encode_parts as telegram_parts
from bot.config import Settings
from bot.polling import poll_once
from bot.store import Store
from bot.store.outbox import Outbox
from bot.web.server import web_server
from tests.fakes.newssite import NewsSite
from tests.test_delivery import digest, plan
from tests.test_web import web_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No background traffic: the browser reaches only the page under test on 127.0.0.1.
QUIET = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pings",
]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_status_page_in_a_browser(
    store: Store, settings: Settings, site: NewsSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.add_feed(site.url("/broken/503.xml"))
    await store.add_feed(site.url("/good/feed.xml"))
    await poll_once(store, settings)
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    await plan(outbox, store, "555", telegram_parts(digest(555, 1)))
    monkeypatch.setenv("NEWSBOT_WEB__TOKEN", "browser-token")
    wide = web_settings(settings, listen="0.0.0.0")
    wide = Settings(**{**wide.model_dump(mode="python"), "web": wide.web.model_dump()})
    async with web_server(store, wide) as server, async_playwright() as pw:
        assert server is not None
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=QUIET)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            problems: list[str] = []
            page.on("console", lambda m: _note(m, problems))
            page.on("pageerror", lambda e: problems.append(str(e)))
            base = f"http://127.0.0.1:{server.port}"

            refused = await page.goto(f"{base}/")
            assert refused is not None and refused.status == 401
            assert "needs the status token" in await page.inner_text("body")

            loaded = await page.goto(f"{base}/?token=browser-token")
            assert loaded is not None and loaded.status == 200
            assert page.url == f"{base}/"  # the token left the address bar for a cookie
            text = await page.inner_text("main")
            assert "503" in text and "/broken/503.xml" in text
            assert "telegram 555" in text and "pending" in text
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390  # tables scroll inside their box; the page itself does not
            problems = [p for p in problems if "401" not in p]  # the refusal above, on purpose
            assert problems == []
        finally:
            await browser.close()


def _note(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(message.text)
