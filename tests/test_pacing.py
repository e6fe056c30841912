"""The pacer on virtual time: each simulated send arrives at the server some random time between
its turn's start and its end, and Telegram's loopback server must never answer 429 to what the
pacer lets through; a hold stays on its own chat, and throughput stays near the overall cap."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.pacing import Limit, Pacer
from tests.fakes.telegram_api import ApiError, BotAPIServer

PERIOD = 1.0 + 0.01  # a chat's slot comes back this long after the platform answered


class VirtualTime:
    """A clock and sleep for the pacer: time jumps to the next wake-up once every task sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def settle(self) -> None:
        for _ in range(20):  # let every woken task run up to its next sleep
            await asyncio.sleep(0)

    async def run(self, *jobs: Awaitable[object]) -> list[object]:
        """Run the jobs together to the end, advancing time whenever all of them sleep."""
        tasks = [asyncio.ensure_future(job) for job in jobs]
        while True:
            await self.settle()
            if all(task.done() for task in tasks):
                return [task.result() for task in tasks]
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)  # a cancelled sleep: no reason to move time
            assert self._sleepers, "tasks wait for something other than time"
            when, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, when)
            future.set_result(None)


@dataclass(frozen=True)
class Sent:
    start: float  # the turn began
    arrival: float  # the server counted it
    chat: int


class Sender:
    """Sends as the worker makes them: a turn, then a request that the server counts somewhere
    between the turn's start and its end (the answer). A group is a negative chat id."""

    def __init__(self, vt: VirtualTime, pacer: Pacer, seed: int = 0, latency: float | None = None):
        self.vt, self.pacer, self.latency = vt, pacer, latency
        self.rng = random.Random(seed)
        self.log: list[Sent] = []

    async def send(self, chat: int) -> None:
        async with self.pacer.turn(str(chat), group=chat < 0):
            took = self.rng.uniform(0.0, 0.08) if self.latency is None else self.latency
            now = self.vt.now
            self.log.append(Sent(now, now + self.rng.uniform(0.0, took), chat))
            await self.vt.sleep(took)

    def starts(self, chat: int | None = None) -> list[float]:
        return sorted(s.start for s in self.log if chat is None or s.chat == chat)


def telegram(vt: VirtualTime) -> Pacer:
    return Pacer.telegram(clock=vt.clock, sleep=vt.sleep)


def telegram_429s(log: Iterable[Sent]) -> int:
    """How many of these sends the loopback Bot API, enforcing its flood limits, would refuse."""
    server = BotAPIServer()
    server.enforce_limits = True
    refused = 0
    for sent in sorted(log, key=lambda sent: sent.arrival):
        server.clock = lambda at=sent.arrival: at
        try:
            server._check_rate(
                {"id": sent.chat, "type": "supergroup" if sent.chat < 0 else "private"}
            )
        except ApiError as exc:
            assert exc.code == 429
            refused += 1
    return refused


def most_in_window(times: list[float], period: float) -> int:
    ordered = sorted(times)
    return max(sum(1 for t in ordered if start <= t < start + period) for start in ordered)


async def test_hundred_chats_are_spread_over_three_periods_without_a_429() -> None:
    vt = VirtualTime()
    sender = Sender(vt, telegram(vt), seed=1)
    await vt.run(*(sender.send(chat) for chat in range(1, 101)))
    assert sender.starts()[29] == 0.0
    assert 3 * PERIOD <= sender.starts()[-1] <= 100 / 28
    assert most_in_window([s.arrival for s in sender.log], 1.0) <= 30
    assert telegram_429s(sender.log) == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_thousand_chats_never_get_a_429(seed: int) -> None:
    vt = VirtualTime()
    sender = Sender(vt, telegram(vt), seed=seed)
    await vt.run(*(sender.send(chat) for chat in range(1, 1001)))
    assert len(sender.log) == 1000
    assert telegram_429s(sender.log) == 0


async def test_a_fast_platform_gets_28_messages_a_second() -> None:
    vt = VirtualTime()
    sender = Sender(vt, telegram(vt), latency=0.01)
    await vt.run(*(sender.send(chat) for chat in range(1, 1001)))
    assert 1000 / vt.now >= 28
    assert telegram_429s(sender.log) == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_forty_chats_with_three_messages_each_never_get_a_429(seed: int) -> None:
    vt = VirtualTime()
    sender = Sender(vt, telegram(vt), seed=seed)
    chats = [*range(1, 41)] * 3
    random.Random(seed).shuffle(chats)
    await vt.run(*(sender.send(chat) for chat in chats))
    assert len(sender.log) == 120
    assert telegram_429s(sender.log) == 0
    for chat in (1, 40):
        starts = sender.starts(chat)
        assert len(starts) == 3
        assert all(b - a >= PERIOD for a, b in itertools.pairwise(starts))


async def test_a_group_gets_at_most_twenty_a_minute() -> None:
    vt = VirtualTime()
    sender = Sender(vt, telegram(vt), seed=4)
    await vt.run(*(sender.send(-100) for _ in range(45)))
    arrivals = [s.arrival for s in sender.log]
    assert most_in_window(arrivals, 60.0) == 20
    assert sender.starts()[20] >= 60.0
    assert telegram_429s(sender.log) == 0


