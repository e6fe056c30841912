"""The delivery worker: claims due parts from the outbox, paces them per platform, sends them in
order per digest and settles each with the platform's answer.

A part whose send outcome is unknown (the process died, or the connection dropped, after the
request went out) is looked for on the platform where it can be (Slack); where it cannot
(Telegram has no way to read a chat or to make a send idempotent), it is **sent again**. We
prefer a rare duplicate part to a digest that silently lost its stories: the window is the few
milliseconds between the platform taking a message and our commit of its id, so it takes a crash
inside that window to show a part twice. Each such resend is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta

from bot import metrics
from bot.delivery.sender import Outcome, Sender
from bot.store.chats import ChatStore
from bot.store.deliveries import Delivery
from bot.store.outbox import Outbox, hold_until

log = logging.getLogger("newsbot.delivery")

MAX_ATTEMPTS = 6
RECENT = timedelta(seconds=61)  # the longest flood-limit period (Telegram's groups), and a margin
UNKNOWN_NOTE = "send outcome unknown (crash or lost connection): sent again"


class DeliveryWorker:
    """Sends what the outbox holds until told to stop; one per process, any number per store."""

    def __init__(
        self, outbox: Outbox, senders: Mapping[str, Sender], *, concurrency: int = 64
    ) -> None:
        self.outbox = outbox
        self.senders = dict(senders)
        self.concurrency = concurrency
        self.chats = ChatStore(outbox.store)
        self.sent = 0
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    def wake(self) -> None:
        """Look for parts now (the planner just added some)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, idle: float = 1.0) -> None:
        """Deliver until ``stop`` is set; then finish the sends under way and give back the rest."""
        await self.recover()
        ticks = 0
        while not stop.is_set():
            claimed = await self.tick()
            ticks += 1
            if ticks % 60 == 0:
                await self.recover()
            if claimed == 0 or len(self._tasks) >= self.concurrency:
                await _first(stop.wait(), self._wake.wait(), timeout=idle)
                self._wake.clear()
        await self.shutdown()

    async def drain(self, *, idle: float = 0.05) -> None:
        """Deliver until nothing is left to claim or in flight (commands and tests)."""
        await self.recover()
        while True:
            claimed = await self.tick()
            if claimed == 0 and not self._tasks:
                if not await self._waiting():
                    return
                await asyncio.sleep(idle)
            elif self._tasks:
                await asyncio.wait(self._tasks, timeout=idle, return_when=asyncio.FIRST_COMPLETED)

    async def drain_due(self, *, idle: float = 0.5) -> int:
        """Deliver what is due now and return when nothing due is left to claim or in flight
        (a job's share of the work); parts held back for later stay pending. Returns how many
        parts this call sent."""
        before = self.sent
        await self.recover()
        while True:
            claimed = await self.tick()
            if claimed == 0 and not self._tasks:
                return self.sent - before
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=idle, return_when=asyncio.FIRST_COMPLETED)

    async def take_over(self) -> int:
        """Start pacing from what every process sent in the last minute (the outbox's record),
        as the process that delivers for the cluster changes (a `deliver` job on another
        worker, one that died): a new pacer would otherwise burst into chats and groups the
        last one just filled. Returns how many recent sends it counted."""
        sends = await self.outbox.recent_sends(list(self.senders), RECENT)
        for platform, sender in self.senders.items():
            sender.pacer.restore(
                (chat, sender.is_group(chat), age) for p, chat, age in sends if p == platform
            )
        return len(sends)

    async def tick(self) -> int:
        """Claim what fits in the free slots and start sending it; returns how many."""
        room = self.concurrency - len(self._tasks)
        if room <= 0 or self._stopping:
            return 0
        claimed = await self.outbox.claim(list(self.senders), room)
        for delivery in claimed:
            task = asyncio.create_task(self._deliver(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def recover(self) -> int:
        """Settle parts whose send outcome is unknown; returns how many were found."""
        unknown = await self.outbox.unknown(list(self.senders))
        for delivery in unknown:
            found = await self.senders[delivery.platform].find_part(delivery)
            if found is not None:
                await self.outbox.sent(delivery.id, found)
                log.info("unknown part found delivered", extra=_fields(delivery))
            elif await self.outbox.reopen(delivery.id, UNKNOWN_NOTE):
                log.warning("unknown part: sending it again", extra=_fields(delivery))
        return len(unknown)

    async def shutdown(self, timeout: float = 20.0) -> None:
        """Stop claiming, let sends under way finish, give back parts still waiting their turn."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def _waiting(self) -> bool:
        counts = await self.outbox.counts()
        return bool(counts.get("pending", 0) or counts.get("sending", 0))

    async def _deliver(self, delivery: Delivery) -> None:
        sender = self.senders[delivery.platform]
        going = False

        async def start() -> bool:
            nonlocal going
            if self._stopping:
                await self.outbox.release([delivery.id])
                return False
            # Only a part whose request may be under way is marked: after a crash, "sending"
            # means the platform may have it. Marked as its turn is given (shared pacing: as
            # its slot is taken, at most a quarter second before it), so the commit does not
            # delay the send. False: our lease ran out and another worker has it.
            going = await self.outbox.start_sending(delivery)
            return going

        group = sender.is_group(delivery.chat_key)
        async with sender.pacer.turn(delivery.chat_key, group=group, prepare=start):
            if not going:
                return
            try:
                outcome = await sender.send_part(delivery)
            except Exception as exc:  # the request may or may not have reached the platform
                failure: Exception | None = exc
            else:
                failure = None
        if failure is not None:
            await self._unknown(delivery, failure)
        else:
            await self._settle(delivery, sender, outcome)

    async def _settle(self, delivery: Delivery, sender: Sender, outcome: Outcome) -> None:
        fields = _fields(delivery)
        counted = (
            "sent"
            if outcome.kind == "sent"
            else "retried"
            if outcome.kind in ("retry", "moved")
            else "failed"
        )
        metrics.PARTS.labels(delivery.platform, counted).inc()
        if outcome.kind == "sent":
            await self.outbox.sent(delivery.id, outcome.message_id)
            self.sent += 1
        elif outcome.kind == "retry":
            if delivery.platform != "slack":  # slack_sdk's retry handler counts Slack's 429s
                metrics.RATE_LIMITED.labels(delivery.platform).inc()
            sender.pacer.hold(delivery.chat_key, outcome.retry_after)
            await self.outbox.retry(
                delivery.id, hold_until(outcome.retry_after), f"retry after {outcome.retry_after}s"
            )
            log.warning("platform asks to wait", extra=fields | {"seconds": outcome.retry_after})
            self.wake_later(outcome.retry_after)
        elif outcome.kind == "moved" and outcome.new_chat_key:
            await self.chats.migrate(delivery.platform, delivery.chat_key, outcome.new_chat_key)
            await self.outbox.retry(delivery.id, hold_until(0), "chat moved")
            log.info("chat moved: following it", extra=fields | {"to": outcome.new_chat_key})
            self.wake()
        elif outcome.kind == "gone":
            await self.outbox.failed(delivery.id, outcome.error or "chat gone")
            await self.chats.set_paused(delivery.platform, delivery.chat_key, True)
            dropped = await self.outbox.fail_chat(delivery.chat_id, "chat paused: bot blocked")
            log.warning(
                "chat blocked or removed the bot: paused its deliveries",
                extra=fields | {"error": outcome.error, "parts_dropped": dropped},
            )
        else:
            await self.outbox.failed(delivery.id, outcome.error or "refused")
            log.error("part refused", extra=fields | {"error": outcome.error})

    async def _unknown(self, delivery: Delivery, exc: Exception) -> None:
        fields = _fields(delivery) | {"error": f"{type(exc).__name__}: {exc}"[:300]}
        if delivery.attempts + 1 >= MAX_ATTEMPTS:
            await self.outbox.failed(delivery.id, f"gave up after {MAX_ATTEMPTS} attempts")
            log.error("part failed: giving up", extra=fields)
            return
        found = await self.senders[delivery.platform].find_part(delivery)
        if found is not None:
            await self.outbox.sent(delivery.id, found)
            return
        wait = min(2.0**delivery.attempts, 300.0)
        await self.outbox.retry(delivery.id, hold_until(wait), UNKNOWN_NOTE)
        log.warning("send failed: trying again", extra=fields | {"in_seconds": wait})
        self.wake_later(wait)

    def wake_later(self, seconds: float) -> None:
        """Look again once a hold is over."""
        asyncio.get_running_loop().call_later(max(seconds, 0.0) + 0.01, self._wake.set)


async def _first(*waits: object, timeout: float) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]  # type: ignore[arg-type]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _fields(delivery: Delivery) -> dict[str, object]:
    return {
        "platform": delivery.platform,
        "chat": delivery.chat_key,
        "part": f"{delivery.part_index + 1}/{delivery.parts}",
        "key": delivery.idempotency_key,
    }
