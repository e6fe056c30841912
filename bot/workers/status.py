"""Job failures made visible: per queue, how many jobs wait, run, succeeded, failed or were
retried, and the failed ones with their error (`newsbot jobs`)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import procrastinate
import psycopg

from bot.ingest.http.logsafe import scrub

log = logging.getLogger("newsbot.workers")
STATES = {"todo": "queued", "doing": "running", "succeeded": "succeeded", "failed": "failed"}


@dataclass(slots=True)
class QueueCounts:
    """One queue's jobs by state; ``retried``: jobs that ran more than once."""

    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    retried: int = 0


@dataclass(slots=True)
class FailedJob:
    """A job that failed for good, with the error of its last attempt."""

    id: int
    task: str
    queue: str
    attempts: int
    error: str
    at: str | None


@dataclass(slots=True)
class JobsReport:
    """What `newsbot jobs` shows."""

    queues: dict[str, QueueCounts] = field(default_factory=dict)
    failed: list[FailedJob] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `newsbot jobs --json` object (a contract: add keys, never change them)."""
        return {
            "queues": {name: asdict(counts) for name, counts in sorted(self.queues.items())},
            "failed": [asdict(job) for job in self.failed],
        }


async def jobs_report(url: str, *, failed_limit: int = 20) -> JobsReport:
    """Count the jobs in the queue at ``url`` (libpq form) and list the latest failures."""
    report = JobsReport()
    async with await psycopg.AsyncConnection.connect(url, connect_timeout=10) as conn:
        rows = await conn.execute(
            # attempts counts finished runs: a waiting or running job that has one, or a
            # finished one with two or more, was retried (after a failure or a stalled worker).
            "SELECT queue_name, status::text, count(*), count(*) FILTER (WHERE attempts >"
            " CASE WHEN status IN ('todo', 'doing') THEN 0 ELSE 1 END)"
            " FROM procrastinate_jobs GROUP BY 1, 2"
        )
        for queue, status, count, retried in await rows.fetchall():
            counts = report.queues.setdefault(queue, QueueCounts())
            name = STATES.get(status, "cancelled")
            setattr(counts, name, getattr(counts, name) + count)
            counts.retried += retried
        rows = await conn.execute(
            "SELECT j.id, j.task_name, j.queue_name, j.attempts, e.error, e.at"
            " FROM procrastinate_jobs j LEFT JOIN newsbot_job_errors e ON e.job_id = j.id"
            " WHERE j.status = 'failed' ORDER BY j.id DESC LIMIT %s",
            (failed_limit,),
        )
        for id_, task, queue, attempts, error, at in await rows.fetchall():
            report.failed.append(
                FailedJob(
                    id_,
                    task,
                    queue,
                    attempts,
                    error or "(no error recorded)",
                    at.isoformat() if at else None,
                )
            )
    return report


async def record_errors(call_next: Any, context: procrastinate.JobContext, worker: Any) -> Any:
    """Worker middleware: write the error of a failed attempt beside its job, then re-raise."""
    try:
        return await call_next()
    except Exception as exc:
        error = scrub(f"{type(exc).__name__}: {exc}")[:1000]
        try:
            await context.app.connector.execute_query_async(
                query="INSERT INTO newsbot_job_errors (job_id, error) VALUES (%(id)s, %(error)s)"
                " ON CONFLICT (job_id) DO UPDATE SET error = EXCLUDED.error, at = now()",
                id=context.job.id,
                error=error,
            )
        except Exception:  # the error is in the log anyway
            log.exception("could not record a job's error", extra={"job": context.job.id})
        log.error(
            "job failed",
            extra={"job": context.job.id, "task": context.job.task_name, "error": error},
        )
        raise
