"""Delivery with 2 `newsbot worker` processes on one bot, and a worker SIGKILLed mid-delivery.

A loopback Bot API server in its own process enforces Telegram's flood limits with 429s (30
messages/s overall, 1/s per chat, 20/minute per group) and stamps each message it accepts.
Each run plans CHATS digests of 2 parts (every tenth chat a group) into the outbox of a fresh
PostgreSQL database, starts `newsbot worker --queues deliver` processes and queues a `deliver`
job. Runs:

- steady: 1 worker (the baseline), then 2, nothing killed: messages/s from the first message
  to the last, 429s;
- kill, other up: 2 workers; when a third of the parts are sent, the worker delivering is
  SIGKILLed and started again at once: how long until the next message, until every chat it
  held got its next part, parts lost, parts sent twice (allowed only for parts that were
  ``sending`` at the kill: Telegram cannot be asked whether it has them), 429s (the new
  deliverer must pace on from what the dead one sent);
- kill, restart only: 1 worker, killed and started again: time from the restart to the next
  message;
- baseline for recovery, same run: "kill, other up" with ``[workers] liveness_locks =
  false``, where a dead worker is noticed only by procrastinate's heartbeat
  (``stalled_seconds`` 10).

Fails (exit 1) when a part is lost, a part not under way at the kill is sent twice, a 429 is
answered, the steady rate is under 28 msg/s, or work resumes later than 5 s after the kill (the
other worker up) or after the restarted worker registered.

Run: make bench-scale   (or .venv/bin/python bench/scale_delivery.py [--chats 400] [--pg URL])
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.delivery_cluster import (  # noqa: E402
    PARTS,
    Cluster,
    Run,
    chat_ids,
    prepare,
    queue_delivery,
    verdict,
)
from bot.config import Settings  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.workers.queue import ensure_schema  # noqa: E402


def run(
    base: str,
    tmp: Path,
    name: str,
    chats: list[int],
    *,
    workers: int,
    kill: bool,
    liveness: bool = True,
) -> Run:
    """One delivery run in a fresh database; see the module docstring."""
    cluster = Cluster(base, tmp, name, liveness=liveness)
    asyncio.run(prepare(cluster.url, chats))
    found = Run(name, len(chats) * PARTS)
    try:
        for _ in range(workers):
            cluster.start()
        cluster.wait_registered(workers)
        asyncio.run(queue_delivery(cluster.url))
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            done = cluster.scalar(
                "SELECT count(*) FROM deliveries WHERE state IN ('sent', 'failed')"
            )
            if done >= found.parts:
                break
            if kill and found.killed_at is None and done >= found.parts // 3:
                kill_deliverer(cluster, found)
            time.sleep(0.05)
        found.unsent = cluster.scalar(
            "SELECT count(*) FROM deliveries WHERE state NOT IN ('sent', 'failed')"
        )
    finally:
        cluster.close(found)
    return found


def kill_deliverer(cluster: Cluster, found: Run) -> None:
    """SIGKILL the worker delivering, note what it held, and start a worker again at once."""
    holder = cluster.scalar(
        "SELECT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL"
        " AND state IN ('pending', 'sending') LIMIT 1"
    )
    if holder is None:
        return  # between two claims: next time
    doomed = cluster.procs[int(holder.split(":")[1])]
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    found.killed_at = time.time()
    found.sending_at_kill = cluster.scalar(
        "SELECT count(*) FROM deliveries WHERE state = 'sending'"
    )
    with psycopg.connect(cluster.url) as conn:
        held = conn.execute(
            "SELECT DISTINCT c.chat_key FROM deliveries d JOIN chats c ON c.id = d.chat_id"
            " WHERE d.claimed_by = %s AND d.state IN ('pending', 'sending')",
            (holder,),
        ).fetchall()
    found.held_chats = {int(k) for (k,) in held}
    known = cluster.scalar("SELECT max(id) FROM procrastinate_workers")
    found.restarted_at = time.time()
    cluster.start()
    while cluster.scalar("SELECT max(id) FROM procrastinate_workers") == known:
        time.sleep(0.05)
    found.registered_at = time.time()


async def add_chats(url: str, chats: list[int], digest_time: str) -> None:
    store = await Store.open(url)
    try:
        for chat in chats:
            await store.ensure_chat("telegram", str(chat), timezone="UTC", digest_time=digest_time)
        await ensure_schema(Settings(store={"url": url}, workers={"enabled": True}))
    finally:
        await store.close()


def schedulers(base: str, tmp: Path, chats: list[int], n: int = 3) -> tuple[Run, dict[str, int]]:
    """``n`` workers on `--queues plan,deliver`, each with procrastinate's periodic clock; the
    chats' digests came due 2 minutes ago. Runs until every digest is delivered and a second
    minute's plan job ran; returns the messages and the plan counts."""
    cluster = Cluster(base, tmp, "schedulers")
    due = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%H:%M")
    asyncio.run(add_chats(cluster.url, chats, due))
    found = Run(f"{n} schedulers", 0)
    counts: dict[str, int] = {}
    plans = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'newsbot:plan'"
    try:
        for _ in range(n):
            cluster.start("plan,deliver")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            digests = cluster.scalar("SELECT count(*) FROM digests")
            unsent = cluster.scalar("SELECT count(*) FROM deliveries WHERE state <> 'sent'")
            ran = cluster.scalar(plans + " AND status = 'succeeded'")
            if digests >= len(chats) and unsent == 0 and ran >= 2:
                break
            time.sleep(0.2)
        with psycopg.connect(cluster.url) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM digests),"
                " (SELECT count(DISTINCT (chat_id, slot)) FROM digests),"
                " (SELECT count(*) FROM deliveries),"
                f" ({plans}),"
                " (SELECT count(DISTINCT args->>'timestamp') FROM procrastinate_jobs"
                "  WHERE task_name = 'newsbot:plan')"
            ).fetchone()
        assert row is not None
        counts = dict(zip(("digests", "slots", "parts", "plan jobs", "minutes"), row, strict=True))
        found.parts = counts["parts"]
    finally:
        cluster.close(found)
    return found, counts


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=400)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    chats = chat_ids(args.chats)
    print(
        f"delivery with workers: {len(chats)} chats x {PARTS} parts, Telegram's flood limits"
        " enforced with 429s; [workers] stalled_seconds 10, [delivery] lease_seconds 60"
    )
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        runs = [
            run(args.pg, tmp, "baseline: steady, 1 worker", chats, workers=1, kill=False),
            run(args.pg, tmp, "steady, 2 workers", chats, workers=2, kill=False),
            run(args.pg, tmp, "kill, other up", chats, workers=2, kill=True),
            run(args.pg, tmp, "kill, restart only", chats, workers=1, kill=True),
            run(
                args.pg,
                tmp,
                "baseline: no liveness lock",
                chats,
                workers=2,
                kill=True,
                liveness=False,
            ),
        ]
        planned, plan_counts = schedulers(args.pg, tmp, chats[:100])
    head = (
        f"{'':28} {'msg/s':>6} {'429s':>5} {'lost':>5} {'twice':>6} {'sending':>8}"
        f" {'next msg':>9} {'its chats':>10} {'from reg.':>10} {'its chats':>10}"
    )
    print(head)
    failures = []
    for r in runs:
        resumed = r.first_after(r.killed_at) if r.killed_at else None
        from_registered = r.first_after(r.registered_at) if r.registered_at else None
        print(
            f"{r.name:28} {r.rate():>6.1f} {r.too_many:>5} {r.lost(chats):>5} {r.twice():>6}"
            f" {r.sending_at_kill:>8} {seconds(resumed):>9}"
            f" {seconds(r.chats_resumed(r.killed_at)):>10} {seconds(from_registered):>10}"
            f" {seconds(r.chats_resumed(r.registered_at)):>10}"
        )
        if r.lost(chats) or r.unsent:
            failures.append(f"{r.name}: {r.lost(chats)} parts lost, {r.unsent} unsent")
        if r.twice() > r.sending_at_kill:
            failures.append(f"{r.name}: {r.twice()} sent twice, {r.sending_at_kill} under way")
        if r.too_many:
            failures.append(f"{r.name}: {r.too_many} x 429")
        if r.name.startswith("baseline"):
            continue
        if r.killed_at is None and r.rate() < 28:
            failures.append(f"{r.name}: {r.rate():.1f} msg/s < 28")
        if r.name == "kill, other up" and (resumed is None or resumed > 5):
            failures.append(f"{r.name}: resumed {seconds(resumed)} s after the kill (> 5)")
        if r.name == "kill, restart only" and (from_registered is None or from_registered > 5):
            failures.append(f"{r.name}: resumed {seconds(from_registered)} s after registering")
    print(
        f"{planned.name}: {plan_counts['digests']} digests planned for {min(len(chats), 100)}"
        f" chats ({plan_counts['slots']} distinct chat slots), {plan_counts['plan jobs']} plan"
        f" jobs in {plan_counts['minutes']} minutes, {len(planned.messages)} messages for"
        f" {plan_counts['parts']} parts, {planned.too_many} x 429"
    )
    if not (
        plan_counts["digests"] == plan_counts["slots"] == min(len(chats), 100)
        and plan_counts["plan jobs"] == plan_counts["minutes"]
        and len(planned.messages) == plan_counts["parts"]
        and planned.too_many == 0
    ):
        failures.append(f"{planned.name}: a digest planned or sent twice, or a 429")
    print(
        "columns: next msg = seconds from the SIGKILL to the next message; its chats = until"
        " every chat the dead worker held got its next part; from reg. = the same two from the"
        " restarted worker's registration; sending = parts under way at the kill"
    )
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
