"""Who may use the bot: the allowlists of [telegram] and [slack], and the owners of [bot].

The decision is made here once for every platform, from what the adapter put in the
ChatContext (Telegram: chat and user; Slack: workspace, channel and user):

* Telegram: with ``allowed_chats`` or ``allowed_users`` set, a message is taken when its chat is
  on ``allowed_chats`` OR its sender is on ``allowed_users`` (a listed chat is open to everyone
  in it; a listed user may use the bot in any chat, a direct message included).
* Slack: with ``allowed_workspaces`` set, the user's workspace must be on it; with
  ``allowed_channels`` set, the channel must be on it too (a direct message is a channel, D…).
* Admins: changing a chat (its settings, subscriptions, pausing) needs an admin, and so do a
  few commands even without arguments (:func:`needs_admin`). Telegram's admins are the chat's
  administrators (the adapter asks Telegram) and the one person of a private chat; Slack has
  no chat administrators newsbot can ask about, so its admins are ``[slack] admins`` (users, or
  channels whose members may change that channel) and the user of a direct message
  (:meth:`Access.configured_admin`).
* Empty lists mean open. Owners (``[bot] owners``, "platform:user_id") are always let in, and
  so is the console: whoever has the terminal runs the bot.

:class:`Access` is the pure policy. :class:`AccessGate` adds what the adapters need around it:
a refused chat is told so at most once an hour (no reply loops, no spam) and each refusal is
logged with its ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.command import ChatContext
from bot.reply import Reply

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger("newsbot.access")

# Changing a chat needs an admin; these commands with arguments change it.
CHANGES = frozenset({"settings", "subscribe", "unsubscribe"})
# These are checked for an admin even without arguments: /feeds lists the bot's feeds with
# their health, /stop pauses the digests and /start resumes them (anyone may start a chat).
ADMINS_ONLY = frozenset({"feeds", "stop", "start"})
# Platforms whose admins are configured, not asked of the platform.
_CONFIGURED_ADMINS = {"slack"}
REFUSAL_EVERY_SECONDS = 3600.0
MAX_REMEMBERED_CHATS = 10_000


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a context may not use the bot: which list it is missing from, and what to tell it."""

    reason: str  # "chat", "workspace" or "channel"
    message: str


def _refusal(what: str) -> Refusal:
    return Refusal(what, f"This bot is private. Ask its owner to add this {what}.")


@dataclass(frozen=True, slots=True)
class Access:
    """The allowlists and owners; ``check`` decides, ``is_owner`` says who runs the bot."""

    telegram_chats: frozenset[str] = frozenset()
    telegram_users: frozenset[str] = frozenset()
    slack_workspaces: frozenset[str] = frozenset()
    slack_channels: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()
    slack_admins: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        """The policy the config file sets (ids compared as text)."""

        def ids(values: Iterable[object]) -> frozenset[str]:
            return frozenset(str(v) for v in values)

        return cls(
            telegram_chats=ids(settings.telegram.allowed_chats),
            telegram_users=ids(settings.telegram.allowed_users),
            slack_workspaces=ids(settings.slack.allowed_workspaces),
            slack_channels=ids(settings.slack.allowed_channels),
            owners=ids(settings.bot.owners),
            slack_admins=ids(settings.slack.admins),
        )

    def configured_admin(self, chat_key: str, user_key: str) -> bool:
        """Whether a Slack user may change a channel: listed in ``[slack] admins``, in a
        channel listed there, or in a direct message with the bot (a D… channel)."""
        admins = self.slack_admins
        return user_key in admins or chat_key in admins or chat_key.startswith("D")

    def is_owner(self, context: ChatContext) -> bool:
        """Whether the user runs the bot: listed in ``[bot] owners``, or at the console."""
        if context.platform == "console":
            return True
        return bool(context.user_key) and f"{context.platform}:{context.user_key}" in self.owners

    def admits_scheduled(self, platform: str, chat_key: str) -> bool:
        """Whether the allowlists still admit a chat's scheduled digest (they may have changed
        since it joined). A private Telegram chat's id is its user's id; a Slack channel's
        workspace is not stored, so only the channel list applies."""
        private = platform == "telegram" and not chat_key.startswith("-")
        context = ChatContext(
            platform,
            chat_key,
            user_key=chat_key if private else "",
            team_key=next(iter(self.slack_workspaces), "") if platform == "slack" else "",
        )
        return self.check(context) is None

    def check(self, context: ChatContext) -> Refusal | None:
        """None when the context may use the bot, else the refusal."""
        if self.is_owner(context):
            return None
        if context.platform == "telegram":
            if not (self.telegram_chats or self.telegram_users):
                return None
            if context.chat_key in self.telegram_chats or context.user_key in self.telegram_users:
                return None
            return _refusal("chat")
        if context.platform == "slack":
            if self.slack_workspaces and context.team_key not in self.slack_workspaces:
                return _refusal("workspace")
            if self.slack_channels and context.chat_key not in self.slack_channels:
                return _refusal("channel")
        return None


