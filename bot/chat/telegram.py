"""The Telegram adapter: python-telegram-bot 22 around the command core.

Updates in (long polling, or a webhook with a secret token when ``[telegram] webhook_url`` is
set) become Commands for ``CommandCore``; Replies go out as Telegram HTML through
``telegram_render``. The adapter holds no command logic. It does hold Telegram's rules:
``/cmd@OtherBot`` is not ours, only chat administrators change a group, a button press is
answered at once, and errors are handled per chat: RetryAfter waits that long and resends,
Forbidden pauses the chat's deliveries, a migrated group is followed to its supergroup, and a
message Telegram cannot parse is resent as plain text.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommand,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.chat.commands import make_command, parse_command
from bot.chat.core import COMMANDS, ChatContext, CommandCore
from bot.chat.reply import Reply
from bot.chat.telegram_render import TelegramMessage, render
from bot.chat.telegram_send import TelegramSender, keyboard_markup, retry_seconds
from bot.config import Settings
from bot.delivery.pacing import Pacer
from bot.store import Store
from bot.store.chats import ChatStore
from bot.summarize.base import Summarizer

log = logging.getLogger("newsbot.telegram")

PLATFORM = "telegram"
# The menu Telegram shows (setMyCommands); /help lists the same commands with examples.
MENU = (
    ("start", "Start: register this chat for a daily digest"),
    ("help", "What I can do"),
    ("digest", "This chat's digest now"),
    ("company", "Latest stories about a company"),
    ("summary", "Summarize a link or a digest story"),
    ("ask", "Ask about the news"),
    ("subscribe", "Follow a company or keyword"),
    ("unsubscribe", "Stop following a company or keyword"),
    ("settings", "Digest time, time zone and days"),
    ("sources", "The feeds I read"),
)
# Changing a chat needs an administrator in groups; these commands with arguments change it.
CHANGES = {"settings", "subscribe", "unsubscribe"}
SUMMARY_WORDS = {"summary", "summary please", "summarize", "more", "longer summary"}
MAX_RETRIES = 3
_STORY_BUTTON = re.compile(r"^summary:(\d+)$")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def file_url(base_url: str) -> str:
    """The file download URL that goes with a Bot API base URL (…/bot → …/file/bot)."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


def story_of_message(message: Message | None) -> int | None:
    """The story a digest message is about: its Summary button says so."""
    markup = message.reply_markup if message is not None else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            match = _STORY_BUTTON.match(str(button.callback_data or ""))
            if match:
                return int(match[1])
    return None


