"""The durable outbox on SQLite and PostgreSQL: planned once per slot, parts claimed in order,
claims exclusive across workers, unknown outcomes found after a lease runs out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.store import Store
from bot.store.outbox import Outbox, part_key

SLOT = datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


async def _chat(store: Store, key: str) -> int:
    return await store.ensure_chat("telegram", key, timezone="UTC", digest_time="08:00")


async def _plan(
    outbox: Outbox, chat_id: int, parts: list[str], slot: datetime = SLOT
) -> int | None:
    return await outbox.plan(
        chat_id=chat_id,
        platform="telegram",
        slot=slot,
        window_start=None,
        window_end=slot,
        story_count=len(parts),
        parts=parts,
    )


async def test_a_slot_is_planned_once_with_keys_per_part(store: Store) -> None:
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    chat = await _chat(store, "1")
    digest = await _plan(outbox, chat, ["a", "b", "c"])
    assert digest is not None
    assert await _plan(outbox, chat, ["x"]) is None  # a restart or a second process: nothing new
    assert await outbox.planned(chat, SLOT)
    assert await outbox.counts() == {"pending": 3}
    claimed = await outbox.claim(["telegram"], 10)
    assert [(d.body, d.part_index, d.parts) for d in claimed] == [("a", 0, 3)]
    assert claimed[0].idempotency_key == part_key(chat, SLOT, digest, 0)
    assert claimed[0].idempotency_key == f"chat{chat}:2026-03-29T06:00Z:part0"


async def test_parts_go_in_order_and_a_failed_part_does_not_block_the_rest(store: Store) -> None:
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    chat = await _chat(store, "1")
    await _plan(outbox, chat, ["a", "b", "c"])
    first = (await outbox.claim(["telegram"], 10))[0]
    assert await outbox.claim(["telegram"], 10) == []  # b waits for a
    assert await outbox.start_sending(first)
    await outbox.sent(first.id, "100")
    second = (await outbox.claim(["telegram"], 10))[0]
    assert second.body == "b"
    assert await outbox.start_sending(second)
    await outbox.failed(second.id, "message is too long")
    third = (await outbox.claim(["telegram"], 10))[0]
    assert third.body == "c"
    assert await outbox.counts() == {"sent": 1, "failed": 1, "pending": 1}


async def test_a_held_chat_does_not_hold_others(store: Store) -> None:
    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    held, other = await _chat(store, "1"), await _chat(store, "2")
    await _plan(outbox, held, ["h"])
    await _plan(outbox, other, ["o"])
    first = {d.body: d for d in await outbox.claim(["telegram"], 10)}
    assert set(first) == {"h", "o"}
    await outbox.start_sending(first["h"])
    await outbox.retry(first["h"].id, datetime.now(UTC) + timedelta(seconds=30), "429")
    await outbox.release([first["o"].id])
    again = await outbox.claim(["telegram"], 10)
    assert [d.body for d in again] == ["o"]


async def test_two_workers_never_claim_the_same_part(store: Store) -> None:
    one = Outbox(store, "w1", lease=timedelta(seconds=60))
    two = Outbox(Store(store.engine), "w2", lease=timedelta(seconds=60))
    for n in range(40):
        await _plan(one, await _chat(store, str(n)), ["p"])
    batches = await asyncio.gather(*(o.claim(["telegram"], 7) for o in (one, two) * 4))
    ids = [d.id for batch in batches for d in batch]
    assert len(ids) == len(set(ids)) == 40


async def test_a_part_left_sending_past_its_lease_is_unknown(store: Store) -> None:
    outbox = Outbox(store, "w1", lease=timedelta(milliseconds=200))
    chat = await _chat(store, "1")
    await _plan(outbox, chat, ["a"])
    part = (await outbox.claim(["telegram"], 10))[0]
    assert await outbox.start_sending(part)
    assert await outbox.unknown(["telegram"]) == []  # still within its lease: someone is on it
    await asyncio.sleep(0.3)
    later = Outbox(store, "w2", lease=timedelta(seconds=60))
    unknown = await later.unknown(["telegram"])
    assert [d.id for d in unknown] == [part.id]
    assert await later.reopen(part.id, "unknown")
    assert not await later.reopen(part.id, "unknown")  # settled once
    assert [d.body for d in await later.claim(["telegram"], 10)] == ["a"]


async def test_a_claim_whose_lease_ran_out_can_be_taken_over(store: Store) -> None:
    slow = Outbox(store, "w1", lease=timedelta(milliseconds=200))
    chat = await _chat(store, "1")
    await _plan(slow, chat, ["a"])
    part = (await slow.claim(["telegram"], 10))[0]
    await asyncio.sleep(0.3)
    fast = Outbox(store, "w2", lease=timedelta(seconds=60))
    taken = (await fast.claim(["telegram"], 10))[0]
    assert not await slow.start_sending(part)  # the slow worker lost it and does not send
    assert await fast.start_sending(taken)


async def test_a_paused_chat_is_not_claimed(store: Store) -> None:
    from bot.store.chats import ChatStore

    outbox = Outbox(store, "w1", lease=timedelta(seconds=60))
    chat = await _chat(store, "1")
    await _plan(outbox, chat, ["a"])
    await ChatStore(store).set_paused("telegram", "1", True)
    assert await outbox.claim(["telegram"], 10) == []
    assert await outbox.fail_chat(chat, "blocked") == 1