class AccessGate:
    """The policy as the adapters use it: ``admit`` says what to answer a refused context."""

    def __init__(
        self,
        access: Access,
        *,
        every: float = REFUSAL_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.access = access
        self.every = every
        self.clock = clock
        self._told: dict[tuple[str, str], float] = {}

    def admit(self, context: ChatContext, *, notify: bool = True) -> Reply | None:
        """None when the context may use the bot (run the command). Otherwise the reply to
        send instead: the refusal when the chat has not been told within the hour and
        ``notify`` (the message was meant for the bot), else an empty reply (send nothing)."""
        refusal = self.access.check(context)
        if refusal is None:
            return None
        told = notify and self._tell(context.platform, context.chat_key)
        log.log(
            logging.INFO if notify else logging.DEBUG,
            "refused: not on the allowlist",
            extra={
                "platform": context.platform,
                "team": context.team_key or None,
                "chat": context.chat_key,
                "user": context.user_key or None,
                "reason": refusal.reason,
                "told": told,
            },
        )
        return Reply.message(refusal.message, ok=False) if told else Reply(ok=False)

    def _tell(self, platform: str, chat: str) -> bool:
        """Whether to tell this chat now; remembers that it was told."""
        now = self.clock()
        key = (platform, chat)
        last = self._told.get(key)
        if last is not None and now - last < self.every:
            return False
        if len(self._told) >= MAX_REMEMBERED_CHATS:
            self._told = {k: t for k, t in self._told.items() if now - t < self.every}
        self._told[key] = now
        return True


def owners_only() -> Reply:
    """The answer to a non-owner who tries a command that changes the bot for everyone."""
    return Reply.message(
        "Only the bot's owner can do that — it changes the bot for everyone.",
        "Send /help to see what you can do.",
        ok=False,
    )


def needs_admin(name: str, args: str) -> bool:
    """Whether the command, outside a private chat, is for the chat's admins only (adapters
    that must ask the platform who is an admin ask only then)."""
    return name in ADMINS_ONLY or (name in CHANGES and bool(args))


def admin_only(context: ChatContext, action: str) -> Reply:
    """The refusal when someone who is no admin tries to ``action`` ("change the digest
    settings"), worded for who the admins are on the platform."""
    if context.platform in _CONFIGURED_ADMINS:
        return Reply.message(
            f"Only this workspace's newsbot admins can {action} here.",
            "Ask whoever runs newsbot to add you to [slack] admins.",
            ok=False,
        )
    return Reply.message(
        f"Only the chat's administrators can {action} here. Ask one of them, please.", ok=False
    )


def admins(context: ChatContext) -> str:
    """Who may change the chat, as a reader calls them: "chat administrators" or "newsbot
    admins"."""
    return "newsbot admins" if context.platform in _CONFIGURED_ADMINS else "chat administrators"
