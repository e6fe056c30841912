"""Pacing shared by every process of one bot, with workers (``[workers] enabled``, PostgreSQL):
`newsbot run` sends replies while a `newsbot worker` sends digest parts, and the platform
counts both against one bot's flood limits.

A send takes its slot in the store's PostgreSQL (bot/store/pace.py: one round trip) and sleeps
until it. At most ``count`` of the bot's slots start in any ``period + margin``, no two closer
than ``period / count``; ``margin`` is what a message may arrive later than its slot, and a
send answered later than half of it counts from its answer (one more statement, after it).
A reply, someone waiting, takes the bot's next slot; digest parts take slots at most ``ahead``
seconds away, so a reply never waits behind more than that of them. In one process (SQLite,
no workers) bot/delivery/pacing.py paces alone.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.delivery.pacing import TELEGRAM_LIMITS, Limit, Pacer, Pacing, Prepare
from bot.store import Store
from bot.store.pace import PaceSlots, PacingUnavailable, SlotLimit, Taken

log = logging.getLogger("newsbot.delivery")

MARGIN = 0.02  # seconds a message may reach the platform after its slot (see the docstring)
AHEAD = 0.25  # seconds ahead digest parts may take the bot's slots (a reply's longest queue)
# Seconds ahead replies may take them: more than digest parts (their priority), and less than
# a period, so that a send answered late is counted from its answer before the send a period
# after it takes its slot.
REPLY_AHEAD = 0.5
SLACK = 0.01  # seconds a chat's wait may delay the bot's next slot
RETAKES = 3  # slots taken again, at most, by a send woken too late for its own


class _DatabaseClock:
    """The database's clock as this process sees it, from the quickest of the last round trips
    (a slow one, the event loop busy, says little). Within ``error`` seconds either way: a
    slot is met that much late and an answer counted that much late, never early."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=64)  # (round trip, offset)
        self._best = (math.inf, 0.0)

    def sample(self, asked: float, answered: float, database_now: float) -> None:
        """A round trip from ``asked`` to ``answered`` (monotonic) read ``database_now``."""
        if len(self._samples) == self._samples.maxlen and self._samples[0] == self._best:
            self._best = (math.inf, 0.0)  # the best is leaving: find the next one
            self._samples.popleft()
            self._best = min(self._samples, default=self._best)
        rtt = answered - asked
        self._samples.append((rtt, database_now - (asked + answered) / 2))
        self._best = min(self._best, self._samples[-1])

    @property
    def error(self) -> float:
        return self._best[0] / 2 if self._best[0] < math.inf else 0.0

    def local(self, database_time: float) -> float:
        """When a database time comes on this process's monotonic clock, at the latest."""
        return database_time - self._best[1] + self.error

    def database(self, local_time: float) -> float:
        """A monotonic time of this process on the database's clock, at the latest."""
        return local_time + self._best[1] + self.error


