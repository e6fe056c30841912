"""Replies to commands and buttons on Telegram: a Reply's parts sent in order, paced as digest
parts are (Telegram's flood limits count every message), and Telegram's answer to each acted on
at once (the user is waiting): wait out a RetryAfter and send again, follow a group that became
a supergroup, pause a chat that blocked the bot."""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import Message

from bot import metrics
from bot.chat.telegram.markup import clean
from bot.chat.telegram.render import TelegramMessage, render
from bot.chat.telegram.send import PLATFORM, TelegramSender
from bot.reply import Image, Reply
from bot.store.chats import ChatStore

log = logging.getLogger("newsbot.telegram")

MAX_RETRIES = 3


class Replier:
    """Sends replies through the one TelegramSender (and so its Pacer and error mapping)."""

    def __init__(self, sender: TelegramSender, chats: ChatStore) -> None:
        self.sender = sender
        self.chats = chats
        self._chat_locks: dict[int, asyncio.Lock] = {}

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
        sent: list[Message] = []
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:  # the parts of one reply stay together and in order
            for part in with_pictures(reply):
                first = not sent  # one notification per reply: the other parts come silently
                message = await self._send(
                    chat_id, part, thread_id, reply_to if first else None, silent=not first
                )
                if message is None:
                    break
                sent.append(message)
                chat_id = message.chat_id  # followed a migration
                if message.message_thread_id is None:
                    thread_id = None  # the topic was gone: the rest goes to the chat too
        return sent

    async def _send(
        self,
        chat_id: int,
        part: TelegramMessage,
        thread_id: int | None,
        reply_to: int | None,
        *,
        silent: bool = False,
    ) -> Message | None:
        for _ in range(MAX_RETRIES + 1):
            # Paced like digest parts (1/s a chat, 20/min a group): Telegram counts them all.
            async with self.sender.pacer.turn(str(chat_id), group=chat_id < 0, urgent=True):
                outcome, message = await self.sender.send(
                    chat_id, part, thread_id=thread_id, reply_to=reply_to, silent=silent
                )
            fields = {"chat": chat_id, "error": outcome.error}
            if outcome.kind == "sent":
                return message
            if outcome.kind == "retry":
                metrics.RATE_LIMITED.labels("telegram").inc()
                log.warning(
                    "telegram asks to wait", extra={"chat": chat_id, "seconds": outcome.retry_after}
                )
                self.sender.pacer.hold(str(chat_id), outcome.retry_after)
            elif outcome.kind == "moved" and outcome.new_chat_key:
                log.info(
                    "telegram group became a supergroup",
                    extra={"chat": chat_id, "new_chat": outcome.new_chat_key},
                )
                await self.chats.migrate(PLATFORM, str(chat_id), outcome.new_chat_key)
                chat_id, reply_to = int(outcome.new_chat_key), None
            elif outcome.kind == "gone":
                log.warning("telegram chat is gone: pausing its deliveries", extra=fields)
                await self.chats.set_paused(PLATFORM, str(chat_id), True)
                return None
            else:
                log.error("telegram refused a reply", extra=fields)
                return None
        log.error("telegram send gave up", extra={"chat": chat_id, "tries": MAX_RETRIES + 1})
        return None


CAPTION_CHARS = 1024  # Telegram's limit on a photo's caption


def with_pictures(reply: Reply) -> list[TelegramMessage]:
    """The reply's messages; a picture (a /trend chart) goes as a photo whose caption is the
    rest of the reply when it fits a caption, else the picture's own words, the rest after."""
    pictures = [b for b in reply.blocks if isinstance(b, Image)]
    if not pictures:
        return render(reply)
    rest = Reply([b for b in reply.blocks if not isinstance(b, Image)], ok=reply.ok)
    text = render(rest, limit=CAPTION_CHARS) if rest.blocks else []
    first, *others = pictures
    if len(text) == 1:
        caption = text[0]
        photos = [
            TelegramMessage(
                caption.html, caption.plain, caption.keyboard, first.png, first.filename
            )
        ]
        after: list[TelegramMessage] = []
    else:
        photos = [_alone(first)]
        after = render(rest) if rest.blocks else []
    return photos + [_alone(p) for p in others] + after


def _alone(picture: Image) -> TelegramMessage:
    alt = clean(picture.alt)[:CAPTION_CHARS]
    return TelegramMessage(html.escape(alt, quote=False), alt, [], picture.png, picture.filename)
