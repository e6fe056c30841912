"""Who may use the bot: the allowlists of [telegram] and [slack], and the owners of [bot].

The decision is made here once for every platform, from what the adapter put in the
ChatContext (Telegram: chat and user; Slack: workspace, channel and user):

* Telegram: with ``allowed_chats`` or ``allowed_users`` set, a message is taken when its chat is
  on ``allowed_chats`` OR its sender is on ``allowed_users`` (a listed chat is open to everyone
  in it; a listed user may use the bot in any chat, a direct message included).
* Slack: with ``allowed_workspaces`` set, the user's workspace must be on it; with
  ``allowed_channels`` set, the channel must be on it too (a direct message is a channel, D…).
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

from bot.chat.reply import Reply

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.config import Settings

log = logging.getLogger("newsbot.access")

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
        )

    def is_owner(self, context: ChatContext) -> bool:
        """Whether the user runs the bot: listed in ``[bot] owners``, or at the console."""
        if context.platform == "console":
            return True
        return bool(context.user_key) and f"{context.platform}:{context.user_key}" in self.owners

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
