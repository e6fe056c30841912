"""Sending to Telegram, and Telegram's answers as outcomes: one mapping for every message the
bot sends, digest parts from the delivery outbox and replies to commands alike."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.chat.telegram.render import Keyboard, TelegramMessage, render
from bot.delivery.pacing import Pacing
from bot.delivery.sender import Outcome
from bot.reply import Reply
from bot.store.deliveries import Delivery

log = logging.getLogger("newsbot.telegram")

PLATFORM = "telegram"
TopicGone = Callable[[int, int], Awaitable[None]]  # (chat id, the deleted topic's thread id)
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
    """Sends messages with a PTB Bot; one Pacer for every message this bot sends (the caller
    takes its turn: the delivery worker for digest parts, the reply path for answers)."""

    platform = PLATFORM

    def __init__(self, bot: Bot, pacer: Pacing, *, on_topic_gone: TopicGone | None = None) -> None:
        self.bot = bot
        self.pacer = pacer
        self.on_topic_gone = on_topic_gone  # e.g. forget the chat's digest topic

    def is_group(self, chat_key: str) -> bool:
        """Groups and channels have negative ids in the Bot API."""
        return chat_key.startswith("-")

    async def send(
        self,
        chat_id: int,
        part: TelegramMessage,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        silent: bool = False,
    ) -> tuple[Outcome, Message | None]:
        """Send one message to a chat, in a forum topic (``thread_id``) and as a reply
        (``reply_to``, dropped by Telegram when that message is gone); returns the outcome and,
        when sent, the Message. HTML Telegram cannot parse is resent as plain text, and a topic
        that is gone falls back to the chat itself; both are logged. Network errors propagate
        (the outcome is unknown). A ``silent`` message arrives without a notification."""
        html = True
        while True:
            try:
                common: dict[str, Any] = {
                    "parse_mode": ParseMode.HTML if html else None,
                    "reply_markup": keyboard_markup(part.keyboard),
                    "message_thread_id": thread_id,
                    "reply_parameters": _reply_parameters(reply_to),
                    "disable_notification": silent or None,
                }
                text = part.html if html else part.plain
                if part.photo is not None:
                    message = await self.bot.send_photo(
                        chat_id,
                        InputFile(part.photo, filename=part.filename),
                        caption=text or None,
                        **common,
                    )
                else:
                    message = await self.bot.send_message(
                        chat_id, text, link_preview_options=_NO_PREVIEW, **common
                    )
                return Outcome("sent", message_id=str(message.message_id)), message
            except RetryAfter as exc:
                wait = retry_seconds(exc.retry_after)
                return Outcome("retry", retry_after=wait, error=exc.message), None
            except ChatMigrated as exc:
                return Outcome("moved", new_chat_key=str(exc.new_chat_id), error=exc.message), None
            except Forbidden as exc:
                return Outcome("gone", error=exc.message), None
            except BadRequest as exc:
                text = exc.message.casefold()
                if html and "can't parse entities" in text:
                    log.error(
                        "telegram could not parse our HTML: resending as plain text",
                        extra={"chat": chat_id, "error": exc.message, "html": part.html[:500]},
                    )
                    html = False
                elif thread_id is not None and "thread not found" in text:
                    log.warning(
                        "the forum topic is gone: sending to the chat itself",
                        extra={"chat": chat_id, "topic": thread_id},
                    )
                    if self.on_topic_gone is not None:
                        await self.on_topic_gone(chat_id, thread_id)
                    thread_id = None
                elif "chat not found" in text:
                    return Outcome("gone", error=exc.message), None
                else:
                    return Outcome("failed", error=exc.message), None

    async def send_part(self, delivery: Delivery) -> Outcome:
        """Send one stored digest part to its chat and topic; network errors propagate."""
        topic = int(delivery.thread_id) if delivery.thread_id else None
        # One notification per digest: the parts after the first arrive silently.
        outcome, _ = await self.send(
            int(delivery.chat_key),
            decode_part(delivery.body),
            thread_id=topic,
            silent=delivery.part_index > 0,
        )
        return outcome

    async def find_part(self, delivery: Delivery) -> str | None:
        """Telegram cannot be asked what a chat holds: unknown parts stay unknown."""
        return None


def _reply_parameters(reply_to: int | None) -> ReplyParameters | None:
    if reply_to is None:
        return None
    return ReplyParameters(reply_to, allow_sending_without_reply=True)


def retry_seconds(value: Any) -> float:
    """A RetryAfter's wait in seconds (PTB gives an int or a timedelta)."""
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