class SharedPacer:
    """A bot's flood limits kept in the store's PostgreSQL for all its processes together.

    ``overall`` (None: no limit per bot, as on Slack), ``per_chat`` and ``per_group`` are the
    platform's limits, as for Pacer. When the database cannot be reached, sends are paced by
    an in-process Pacer with the same limits (logged): this process stays within them, the
    processes together may not.
    """

    def __init__(
        self,
        slots: PaceSlots,
        bot: str,
        overall: Limit | None,
        per_chat: Limit,
        per_group: Limit | None = None,
        *,
        margin: float = MARGIN,
        ahead: float = AHEAD,
        reply_ahead: float = REPLY_AHEAD,
    ) -> None:
        self.slots = slots
        self.bot = bot
        self.margin = margin
        self.ahead = ahead
        self.reply_ahead = reply_ahead
        self.clock = _DatabaseClock()
        self._next_ask = -math.inf
        self._gap = overall.period / overall.count if overall else 0.0
        self._shared = (
            SlotLimit(bot, overall.count, overall.period + margin, overall.period / overall.count)
            if overall
            else None
        )
        self._per_chat = per_chat
        self._per_group = per_group
        self._local = Pacer(overall, per_chat, per_group)
        # Digest parts ask one at a time, in the order they came (two at once only wait for
        # each other on the bot's row, and are refused more often).
        self._gate = asyncio.Lock()
        self._holds: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._failed_at = -1e9
        self.statements = 0  # round trips made, for the benchmark

    @classmethod
    def telegram(cls, slots: PaceSlots, bot: str, **options: float) -> SharedPacer:
        """Telegram's limits (as Pacer.telegram) for bot ``bot``."""
        return cls(slots, bot, *TELEGRAM_LIMITS, **options)

    def _own(self, chat: str, group: bool) -> SlotLimit:
        key, m = f"{self.bot}:{chat}", self.margin
        chat_limit = self._per_chat
        if group and self._per_group is not None:
            # A group's row keeps its last ``count`` sends: per group, and 1/s through the gap.
            group_limit = self._per_group
            return SlotLimit(key, group_limit.count, group_limit.period + m, chat_limit.period + m)
        return SlotLimit(key, chat_limit.count, chat_limit.period + m)

    @asynccontextmanager
    async def turn(
        self,
        chat: str,
        *,
        group: bool = False,
        urgent: bool = False,
        prepare: Prepare | None = None,
    ) -> AsyncIterator[None]:
        """Wait for a slot of the bot's and the chat's limits and send in the block.

        ``urgent``: a reply someone waits for: it takes the bot's next slot, ahead of digest
        parts not yet given one. ``prepare`` runs once the slot is taken, while it comes (its
        time is not the send's): when it returns False the block runs at once, to send
        nothing."""
        own = self._own(chat, group)
        try:
            slot, at = await self._take(chat, own, urgent)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            self._fell_back(exc)
            async with self._local.turn(chat, group=group, prepare=prepare):
                yield
            return
        going = prepare is None or await prepare()
        if going:
            await asyncio.sleep(max(at - time.monotonic(), 0.0))
            for _ in range(RETAKES):
                # Woken late (a busy event loop): sent now, the message could reach the
                # platform inside the window of a send that took the next slot meanwhile.
                if time.monotonic() - at <= self.margin / 2:
                    break
                try:
                    slot, at = await self._take(chat, own, urgent)
                except (SQLAlchemyError, OSError, TimeoutError) as exc:
                    self._fell_back(exc)
                    break
                await asyncio.sleep(max(at - time.monotonic(), 0.0))
        try:
            yield
        finally:
            answered = self.clock.database(time.monotonic())
            if going and answered - slot > self.margin / 2:  # it may have arrived that late
                self._background(self.slots.done(self._key(), own.key, slot, answered))

    def hold(self, chat: str, seconds: float) -> None:
        """Send nothing to ``chat`` for ``seconds``, from any process (a 429's retry_after)."""
        until = time.monotonic() + max(seconds, 0.0)
        self._holds[chat] = max(until, self._holds.get(chat, 0.0))
        self._local.hold(chat, seconds)
        self._background(self.slots.hold(f"{self.bot}:{chat}", seconds))

    def restore(self, sends: Iterable[tuple[str, bool, float]]) -> bool:
        """Nothing to restore: the database holds every process's sends."""
        return True

    async def close(self) -> None:
        """Finish the statements under way and release the connections."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)
        await self.slots.close()

    def _key(self) -> str | None:
        return self._shared.key if self._shared else None

    async def _take(self, chat: str, own: SlotLimit, urgent: bool) -> tuple[float, float]:
        """Take a slot (digest parts at the gate, in turn): the slot on the database's clock,
        and when it comes on this process's."""
        while True:
            held = self._holds.get(chat, 0.0) - time.monotonic()
            if held > 0:
                await asyncio.sleep(held)
                continue
            if urgent:
                taken, at = await self._ask(own, self.reply_ahead)
            else:
                async with self._gate:
                    while True:
                        # Asking before the bot's next slot is within reach would be refused.
                        await asyncio.sleep(max(self._next_ask - time.monotonic(), 0.0))
                        taken, at = await self._ask(own, self.ahead)
                        if taken.slot is not None:
                            self._next_ask = at + self._gap - self.ahead
                        if taken.slot is not None or taken.busy:
                            break
                        await asyncio.sleep(max(at - time.monotonic(), 0.0))  # queue at the gate
            if taken.slot is not None:
                return taken.slot, at
            await asyncio.sleep(max(at - time.monotonic(), 0.0))  # until the chat is ready

    async def _ask(self, own: SlotLimit, ahead: float | None) -> tuple[Taken, float]:
        asked = time.monotonic()
        taken = await self.slots.take(self._shared, own, ahead=ahead, slack=SLACK)
        self.statements += 1
        self.clock.sample(asked, time.monotonic(), taken.now)
        return taken, self.clock.local(taken.now + taken.wait)

    def _background(self, work: object) -> None:
        async def run() -> None:
            try:
                await work  # type: ignore[misc]
                self.statements += 1
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                self._fell_back(exc)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _fell_back(self, exc: BaseException) -> None:
        now = time.monotonic()
        if isinstance(exc, PacingUnavailable):
            return  # said when it failed
        if now - self._failed_at > 60:  # once a minute at most
            self._failed_at = now
            log.error(
                "shared pacing unavailable: pacing this process alone",
                extra={"bot": self.bot, "error": f"{type(exc).__name__}: {exc}"[:300]},
            )


def shares_pacing(settings: Settings, store: Store | None) -> bool:
    """Whether the bot's processes pace together: workers on PostgreSQL."""
    return bool(settings.workers.enabled and store is not None and store.dialect == "postgresql")


def telegram_pacing(settings: Settings, store: Store | None, bot: str) -> Pacing:
    """Telegram's pacing for bot id ``bot``: shared with workers, else in this process."""
    if store is not None and shares_pacing(settings, store):
        return SharedPacer.telegram(PaceSlots(store), f"telegram:{bot}")
    return Pacer.telegram()


def slack_pacing(settings: Settings, store: Store | None, pace_seconds: float = 1.0) -> Pacing:
    """Slack's pacing (about one message a second per channel): shared with workers."""
    if store is not None and shares_pacing(settings, store):
        return SharedPacer(PaceSlots(store), "slack", None, Limit(1, pace_seconds))
    return Pacer(None, Limit(1, pace_seconds))