async def test_groups_and_chats_together_never_get_a_429() -> None:
    vt = VirtualTime()
    sender = Sender(vt, telegram(vt), seed=5)
    chats = [*range(1, 41), -1, -2] * 12
    await vt.run(*(sender.send(chat) for chat in chats))
    assert len(sender.log) == len(chats)
    assert telegram_429s(sender.log) == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 20),
            st.sampled_from([*range(1, 40), -1, -2, -3]),
            st.sampled_from([0, 0, 0, 1, 3, 5]),
        ),
        min_size=1,
        max_size=200,
    ),
    st.integers(0, 2**32),
)
def test_sends_coming_at_random_times_never_get_a_429(
    arrivals: list[tuple[float, int, int]], seed: int
) -> None:
    async def scenario() -> list[Sent]:
        vt = VirtualTime()
        pacer = telegram(vt)
        sender = Sender(vt, pacer, seed=seed)

        async def come(at: float, chat: int, retry_after: int) -> None:
            await vt.sleep(at)
            if retry_after:
                pacer.hold(str(chat), retry_after)
            await sender.send(chat)

        await vt.run(*(come(*arrival) for arrival in arrivals))
        return sender.log

    log = asyncio.run(scenario())
    assert len(log) == len(arrivals)
    assert telegram_429s(log) == 0


async def test_a_held_chat_does_not_delay_another() -> None:
    vt = VirtualTime()
    pacer = telegram(vt)
    sender = Sender(vt, pacer, latency=0.05)
    pacer.hold("1", 5)
    await vt.run(sender.send(1), sender.send(2))
    assert [(s.start, s.chat) for s in sender.log] == [(0.0, 2), (5.0, 1)]


async def test_a_hold_that_comes_while_waiting_is_honoured() -> None:
    vt = VirtualTime()
    pacer = telegram(vt)
    sender = Sender(vt, pacer, latency=0.05)

    async def rate_limited_at(seconds: float) -> None:
        await vt.sleep(seconds)
        pacer.hold("7", 5)

    await vt.run(sender.send(7), sender.send(7), rate_limited_at(0.5))
    assert sender.starts() == [0.0, 5.5]


async def test_waiters_for_the_overall_cap_go_in_the_order_they_came() -> None:
    vt = VirtualTime()
    pacer = Pacer(Limit(1, 1.0), Limit(1, 1.0), margin=0.0, clock=vt.clock, sleep=vt.sleep)
    sender = Sender(vt, pacer, latency=0.5)
    await vt.run(*(sender.send(chat) for chat in range(1, 6)))
    assert [(s.start, s.chat) for s in sender.log] == [(1.5 * n, n + 1) for n in range(5)]


async def test_a_reply_goes_before_the_digest_parts_waiting_and_still_no_429() -> None:
    # 64 digest parts to 64 chats fill two seconds of the bot's 30 a second; someone asks a
    # question meanwhile: the answer takes the next free slot, not the 65th.
    vt = VirtualTime()
    sender = Sender(vt, telegram(vt), latency=0.05)
    asked_at = 0.1

    async def reply() -> None:
        await vt.sleep(asked_at)
        async with sender.pacer.turn("999", urgent=True):
            now = vt.now
            sender.log.append(Sent(now, now + 0.01, 999))
            await vt.sleep(0.05)

    await vt.run(*(sender.send(chat) for chat in range(1, 65)), reply())
    [answered] = sender.starts(999)
    parts_after = [s.start for s in sender.log if s.chat != 999 and s.start > asked_at]
    assert len(parts_after) == 34 and answered <= min(parts_after), (answered, parts_after)
    assert answered - asked_at < 1.1  # one period of the overall cap at most, not two
    assert telegram_429s(sender.log) == 0


async def test_an_exception_in_a_turn_still_releases_after_the_period() -> None:
    vt = VirtualTime()
    pacer = telegram(vt)
    with pytest.raises(RuntimeError):
        async with pacer.turn("1"):
            vt.now = 0.25
            raise RuntimeError("network down")
    assert pacer.ready_in("1") == pytest.approx(PERIOD)
    sender = Sender(vt, pacer, latency=0.0)
    await vt.run(sender.send(1))
    assert sender.starts() == [pytest.approx(0.25 + PERIOD)]


async def test_a_turn_cancelled_midway_still_releases_after_the_period() -> None:
    vt = VirtualTime()
    pacer = telegram(vt)
    sender = Sender(vt, pacer, latency=10.0)
    first = asyncio.ensure_future(sender.send(1))

    async def cancel_at(seconds: float) -> None:
        await vt.sleep(seconds)
        first.cancel()

    await vt.run(cancel_at(0.5))
    await vt.settle()
    assert first.cancelled()
    assert pacer.ready_in("1") == pytest.approx(PERIOD)
    await vt.run(sender.send(1))
    assert sender.starts(1) == [0.0, pytest.approx(0.5 + PERIOD)]


