"""Pacing sends to stay inside a platform's flood limits, so it never has to answer 429.

Each limit is a set of ``count`` slots with delayed release: a send takes a slot of every limit
that applies when it starts and gives it back ``period`` seconds after the platform answered.
A message arrives between our start and the answer, so every message that arrived in any server
window of ``period`` seconds still holds its slot, and the server never counts more than
``count`` there, whatever the latency or its jitter. A hold (a 429's retry_after) stops its chat
only; waiters get free slots in the order they came, skipping those whose own chat must wait,
except that a reply (someone waiting for it) goes before every digest part still waiting: it
still takes a slot of every limit, so the platform counts it as any other message.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` sends in any window of ``period`` seconds."""

    count: int
    period: float


# Telegram's flood limits: 30 messages a second per bot, 1 a second per chat, 20 a minute per
# group (its Bot API FAQ); both pacers use them.
TELEGRAM_LIMITS = (Limit(30, 1.0), Limit(1, 1.0), Limit(20, 60.0))


class _Slots:
    """One limit's slots: ``busy`` held by sends under way, ``releases`` (a heap) coming back."""

    __slots__ = ("busy", "count", "period", "releases")

    def __init__(self, limit: Limit) -> None:
        self.count, self.period = limit.count, limit.period
        self.busy = 0
        self.releases: list[float] = []

    def used(self, now: float) -> int:
        while self.releases and self.releases[0] <= now:
            heapq.heappop(self.releases)
        return self.busy + len(self.releases)

    def free_at(self, now: float, margin: float) -> float:
        """A lower bound on when a slot is free: a send under way frees one a period after."""
        need = self.used(now) - self.count + 1
        if need <= 0:
            return now
        if need <= len(self.releases):
            return heapq.nsmallest(need, self.releases)[-1]
        return now + self.period + margin


_Waiter = tuple[str, bool, "asyncio.Future[list[_Slots]]"]
# Work for the turn's own time, before the send (marking a part as under way): False, not sent.
Prepare = Callable[[], Awaitable[bool]]


class Pacing(Protocol):
    """How a sender paces its messages: this in-process Pacer, or with workers the SharedPacer
    (bot/delivery/shared_pacing.py) that every process of the bot shares."""

    def turn(
        self,
        chat: str,
        *,
        group: bool = False,
        urgent: bool = False,
        prepare: Prepare | None = None,
    ) -> AbstractAsyncContextManager[None]:
        """Wait for ``chat``'s turn and send inside the block (``urgent``: a reply);
        ``prepare`` runs once the turn is given, before the block."""
        ...

    def hold(self, chat: str, seconds: float) -> None:
        """Send nothing to ``chat`` for ``seconds`` (a 429's retry_after)."""
        ...

    def restore(self, sends: Iterable[tuple[str, bool, float]]) -> bool:
        """Pace on from the sends other processes made lately; returns whether it did."""
        ...

    async def close(self) -> None:
        """Release what the pacing holds."""
        ...


