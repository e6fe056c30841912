"""Per-user rate limits on the commands that cost: /summary and /ask call the summarizer or LLM.

``[limits] summary_per_hour`` and ``ask_per_hour`` (0: unlimited) count each user's uses over a
sliding hour, in memory: a restart forgets them, which errs on the user's side. Over the limit
the user hears when they can try again and nothing is run. Owners are exempt (the core decides).
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from bot.reply import Reply

if TYPE_CHECKING:
    from bot.config_sections import LimitsSettings

log = logging.getLogger("newsbot.limits")

WINDOW_SECONDS = 3600.0
MAX_REMEMBERED_USERS = 10_000
# What the user is told per limited command; {when} is "12 minutes".
MESSAGES = {
    "summary": "You've asked for a lot of summaries this hour — try again in {when}.",
    "ask": "You've asked a lot this hour — try again in {when}.",
}


def _when(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


class RateLimits:
    """Uses per hour by (command, user), over a sliding window; the clock is injectable."""

    def __init__(
        self,
        per_hour: Mapping[str, int],
        *,
        clock: Callable[[], float] = time.monotonic,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self.per_hour = {name: n for name, n in per_hour.items() if n > 0}
        self.clock = clock
        self.window = window
        self._uses: dict[tuple[str, str], deque[float]] = {}

    @classmethod
    def from_settings(
        cls, limits: LimitsSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> RateLimits:
        """The limits the config file sets."""
        return cls({"summary": limits.summary_per_hour, "ask": limits.ask_per_hour}, clock=clock)

    def take(self, command: str, user: str) -> float | None:
        """Count one use of ``command`` by ``user``: None when within the limit, else the
        seconds until the oldest use in the window expires (and nothing is counted)."""
        limit = self.per_hour.get(command)
        if limit is None:
            return None
        now = self.clock()
        key = (command, user)
        uses = self._uses.get(key)
        if uses is None:
            if len(self._uses) >= MAX_REMEMBERED_USERS:
                self._forget_idle(now)
            uses = self._uses[key] = deque()
        while uses and now - uses[0] >= self.window:
            uses.popleft()
        if len(uses) >= limit:
            return uses[0] + self.window - now
        uses.append(now)
        return None

    def check(self, command: str, user: str) -> Reply | None:
        """None when the user may run ``command`` now (the use is counted), else the reply
        that says when to try again."""
        wait = self.take(command, user)
        if wait is None:
            return None
        log.info(
            "rate limited",
            extra={
                "command": command,
                "user": user,
                "per_hour": self.per_hour[command],
                "retry_seconds": round(wait),
            },
        )
        text = MESSAGES.get(command, "You've used this a lot this hour — try again in {when}.")
        return Reply.message(text.format(when=_when(wait)), ok=False)

    def _forget_idle(self, now: float) -> None:
        self._uses = {
            k: uses for k, uses in self._uses.items() if uses and now - uses[-1] < self.window
        }
