"""Seeing a dead worker at once, and queueing its running jobs again.

Each worker holds a PostgreSQL session-level advisory lock, keyed by its procrastinate worker
id, on a connection of its own, from before it fetches its first job until it exits. When the
process dies (SIGKILL, OOM, a lost machine), PostgreSQL ends its sessions and the lock is gone
at once: every other worker looks each second (``pg_locks``) and queues again the running jobs
of workers that hold no lock. A frozen worker whose connection lives on keeps its lock: for
that case procrastinate's heartbeat (``[workers] stalled_seconds``) still applies.

Only workers that took a lock are judged by it: each records its id in ``newsbot_worker_locks``
once its lock is held. A worker that holds none (``[workers] liveness_locks = false`` behind a
pooler, or an older newsbot during a rolling upgrade) is alive for all the others can tell; its
jobs wait for the heartbeat (``stalled_seconds``) as before, never queued again while it runs.

A job that cannot be queued again because one of the same kind already waits (the same
queueing lock: the same feed's poll, the next ``deliver``) is marked aborted instead: the
waiting job does its work, and the dead one no longer holds its lock (``deliver``) for ever.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import procrastinate
import psycopg
from procrastinate.exceptions import ConnectorException, UniqueViolation
from procrastinate.jobs import Status
from procrastinate.manager import JobManager

log = logging.getLogger("newsbot.workers")

# The first key of every worker's lock (the second is its worker id); any constant that differs
# from the other advisory locks newsbot takes (bot/store/db.py, bot/workers/schema.py,
# bot/store/exclusive.py).
NAMESPACE = 7_140_216
_KEY_MASK = 0x7FFFFFFF  # the second key is an int4

# The workers that took a liveness lock (made with the queue's tables, bot/workers/queue.py).
LOCKS_TABLE = """
CREATE TABLE IF NOT EXISTS newsbot_worker_locks (
    worker_id bigint PRIMARY KEY REFERENCES procrastinate_workers ON DELETE CASCADE
)
"""
# Running jobs whose worker took a lock and holds it no more in this database: its process is
# gone. (A job whose worker row is gone, NULL, has no one to wait for either.)
_ORPHANS = """
SELECT j.id, j.task_name, j.attempts FROM procrastinate_jobs j
WHERE j.status = 'doing' AND (j.worker_id IS NULL OR (
  j.worker_id IN (SELECT worker_id FROM newsbot_worker_locks) AND NOT EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = %(ns)s AND l.objid::bigint = (j.worker_id & %(mask)s))))
"""


class Liveness:
    """A worker's own connection and the lock it holds on it (``open`` before the worker
    registers, ``close`` after it is gone)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: psycopg.AsyncConnection | None = None
        self.worker_id: int | None = None

    async def open(self) -> None:
        """Connect (autocommit: the lock is the session's, no transaction stays open)."""
        self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)

    async def close(self) -> None:
        """Close the connection, which lets the lock go."""
        if self.conn is not None:
            await self.conn.close()
            self.conn = None

    async def hold(self, worker_id: int) -> None:
        """Take this worker's lock (before it fetches a job), then say it holds one."""
        assert self.conn is not None
        await self.conn.execute(
            "SELECT pg_advisory_lock(%s, %s)", (NAMESPACE, worker_id & _KEY_MASK)
        )
        await self.conn.execute(
            "INSERT INTO newsbot_worker_locks (worker_id) VALUES (%s) ON CONFLICT DO NOTHING",
            (worker_id,),
        )
        self.worker_id = worker_id

    async def reconnect(self) -> None:
        """A new connection, and the lock on it again (quietly: tried again next time)."""
        with contextlib.suppress(psycopg.Error):
            await self.close()
        with contextlib.suppress(psycopg.Error):
            await self.open()
            if self.worker_id is not None:
                await self.hold(self.worker_id)

    async def orphans(self) -> list[tuple[int, str, int]]:
        """(job id, task, attempts) of running jobs whose worker is gone. Raises when this
        worker's own connection is gone (and with it its lock)."""
        assert self.conn is not None
        cursor = await self.conn.execute(_ORPHANS, {"ns": NAMESPACE, "mask": _KEY_MASK})
        return [(int(i), str(t), int(a)) for i, t, a in await cursor.fetchall()]


class HeldJobManager(JobManager):
    """procrastinate's job manager, taking the worker's liveness lock as it registers, so the
    lock is held before the worker's first job and for as long as the process lives."""

    def __init__(self, connector: procrastinate.BaseConnector, liveness: Liveness) -> None:
        super().__init__(connector)
        self.liveness = liveness

    async def register_worker(self) -> int:
        worker_id = await super().register_worker()
        await self.liveness.hold(worker_id)
        return worker_id


async def requeue(manager: JobManager, jobs: Iterable[tuple[int, str, int]], why: str) -> int:
    """Queue these running jobs again (or abort one whose kind already waits); returns how
    many were queued again or aborted by this call."""
    done = 0
    for job_id, task, attempts in jobs:
        fields = {"job": job_id, "task": task, "attempts": attempts, "why": why}
        try:
            await manager.retry_job_by_id_async(job_id=job_id, retry_at=datetime.now(UTC))
        except UniqueViolation:
            try:
                await manager.finish_job_by_id_async(
                    job_id=job_id, status=Status.ABORTED, delete_job=False
                )
            except ConnectorException:
                continue
            log.warning("a dead worker's job is aborted: one of its kind waits", extra=fields)
        except ConnectorException:
            continue  # another worker queued it again first
        else:
            log.warning("a dead worker's job is queued again", extra=fields)
        done += 1
    return done
