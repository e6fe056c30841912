"""Each Slack event answered once.

Slack retries an event whose ack was slow or lost (the same ``event_id``, with
``X-Slack-Retry-Num`` over HTTP or ``retry_attempt`` in Socket Mode), and delivers a message that
mentions the bot in a channel twice, as ``app_mention`` and as ``message`` (two event ids, one
channel and ``ts``). The keys of what was answered lately are kept, the newest few thousand: a
retry comes within minutes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

MAX_ANSWERED = 5000


class Answered:
    """Event ids and messages answered lately."""

    def __init__(self, keep: int = MAX_ANSWERED) -> None:
        self.keep = keep
        self._keys: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str) -> bool:
        """Whether ``key`` is new, remembering it. Check and set with no await between, so two
        deliveries handled at once cannot both see it new."""
        if key in self._keys:
            return False
        self._keys[key] = None
        while len(self._keys) > self.keep:
            self._keys.popitem(last=False)
        return True

    def first_event(self, body: dict[str, Any]) -> bool:
        """Whether the event of a request body is new (a body without ``event_id``, a slash
        command or a button press, always is)."""
        event_id = body.get("event_id")
        return not event_id or self.first_time(f"event:{event_id}")

    def first_answer(self, event: dict[str, Any]) -> bool:
        """Whether the message of ``event`` has not been answered yet (and now is)."""
        return self.first_time(f"message:{event.get('channel', '')}:{event.get('ts', '')}")