class Pacer:
    """Lets each send go when every limit on it has a free slot: per chat, per group, overall.

    ``margin`` (seconds) is added to each release, for clock granularity. ``clock`` and
    ``sleep`` are injectable (monotonic seconds) so tests run on virtual time.
    """

    def __init__(
        self,
        overall: Limit | None,
        per_chat: Limit | None,
        per_group: Limit | None = None,
        *,
        margin: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._margin = margin
        self._clock = clock
        self._sleep = sleep
        self._overall = _Slots(overall) if overall else None
        self._per_chat = per_chat
        self._per_group = per_group
        self._chats: dict[str, _Slots] = {}
        self._groups: dict[str, _Slots] = {}
        self._holds: dict[str, float] = {}
        self._waiters: dict[int, _Waiter] = {}  # in the order they came
        self._replies: dict[int, _Waiter] = {}  # urgent ones, granted before the others
        self._tickets = itertools.count()
        self._events: list[float] = []  # a heap of release times and hold ends
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf
        self._sweep_at = 256

    @classmethod
    def telegram(cls, **options: Any) -> Pacer:
        """Telegram: 30 messages/s overall, 1/s per chat, 20/minute per group; ``options`` are
        the constructor's keywords (margin, clock, sleep)."""
        return cls(*TELEGRAM_LIMITS, **options)

    @classmethod
    def slack(cls, **options: Any) -> Pacer:
        """Slack: about 1 message/s per channel, no overall cap (``options`` as for telegram)."""
        return cls(None, Limit(1, 1.0), **options)

    @asynccontextmanager
    async def turn(
        self,
        chat: str,
        *,
        group: bool = False,
        urgent: bool = False,
        prepare: Prepare | None = None,
    ) -> AsyncIterator[None]:
        """Wait for a free slot of every limit on ``chat`` and hold them for the block.

        They are released a period after the block ends, however it ends. A hold placed on the
        chat while waiting is honoured; a waiter cancelled before its turn takes nothing.
        Replies to users (``urgent``) go before the digest parts waiting, in the order they
        came, and hold slots like them: Telegram counts every message. ``prepare`` runs first
        thing in the turn.
        """
        slots = await self._acquire(chat, group, urgent)
        try:
            if prepare is not None:
                await prepare()
            yield
        finally:
            now = self._clock()
            for slot in slots:
                slot.busy -= 1
                release = now + slot.period + self._margin
                heapq.heappush(slot.releases, release)
                heapq.heappush(self._events, release)
            self._grant()

    def hold(self, chat: str, seconds: float) -> None:
        """Send nothing to ``chat`` for ``seconds`` (a 429's retry_after); other chats go on."""
        until = self._clock() + max(seconds, 0.0)
        self._holds[chat] = max(until, self._holds.get(chat, -math.inf))
        heapq.heappush(self._events, until)
        if self._waiters or self._replies:
            self._arm(self._clock())

    def restore(self, sends: Iterable[tuple[str, bool, float]]) -> bool:
        """Start over from the sends another process made (``(chat, group, seconds since the
        platform answered)``, from the outbox): each holds its slots for what is left of its
        periods, so a pacer taking over a bot's delivery does not burst where the last one
        stopped. Only when idle (nothing waiting or under way): returns whether it restored."""
        if self._waiters or self._replies or (self._overall and self._overall.busy):
            return False
        if any(slot.busy for slots in (self._chats, self._groups) for slot in slots.values()):
            return False
        now = self._clock()
        if self._overall:
            self._overall.releases = []
        self._chats, self._groups, self._holds, self._events = {}, {}, {}, []
        for chat, group, age in sends:
            for slot in self._slots(chat, group):
                release = now - max(age, 0.0) + slot.period + self._margin
                if release > now:
                    heapq.heappush(slot.releases, release)
                    heapq.heappush(self._events, release)
        return True

    async def close(self) -> None:
        """Nothing to release: the pacer lives in this process's memory."""

    def ready_in(self, chat: str, *, group: bool = False) -> float:
        """Seconds until a turn for ``chat`` could start: 0 if now, else a lower bound (a send
        under way counts as answered now). Takes nothing."""
        now = self._clock()
        at = max(now, self._holds.get(chat, now))
        for slot in self._slots(chat, group, create=False):
            at = max(at, slot.free_at(now, self._margin))
        return at - now

    async def _acquire(self, chat: str, group: bool, urgent: bool = False) -> list[_Slots]:
        ticket = next(self._tickets)
        future: asyncio.Future[list[_Slots]] = asyncio.get_running_loop().create_future()
        queue = self._replies if urgent else self._waiters
        queue[ticket] = (chat, group, future)
        self._grant()
        try:
            return await future
        except BaseException:
            if queue.pop(ticket, None) is None and future.done() and not future.cancelled():
                for slot in future.result():  # granted as we were cancelled: nothing was sent
                    slot.busy -= 1
            self._grant()
            raise

    def _grant(self) -> None:
        """Start the waiters that can go now, replies first, then first come first served;
        wake when one might."""
        now = self._clock()
        for queue in (self._replies, self._waiters):
            done: list[int] = []
            for ticket, (chat, group, future) in queue.items():
                if self._overall and self._overall.used(now) >= self._overall.count:
                    break
                if future.done():  # cancelled, not yet cleaned up by its task
                    done.append(ticket)
                    continue
                if self._holds.get(chat, -math.inf) > now:
                    continue
                slots = self._slots(chat, group)
                if all(slot.used(now) < slot.count for slot in slots):
                    for slot in slots:
                        slot.busy += 1
                    done.append(ticket)
                    future.set_result(slots)
            for ticket in done:
                del queue[ticket]
        self._arm(now)

    def _arm(self, now: float) -> None:
        while self._events and self._events[0] <= now:
            heapq.heappop(self._events)
        at = self._events[0] if self._events else math.inf
        running = self._timer is not None and not self._timer.done()
        waiting = bool(self._waiters or self._replies)
        if running and waiting and self._timer_at <= at:
            return  # already set to wake in time; if only sends under way block, they wake us
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if at < math.inf and waiting:
            self._timer_at = at
            self._timer = asyncio.ensure_future(self._wake(at - now))

    async def _wake(self, delay: float) -> None:
        await self._sleep(delay)
        self._timer = None
        self._grant()

    def _slots(self, chat: str, group: bool, create: bool = True) -> list[_Slots]:
        if create and len(self._chats) + len(self._groups) + len(self._holds) > self._sweep_at:
            self._sweep(self._clock())
        found = [self._overall] if self._overall else []
        for limit, slots, applies in (
            (self._per_chat, self._chats, True),
            (self._per_group, self._groups, group),
        ):
            if limit is None or not applies:
                continue
            slot = slots.get(chat)
            if slot is None:
                slot = _Slots(limit)
                if create:
                    slots[chat] = slot
            found.append(slot)
        return found

    def _sweep(self, now: float) -> None:
        """Forget idle chats, so a long-running pacer does not grow with every chat it has seen."""
        for slots in (self._chats, self._groups):
            for chat in [chat for chat, slot in slots.items() if not slot.used(now)]:
                del slots[chat]
        self._holds = {chat: until for chat, until in self._holds.items() if until > now}
        self._sweep_at = 2 * (len(self._chats) + len(self._groups) + len(self._holds)) + 256