class TelegramBot:
    """The Telegram side of newsbot: ``await start()``, ``await stop()``; ``send_reply`` for
    anything else that wants to reach a chat (the digest job)."""

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
        # Before any other handler: updates from chats not on the allowlists stop here.
        self.app.add_handler(TypeHandler(Update, self._gate), group=-1)
        self.app.add_handler(CommandHandler(list(COMMANDS), self._on_command))
        self.app.add_handler(CallbackQueryHandler(self._on_button))
        self.app.add_handler(
            MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, self._on_reply)
        )
        self.app.add_handler(
            MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, self._on_unknown)
        )
        self.app.add_error_handler(self._on_error)
        self._webhook: web.AppRunner | None = None
        self._chat_locks: dict[int, asyncio.Lock] = {}
        # One pacer for replies and digest parts: Telegram's flood limits are per bot.
        self.pacer = Pacer.telegram()
        self.sender = TelegramSender(self.app.bot, self.pacer)

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.telegram.webhook_url)

    async def start(self) -> None:
        """Connect, register the command menu, and take updates (polling or webhook)."""
        await self.app.initialize()
        await self.app.bot.set_my_commands([BotCommand(n, d) for n, d in MENU])
        if self.webhook_mode:
            await self._start_webhook()
        else:
            await self.app.bot.delete_webhook()
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                timeout=dtm.timedelta(seconds=30), allowed_updates=["message", "callback_query"]
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

    async def __aenter__(self) -> TelegramBot:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- webhook ----------------------------------------------------------------------------------

    async def _start_webhook(self) -> None:
        tg = self.settings.telegram
        assert tg.webhook_url
        secret = self.settings.secret("telegram", "webhook_secret")
        path = urlsplit(tg.webhook_url).path or "/"
        app = web.Application(client_max_size=1_000_000)
        app.router.add_post(path, self._webhook_update(secret))
        self._webhook = web.AppRunner(app, access_log=None)
        await self._webhook.setup()
        await web.TCPSite(self._webhook, tg.webhook_listen, tg.webhook_port).start()
        await self.app.bot.set_webhook(
            tg.webhook_url, secret_token=secret, allowed_updates=["message", "callback_query"]
        )

    def _webhook_update(
        self, secret: str | None
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
            if secret and given != secret:
                log.warning(
                    "webhook request with a wrong secret token", extra={"peer": request.remote}
                )
                return web.Response(status=403, text="forbidden")
            try:
                update = Update.de_json(await request.json(), self.app.bot)
            except Exception:  # not JSON, or not an Update
                return web.Response(status=400, text="bad update")
            await self.app.update_queue.put(update)
            return web.Response(text="ok")

        return handle

    # -- updates in -------------------------------------------------------------------------------

    async def _gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop an update from a chat and user not allowed ([telegram] allowed_chats,
        allowed_users): no command runs. One meant for the bot gets the refusal, at most once
        an hour per chat."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        who = ChatContext(PLATFORM, str(chat.id), str(user.id) if user else "")
        refusal = self.core.gate.admit(who, notify=self._addressed(update))
        if refusal is None:
            return
        if update.callback_query is not None:
            await update.callback_query.answer()  # the button stops spinning
        message = update.effective_message
        if refusal.blocks:
            await self.send_reply(
                chat.id,
                refusal,
                thread_id=_thread(message) if isinstance(message, Message) else None,
                reply_to=message.message_id if message is not None else None,
            )
        raise ApplicationHandlerStop

    def _addressed(self, update: Update) -> bool:
        """Whether the update is meant for the bot: a button, a private message, or one of
        our commands (a group's talk and other bots' commands get no refusal)."""
        chat, message = update.effective_chat, update.effective_message
        if update.callback_query is not None or (chat and chat.type == ChatType.PRIVATE):
            return True
        text = message.text if message is not None else None
        command = parse_command(text or "", bot_name=self.app.bot.username)
        return command is not None and command.name in COMMANDS

    async def _context(self, update: Update, *, needs_admin: bool) -> ChatContext:
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None
        admin = chat.type == ChatType.PRIVATE
        message = update.effective_message
        if not admin and needs_admin:
            if message is not None and message.sender_chat and message.sender_chat.id == chat.id:
                admin = True  # an anonymous administrator writes as the group itself
            elif user is not None:
                member = await self.app.bot.get_chat_member(chat.id, user.id)
                admin = member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
        return ChatContext(PLATFORM, str(chat.id), str(user.id) if user else "", is_admin=admin)

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        command = parse_command(message.text, bot_name=self.app.bot.username)
        if command is None:
            return
        if command.name == "summary" and not command.args:
            story_id = story_of_message(message.reply_to_message)
            if story_id is not None:  # /summary as a reply to a digest story
                command = make_command("summary", str(story_id))
        chat_context = await self._context(
            update, needs_admin=command.name in CHANGES and bool(command.args)
        )
        reply = await self.core.handle(command, chat_context)
        await self.send_reply(
            message.chat_id, reply, thread_id=_thread(message), reply_to=message.message_id
        )

    async def _on_unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        command = parse_command(message.text, bot_name=self.app.bot.username)
        if command is None or command.name in COMMANDS:
            return
        reply = await self.core.handle(command, await self._context(update, needs_admin=False))
        await self.send_reply(message.chat_id, reply, reply_to=message.message_id)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await query.answer()  # at once: the client stops its spinner
        message = query.message
        if not isinstance(message, Message) or not query.data:
            return
        name = query.data.partition(":")[0]
        chat_context = await self._context(update, needs_admin=name in CHANGES)
        reply = await self.core.story_action(query.data, chat_context)
        await self.send_reply(
            message.chat_id, reply, thread_id=_thread(message), reply_to=message.message_id
        )

    async def _on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text or message.reply_to_message is None:
            return
        if message.reply_to_message.from_user is None or (
            message.reply_to_message.from_user.id != self.app.bot.id
        ):
            return
        if " ".join(message.text.casefold().split()).strip(" .!?/") not in SUMMARY_WORDS:
            return
        story_id = story_of_message(message.reply_to_message)
        if story_id is None:
            reply = Reply.message(
                "Reply “summary” to a story of a digest, or send /summary with a link.", ok=False
            )
        else:
            chat_context = await self._context(update, needs_admin=False)
            reply = await self.core.handle(make_command("summary", str(story_id)), chat_context)
        await self.send_reply(
            message.chat_id, reply, thread_id=_thread(message), reply_to=message.message_id
        )

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed", exc_info=context.error)

    # -- messages out -----------------------------------------------------------------------------

    async def send_reply(
        self,
        chat_id: int,
        reply: Reply,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> list[Message]:
        """Send a reply as ordered messages; returns what was sent (empty when the chat is gone)."""
        sent: list[Message] = []
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:  # the parts of one reply stay together and in order
            for part in render(reply):
                message = await self._send(chat_id, part, thread_id, reply_to if not sent else None)
                if message is None:
                    break
                sent.append(message)
                chat_id = message.chat_id  # followed a migration
        return sent

    async def _send(
        self, chat_id: int, part: TelegramMessage, thread_id: int | None, reply_to: int | None
    ) -> Message | None:
        html = True
        for _ in range(MAX_RETRIES + 1):
            try:
                async with self.pacer.turn(str(chat_id), group=chat_id < 0, burst=True):
                    return await self.app.bot.send_message(
                        chat_id,
                        part.html if html else part.plain,
                        parse_mode=ParseMode.HTML if html else None,
                        reply_markup=keyboard_markup(part.keyboard),
                        link_preview_options=_NO_PREVIEW,
                        message_thread_id=thread_id,
                        reply_to_message_id=reply_to,
                        allow_sending_without_reply=True,
                    )
            except RetryAfter as exc:
                wait = retry_seconds(exc.retry_after)
                log.warning("telegram asks to wait", extra={"chat": chat_id, "seconds": wait})
                self.pacer.hold(str(chat_id), wait)
            except Forbidden as exc:
                log.warning(
                    "telegram chat is gone: pausing its deliveries",
                    extra={"chat": chat_id, "error": exc.message},
                )
                await self.chats.set_paused(PLATFORM, str(chat_id), True)
                return None
            except ChatMigrated as exc:
                log.info(
                    "telegram group became a supergroup",
                    extra={"chat": chat_id, "new_chat": exc.new_chat_id},
                )
                await self.chats.migrate(PLATFORM, str(chat_id), str(exc.new_chat_id))
                chat_id, reply_to = exc.new_chat_id, None
            except BadRequest as exc:
                if html and "can't parse entities" in exc.message.casefold():
                    log.error(
                        "telegram could not parse our HTML: resending as plain text",
                        extra={"chat": chat_id, "error": exc.message, "html": part.html[:500]},
                    )
                    html = False
                    continue
                raise
        log.error("telegram send gave up", extra={"chat": chat_id})
        return None


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


def build_bot(core: CommandCore, settings: Settings) -> TelegramBot | None:
    """The Telegram bot when a token is configured, else None."""
    token = settings.secret("telegram", "token")
    return TelegramBot(core, settings, token) if token else None


@asynccontextmanager
async def telegram_service(
    store: Store, summarizer: Summarizer, settings: Settings
) -> AsyncIterator[TelegramBot | None]:
    """The running Telegram bot for `newsbot run` when a token is configured (else None),
    in the caller's event loop; stopped on exit."""
    token = settings.secret("telegram", "token")
    if not token:
        yield None
        return
    from bot.chat.wiring import make_core

    core = make_core(store, summarizer, settings)
    bot = TelegramBot(core, settings, token)
    try:
        await bot.start()
        yield bot
    finally:
        await bot.stop()
        await core.aclose()
