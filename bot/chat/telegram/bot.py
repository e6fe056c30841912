"""The Telegram adapter: python-telegram-bot 22 around the command core.

Updates in (long polling, or a webhook with a secret token when ``[telegram] webhook_url`` is
set) become Commands for ``CommandCore`` (``updates.py``); Replies go out as Telegram HTML
(``render.py``) through one sender and one error mapping (``send.py``) for replies
and digest parts alike. A reply acts on Telegram's answer at once (``reply.py``):
RetryAfter waits that long and resends, a blocked bot pauses the chat's deliveries, a migrated
group is followed to its supergroup, HTML Telegram cannot parse is resent as plain text and a
forum topic that is gone falls back to the chat itself. The command menus are set per scope
(``menu.py``).
"""

from __future__ import annotations

import datetime as dtm
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from telegram import Message
from telegram.error import InvalidToken
from telegram.ext import Application, ApplicationBuilder

from bot.chat.core import CommandCore
from bot.chat.telegram.menu import ADMIN_MENU, MENU, register_menus
from bot.chat.telegram.reply import MAX_RETRIES, Replier
from bot.chat.telegram.send import PLATFORM, TelegramSender
from bot.chat.telegram.updates import UpdateHandlers, story_of_message
from bot.chat.telegram.webhook import ALLOWED_UPDATES, start_webhook
from bot.config import ConfigError, Settings
from bot.delivery.shared_pacing import telegram_pacing
from bot.reply import Reply
from bot.store.chats import ChatStore

__all__ = [
    "ADMIN_MENU",
    "MAX_RETRIES",
    "MENU",
    "PLATFORM",
    "TelegramBot",
    "build_bot",
    "file_url",
    "story_of_message",
    "telegram_service",
]

log = logging.getLogger("newsbot.telegram")

TOKEN_REJECTED = (
    "Telegram rejected the bot token. Check NEWSBOT_TELEGRAM__TOKEN (or the file [telegram] "
    "token_file names): it must be the whole token @BotFather gave (/mybots → API Token)."
)


def file_url(base_url: str) -> str:
    """The file download URL that goes with a Bot API base URL (…/bot → …/file/bot)."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


class TelegramBot:
    """The Telegram side of newsbot: ``await start()``, ``await stop()``; ``send_reply`` for
    anything else that wants to reach a chat; ``sender`` for the delivery worker."""

    def __init__(self, core: CommandCore, settings: Settings, token: str) -> None:
        self.core = core
        self.settings = settings
        self.chats = ChatStore(core.store)
        base = settings.telegram.base_url
        self.app: Application = (
            ApplicationBuilder()
            .token(token)
            .base_url(base)
            .base_file_url(file_url(base))
            .concurrent_updates(True)  # one chat waiting out a RetryAfter holds up no other
            .build()
        )
        # One pacer for replies and digest parts: Telegram's flood limits are per bot (with
        # workers, shared through the store with every process of this bot: its id).
        self.pacer = telegram_pacing(settings, core.store, token.split(":", 1)[0])
        self.sender = TelegramSender(self.app.bot, self.pacer, on_topic_gone=self._topic_gone)
        self.replier = Replier(self.sender, self.chats)
        UpdateHandlers(core, self.app, self.replier, settings).register()
        self._webhook: web.AppRunner | None = None

    async def _topic_gone(self, chat_id: int, thread_id: int) -> None:
        """The chat's digest topic was deleted: later digests go to the chat itself."""
        if await self.chats.forget_topic(PLATFORM, str(chat_id), str(thread_id)):
            log.info("forgot the deleted digest topic", extra={"chat": chat_id, "topic": thread_id})

    @property
    def webhook_mode(self) -> bool:
        """Whether updates come by webhook (``[telegram] webhook_url`` set), not by polling."""
        return bool(self.settings.telegram.webhook_url)

    async def start(self) -> None:
        """Connect, register the command menus, and take updates (polling or webhook).

        Raises ConfigError, naming the setting and never the token, when Telegram rejects it."""
        try:
            await self.app.initialize()
        except InvalidToken:
            raise ConfigError(TOKEN_REJECTED) from None
        await register_menus(self.app.bot, self.settings)
        if self.webhook_mode:
            self._webhook = await start_webhook(self.app, self.settings)
        else:
            await self.app.bot.delete_webhook()
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                timeout=dtm.timedelta(seconds=30), allowed_updates=ALLOWED_UPDATES
            )
        await self.app.start()
        log.info(
            "telegram bot is running",
            extra={
                "bot": self.app.bot.username,
                "mode": "webhook" if self.webhook_mode else "polling",
            },
        )

    async def stop(self) -> None:
        """Stop taking updates, finish what is under way, disconnect."""
        if self._webhook is not None:
            await self._webhook.cleanup()
            self._webhook = None
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.pacer.close()

    async def __aenter__(self) -> TelegramBot:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def send_reply(
        self,
        chat_id: int,
        reply: Reply,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> list[Message]:
        """Send a reply as ordered messages; returns what was sent (empty when the chat is gone
        or Telegram refused it)."""
        return await self.replier.send_reply(chat_id, reply, thread_id=thread_id, reply_to=reply_to)


def build_bot(core: CommandCore, settings: Settings) -> TelegramBot | None:
    """The Telegram bot when a token is configured, else None."""
    token = settings.secret("telegram", "token")
    return TelegramBot(core, settings, token) if token else None


@asynccontextmanager
async def telegram_service(
    core: CommandCore, settings: Settings
) -> AsyncIterator[TelegramBot | None]:
    """The running Telegram bot for `newsbot run` on the process's core, when a token is
    configured (else None), in the caller's event loop; stopped on exit."""
    token = settings.secret("telegram", "token")
    if not token:
        yield None
        return
    bot = TelegramBot(core, settings, token)
    try:
        await bot.start()
        yield bot
    finally:
        await bot.stop()
