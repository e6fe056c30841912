"""`newsbot run` with Telegram and Slack both on is wired once (bot/app.py): one command core
behind both adapters and the digest planner, one LLM client for summaries and /ask, one
gazetteer."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from bot import app as app_module
from bot import scheduler
from bot.app import open_app
from bot.chat import core as core_module
from bot.chat.slack.service import slack_service
from bot.chat.telegram.bot import telegram_service
from bot.config import Settings
from bot.config_sections import SlackSettings, SummarizerSettings, TelegramSettings
from bot.summarize import client as client_module
from tests.fakes.slack_api import SlackAPIServer
from tests.fakes.telegram_api import BotAPIServer

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)
TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def servers() -> Iterator[tuple[BotAPIServer, SlackAPIServer]]:
    with BotAPIServer() as telegram, SlackAPIServer() as slack:
        yield telegram, slack


def both_platforms(tmp_path: Path, telegram: BotAPIServer, slack: SlackAPIServer) -> Settings:
    base = Settings()
    return base.model_copy(
        update={
            "store": base.store.model_copy(update={"url": f"sqlite:///{tmp_path / 'news.db'}"}),
            "summarizer": SummarizerSettings(backend="llm"),
            "llm": base.llm.model_copy(update={"base_url": "http://127.0.0.1:9/v1"}),
            "telegram": TelegramSettings(base_url=f"{telegram.base_url}/bot", token=TOKEN),
            "slack": SlackSettings(
                bot_token=slack.token,
                signing_secret="secret",
                base_url=slack.base_url,
                mode="http",
                port=_free_port(),
            ),
        }
    )


async def test_both_platforms_share_one_core_one_llm_client_and_one_gazetteer(
    tmp_path: Path,
    servers: tuple[BotAPIServer, SlackAPIServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cores: list[Any] = []
    clients: list[Any] = []
    gazetteers: list[Any] = []
    real_init = core_module.CommandCore.__init__

    def counted_core(self: Any, *args: Any, **kwargs: Any) -> None:
        cores.append(self)
        real_init(self, *args, **kwargs)

    class CountedClient(openai.AsyncOpenAI):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            clients.append(self)
            super().__init__(*args, **kwargs)

    real_load = app_module.load_gazetteer

    def counted_load(path: Any) -> Any:
        gazetteers.append(path)
        return real_load(path)

    monkeypatch.setattr(core_module.CommandCore, "__init__", counted_core)
    monkeypatch.setattr(client_module.openai, "AsyncOpenAI", CountedClient)
    monkeypatch.setattr(app_module, "load_gazetteer", counted_load)

    settings = both_platforms(tmp_path, *servers)
    async with (
        open_app(settings) as app,
        telegram_service(app.core, settings) as telegram,
        slack_service(app.core, settings) as slack,
    ):
        assert telegram is not None and slack is not None
        delivery = await scheduler._delivery(app.core, settings, telegram, slack)
        assert delivery is not None
        planner, worker = delivery
        assert sorted(worker.senders) == ["slack", "telegram"]
        assert telegram.core is app.core and slack.bot.core is app.core
        assert planner.digests is app.core.digests
    assert len(cores) == 1, "one command core"
    assert len(clients) == 1, "one LLM client for summaries and /ask"
    assert len(gazetteers) == 1, "the gazetteer is loaded once"
