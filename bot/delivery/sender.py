"""What a chat platform offers the delivery worker: send a stored part, say what came of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from bot.delivery.pacing import Pacing
from bot.store.deliveries import Delivery

Kind = Literal["sent", "retry", "gone", "moved", "failed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the platform said to one part.

    sent: it has the message (``message_id``); retry: not now, this chat only (``retry_after``
    seconds); gone: the chat blocked or removed the bot; moved: the chat has a new key
    (``new_chat_key``), send there; failed: this part will never go (``error`` says why).
    """

    kind: Kind
    message_id: str | None = None
    retry_after: float = 0.0
    new_chat_key: str | None = None
    error: str = ""


class Sender(Protocol):
    """A chat platform as the delivery worker sees it.

    ``send_part`` raises for an outcome it cannot know (a timeout or a dropped connection after
    the request went out): the worker treats that part as possibly delivered.
    """

    platform: str
    pacer: Pacing

    def is_group(self, chat_key: str) -> bool:
        """Whether the chat is a group (Telegram paces groups at 20 messages a minute)."""
        ...

    async def send_part(self, delivery: Delivery) -> Outcome:
        """Send one stored part (``delivery.body``, the platform's own encoding made when the
        digest was planned) to ``delivery.chat_key`` and its topic or thread."""
        ...

    async def find_part(self, delivery: Delivery) -> str | None:
        """The message id of a part whose send outcome is unknown, when the platform lets us
        look; None when it is not there or we cannot tell."""
        ...