async def test_a_cancelled_waiter_takes_nothing() -> None:
    vt = VirtualTime()
    pacer = Pacer(Limit(1, 1.0), Limit(1, 1.0), margin=0.0, clock=vt.clock, sleep=vt.sleep)
    sender = Sender(vt, pacer, latency=0.5)
    busy = asyncio.ensure_future(sender.send(1))
    await vt.settle()
    abandoned = [asyncio.ensure_future(sender.send(chat)) for chat in (1, 2)]
    await vt.settle()
    for waiter in abandoned:
        waiter.cancel()
    await vt.run(busy, sender.send(3))
    assert all(waiter.cancelled() for waiter in abandoned)
    assert [(s.start, s.chat) for s in sender.log] == [(0.0, 1), (1.5, 3)]
    # only chat 3's overall slot is taken: chats 1 and 2 wait for it like any other chat
    assert pacer.ready_in("1") == pacer.ready_in("2") == pacer.ready_in("5") == pytest.approx(1.0)


async def test_a_waiter_cancelled_just_as_its_turn_came_gives_it_back() -> None:
    vt = VirtualTime()
    pacer = Pacer(None, Limit(1, 0.0), margin=0.0, clock=vt.clock, sleep=vt.sleep)
    entered: list[str] = []

    async def enter() -> None:
        async with pacer.turn("1"):
            entered.append("waiter")

    async with pacer.turn("1"):
        waiter = asyncio.ensure_future(enter())
        await vt.settle()
    waiter.cancel()  # its turn was granted as the first one ended, but it has not run yet
    await vt.settle()
    assert waiter.cancelled() and entered == []
    assert pacer.ready_in("1") == 0.0
    async with pacer.turn("1"):
        entered.append("next")
    assert entered == ["next"]


async def test_ready_in_reports_holds_and_busy_slots_without_taking_any() -> None:
    vt = VirtualTime()
    pacer = telegram(vt)
    pacer.hold("1", 5)
    assert pacer.ready_in("1") == 5.0
    assert pacer.ready_in("2") == 0.0
    vt.now = 2.0
    assert pacer.ready_in("1") == 3.0
    async with pacer.turn("2"):
        # under way: its slot comes back at least a period after the answer
        assert pacer.ready_in("2") == pytest.approx(PERIOD)
        assert pacer.ready_in("3") == 0.0
        vt.now = 2.5
    assert pacer.ready_in("2") == pytest.approx(PERIOD)
    vt.now = 3.0
    assert pacer.ready_in("2") == pytest.approx(0.5 + PERIOD - 1.0)
    for _ in range(5):
        assert pacer.ready_in("3") == 0.0
    sender = Sender(vt, pacer, latency=0.0)
    await vt.run(sender.send(3), sender.send(4))
    assert [(s.start, s.chat) for s in sender.log] == [(3.0, 3), (3.0, 4)]


async def test_ready_in_reports_the_overall_cap() -> None:
    vt = VirtualTime()
    pacer = telegram(vt)
    sender = Sender(vt, pacer, latency=0.0)
    await vt.run(*(sender.send(chat) for chat in range(1, 31)))
    assert pacer.ready_in("99") == pytest.approx(PERIOD)
    vt.now = 0.5
    assert pacer.ready_in("99") == pytest.approx(PERIOD - 0.5)


async def test_slack_paces_each_channel_but_not_the_whole() -> None:
    vt = VirtualTime()
    pacer = Pacer.slack(clock=vt.clock, sleep=vt.sleep)
    sender = Sender(vt, pacer, latency=0.1)
    await vt.run(*(sender.send(chat) for chat in [*range(1, 101), 1, 1]))
    assert sum(1 for s in sender.log if s.start == 0.0) == 100
    assert sender.starts(1) == pytest.approx([0.0, 0.1 + PERIOD, 2 * (0.1 + PERIOD)])


async def test_idle_chats_are_forgotten() -> None:
    vt = VirtualTime()
    pacer = Pacer.slack(clock=vt.clock, sleep=vt.sleep)
    sender = Sender(vt, pacer, latency=0.0)
    for chat in range(5000):
        pacer.hold(str(chat), 0.5)
        await vt.run(sender.send(chat))
        vt.now += 2.0
    assert len(sender.log) == 5000
    assert len(pacer._chats) + len(pacer._holds) < 1000


async def test_a_restored_pacer_waits_out_what_another_process_sent() -> None:
    vt = VirtualTime()
    vt.now = 100.0
    pacer = telegram(vt)
    # Another process filled a group's minute 30 s ago and wrote to a person 0.4 s ago; a
    # chat it wrote to 5 s ago is free again.
    earlier = [("-100", True, 30.0 - n * 0.01) for n in range(20)]
    assert pacer.restore([*earlier, ("7", False, 0.4), ("8", False, 5.0)])
    sender = Sender(vt, pacer, latency=0.0)
    await vt.run(sender.send(-100), sender.send(7), sender.send(8))
    assert sender.starts(8) == [100.0]
    assert sender.starts(7)[0] == pytest.approx(100.61, abs=0.01)
    assert sender.starts(-100)[0] >= 130.0
    # Not while sends are under way or waiting: their slots would be lost.
    async with pacer.turn("9"):
        assert not pacer.restore([])
