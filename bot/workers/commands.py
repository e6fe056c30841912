"""Bodies of `newsbot worker`, `newsbot jobs` and `newsbot migrate`, and what `newsbot check`
says about workers."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.config import ConfigError, Settings
from bot.output import print_json
from bot.workers.queue import ensure_schema, libpq_url, queue_state
from bot.workers.status import jobs_report

out = Console(highlight=False, soft_wrap=True)


async def worker_command(
    settings: Settings, queues: list[str] | None, concurrency: int | None
) -> int:
    """Run jobs until SIGTERM; exit 2 when workers cannot run on this store."""
    from bot.workers.runner import QUEUES, run_worker

    unknown = sorted(set(queues or ()) - set(QUEUES))
    if unknown:
        print(
            f"newsbot worker: no queue {', '.join(unknown)}; the queues are {', '.join(QUEUES)}",
            file=sys.stderr,
        )
        return 2
    if not settings.workers.enabled:
        print(
            "newsbot worker: [workers] enabled is off, so `newsbot run` does the work itself; "
            "set NEWSBOT_WORKERS__ENABLED=true for `newsbot run` and the workers alike",
            file=sys.stderr,
        )
        return 2
    if concurrency is not None and not 1 <= concurrency <= 100:
        print("newsbot worker: --concurrency takes a whole number from 1 to 100", file=sys.stderr)
        return 2
    try:
        libpq_url(settings)
    except ConfigError as exc:
        print(f"newsbot worker: {exc}", file=sys.stderr)
        return 2
    await run_worker(settings, queues=queues, concurrency=concurrency)
    return 0


async def jobs_command(settings: Settings, as_json: bool) -> int:
    """Print the jobs per queue and the latest failures; exit 1 when the queue is unusable."""
    state = await queue_state(settings)
    if not state.schema:
        why = state.problem or "the job tables are absent; run `newsbot migrate` or start a worker"
        print(f"newsbot jobs: {why}", file=sys.stderr)
        return 1
    report = await jobs_report(libpq_url(settings))
    if as_json:
        print_json(report.to_json())
        return 0
    table = Table("queue", "queued", "running", "succeeded", "failed", "retried")
    for name, counts in sorted(report.queues.items()):
        table.add_row(
            name,
            *(str(n) for n in (counts.queued, counts.running, counts.succeeded, counts.failed)),
            str(counts.retried),
        )
    if report.queues:
        out.print(table)
    else:
        out.print("No jobs yet: `newsbot run` queues them, `newsbot worker` runs them.")
    for job in report.failed:
        out.print(Text(f"failed #{job.id} {job.task} after {job.attempts + 1} tries: {job.error}"))
    return 0


async def migrate_queue(settings: Settings) -> str | None:
    """Apply the job queue's schema when workers are enabled; returns what was done."""
    if not settings.workers.enabled:
        return None
    change = await ensure_schema(settings)
    if change.created:
        return "job queue tables created"
    done = "job queue tables present"
    if change.applied:
        n = len(change.applied)
        done = f"job queue brought up to date: {n} procrastinate migration{'s'[: n != 1]} applied"
        done += "".join(f"\n  {name}" for name in change.applied)
    if change.ahead:
        done += f"\nwarning: {_ahead(change.ahead)}"
    return done


def _ahead(names: tuple[str, ...]) -> str:
    return (
        f"the job queue's schema is newer than this newsbot's procrastinate ({names[-1]}): "
        "run the newsbot release that made it"
    )


async def check_workers(settings: Settings) -> tuple[list[str], list[str]]:
    """(problems, warnings) about [workers] for `newsbot check`."""
    if not settings.workers.enabled:
        return [], []
    state = await queue_state(settings)
    if state.problem:
        problem = state.problem
        return [problem if problem.startswith("[workers]") else f"[workers] {problem}"], []
    if state.behind:
        n = len(state.behind)
        return [], [
            f"[workers] the job queue's schema lacks {n} migration{'s'[: n != 1]} of the "
            f"installed procrastinate (up to {state.behind[-1]}): run `newsbot migrate` "
            "(or they are applied when `newsbot run` or `newsbot worker` starts)"
        ]
    if not state.schema:
        return [], [
            "[workers] the job queue tables are absent: run `newsbot migrate` "
            "(or they are made when `newsbot run` or `newsbot worker` starts)"
        ]
    if state.ahead:
        return [f"[workers] {_ahead(state.ahead)}"], []
    return [], []
