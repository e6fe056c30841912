"""The command menus Telegram shows beside the message box (setMyCommands with scopes): the
everyday commands for everyone; those plus /feeds for group administrators and for the bot's
owners in their private chat with it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeAllChatAdministrators, BotCommandScopeChat
from telegram.error import BadRequest, Forbidden

from bot.chat.telegram.send import PLATFORM
from bot.config import Settings

log = logging.getLogger("newsbot.telegram")

# /help lists the same commands with examples.
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
    ("stop", "Pause this chat's digests (/start resumes)"),
    ("sources", "The feeds I read"),
)
ADMIN_MENU = (*MENU, ("feeds", "The feeds I read: list, add, remove"))


def owner_ids(settings: Settings) -> list[int]:
    """The Telegram user ids among ``[bot] owners`` ("telegram:<user id>")."""
    ids = []
    for owner in settings.bot.owners:
        platform, _, user = owner.partition(":")
        if platform == PLATFORM and user.isdigit():
            ids.append(int(user))
    return ids


def _commands(menu: Iterable[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(name, about) for name, about in menu]


async def owner_menu(bot: Bot, settings: Settings, user_id: int) -> bool:
    """Give an owner the admin menu in their private chat (when they /start it after the bot
    started); returns whether the user is an owner."""
    if user_id not in owner_ids(settings):
        return False
    await _owner_menu(bot, user_id)
    return True


async def register_menus(bot: Bot, settings: Settings) -> None:
    """Set the three menus. An owner who never opened a chat with the bot has no private chat
    to set one in (Telegram answers "chat not found"): that is logged and the rest go on."""
    await bot.set_my_commands(_commands(MENU))
    await bot.set_my_commands(_commands(ADMIN_MENU), scope=BotCommandScopeAllChatAdministrators())
    for user_id in owner_ids(settings):
        await _owner_menu(bot, user_id)


async def _owner_menu(bot: Bot, user_id: int) -> None:
    try:
        await bot.set_my_commands(_commands(ADMIN_MENU), scope=BotCommandScopeChat(user_id))
    except (BadRequest, Forbidden) as exc:
        log.warning(
            "no command menu for an owner: they have not started a chat with the bot",
            extra={"user": user_id, "error": exc.message},
        )
