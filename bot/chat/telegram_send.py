"""Telegram as a delivery target: digest parts encoded when planned, sent through the Bot API,
and Telegram's answers turned into outcomes the delivery worker understands."""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.chat.reply import Reply
from bot.chat.telegram_render import Keyboard, TelegramMessage, render
from bot.delivery.pacing import Pacer
from bot.delivery.sender import Outcome
from bot.store.outbox import Delivery

log = logging.getLogger("newsbot.telegram")

PLATFORM = "telegram"
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def encode_parts(reply: Reply) -> list[str]:
    """The reply as Telegram messages, each stored as JSON (HTML, plain text, keyboard)."""
    return [
        json.dumps({"html": m.html, "plain": m.plain, "keyboard": m.keyboard}, ensure_ascii=False)
        for m in render(reply)
    ]


def decode_part(body: str) -> TelegramMessage:
    """A stored part back as the message to send."""
    data = json.loads(body)
    keyboard = [[(label, value) for label, value in row] for row in data.get("keyboard", [])]
    return TelegramMessage(data["html"], data["plain"], keyboard)


def keyboard_markup(rows: Keyboard) -> InlineKeyboardMarkup | None:
    """Inline buttons under a message, or None."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


class TelegramSender:
    """Sends stored parts with a PTB Bot; one Pacer for every message this bot sends."""

    platform = PLATFORM

    def __init__(self, bot: Bot, pacer: Pacer) -> None:
        self.bot = bot
        self.pacer = pacer

    def is_group(self, chat_key: str) -> bool:
        """Groups and channels have negative ids in the Bot API."""
        return chat_key.startswith("-")

    async def send_part(self, delivery: Delivery) -> Outcome:
        """Send one part; network errors propagate (the outcome is unknown)."""
        chat_key = delivery.chat_key
        part = decode_part(delivery.body)
        topic = int(delivery.thread_id) if delivery.thread_id else None
        html = True
        while True:
            try:
                message = await self.bot.send_message(
                    int(chat_key),
                    part.html if html else part.plain,
                    parse_mode=ParseMode.HTML if html else None,
                    reply_markup=keyboard_markup(part.keyboard),
                    link_preview_options=_NO_PREVIEW,
                    message_thread_id=topic,
                )
                return Outcome("sent", message_id=str(message.message_id))
            except RetryAfter as exc:
                return Outcome(
                    "retry", retry_after=retry_seconds(exc.retry_after), error=exc.message
                )
            except ChatMigrated as exc:
                return Outcome("moved", new_chat_key=str(exc.new_chat_id), error=exc.message)
            except Forbidden as exc:
                return Outcome("gone", error=exc.message)
            except BadRequest as exc:
                text = exc.message.casefold()
                if html and "can't parse entities" in text:
                    log.error(
                        "telegram could not parse our HTML: resending as plain text",
                        extra={"chat": chat_key, "error": exc.message, "html": part.html[:500]},
                    )
                    html = False
                elif topic is not None and "thread not found" in text:
                    log.warning(
                        "the digest topic is gone: sending to the chat itself",
                        extra={"chat": chat_key, "topic": topic},
                    )
                    topic = None
                elif "chat not found" in text:
                    return Outcome("gone", error=exc.message)
                else:
                    return Outcome("failed", error=exc.message)

    async def find_part(self, delivery: Delivery) -> str | None:
        """Telegram cannot be asked what a chat holds: unknown parts stay unknown."""
        return None


def retry_seconds(value: Any) -> float:
    """A RetryAfter's wait in seconds (PTB gives an int or a timedelta)."""
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
