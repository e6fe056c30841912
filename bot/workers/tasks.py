"""newsbot's jobs. Each is small and safe to run twice (a killed worker's job runs again):

- ``poll`` one feed: skipped when the feed is not due (another job polled it), so a repeat
  stores nothing twice; at most one waits per feed (queueing lock ``poll:<feed>``), and a
  host's feeds share ``per_host_concurrency`` locks, so a host sees no more feed polls at once
  across all workers than it would from one process.
- ``index`` the articles no story holds yet, in batches: one at a time cluster-wide (lock
  ``index``), at most one waiting, taken ahead of waiting polls (its priority). The clusterer
  lives in the memory of the process that runs the job; when another process indexed since,
  this one rebuilds it from the store first.
- ``summarize`` one story (LLM backend only): fills the summary cache before the digest asks;
  with the built-in summarizer, ``prepare`` (same queue) makes and stores the summaries of a
  batch of stories an index job touched, for /company.
- ``plan`` digests: periodic, once per minute for the whole cluster (procrastinate defers one
  job per minute however many workers run), then ``deliver``.
- ``deliver`` outbox parts: one at a time cluster-wide (lock ``deliver``); its sends and the
  replies of `newsbot run` take their slots of the bot's flood limits from the store
  (bot/delivery/shared_pacing.py), so the limits hold across all processes together.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import procrastinate
import psycopg
import sqlalchemy.exc
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from sqlalchemy import text

from bot.app import App
from bot.delivery.planner import DigestPlanner
from bot.delivery.worker import DeliveryWorker
from bot.ingest.http.fetch import Fetcher
from bot.ingest.http.urls import host_of
from bot.ingest.poll import Poller
from bot.models import Article
from bot.nlp.analysis import Analyser
from bot.store import utcnow
from bot.store.news import NewsIndex
from bot.store.pace import PaceSlots
from bot.summarize.stored import prepare_summaries

log = logging.getLogger("newsbot.workers")
# A job that failed for a passing reason (the database or the network away for a moment) runs
# again up to 3 times, 5 s apart; any other failure (a bug) stays failed at once, with its
# error, for `newsbot jobs`. A feed's or a platform's own failures are recorded where they
# belong (`newsbot feeds list`, the outbox) and are not job failures.
RETRY = procrastinate.RetryStrategy(
    max_attempts=3,
    wait=5,
    retry_exceptions={
        OSError,  # connection refused or reset, timeouts
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.InterfaceError,
        psycopg.OperationalError,
    },
)
WINDOW = timedelta(hours=72)  # the indexer's window: older unindexed articles stay as they are
INDEX_BATCH = 2000  # articles one call of the indexer takes
# The index job is fetched before any poll job (procrastinate takes the highest priority
# first, then the oldest); at the default priority, 0, it waited behind every poll queued
# before it, and a round of 10,000 feeds was indexed only once all were polled.
INDEX_PRIORITY = 10
PREPARE_BATCH = 200  # stories whose summaries one prepare job makes


@dataclass(slots=True)
class WorkerContext:
    """One worker process's parts, built once and handed to every job."""

    app: App
    fetcher: Fetcher
    planner: DigestPlanner | None = None
    deliverer: DeliveryWorker | None = None
    last_index_job: int | None = None  # the last index job this process ran
    stats: dict[str, int] = field(default_factory=dict)


def _ctx(context: procrastinate.JobContext) -> WorkerContext:
    ctx = context.additional_context["newsbot"]
    assert isinstance(ctx, WorkerContext)
    return ctx


def poll_job(queue: procrastinate.App, feed_id: int, url: str, per_host: int) -> Job:
    """A poll job of one feed, not yet queued: its queueing lock ``poll:<feed>`` lets one wait
    per feed, and its lock, one of the host's ``per_host`` slots, keeps the host's polls at
    ``per_host`` at once across all workers."""
    slot = feed_id % max(per_host, 1)
    deferrer = queue.configure_task(
        "newsbot:poll", queueing_lock=f"poll:{feed_id}", lock=f"host:{host_of(url)}:{slot}"
    )
    return deferrer.make_new_job(feed_id=feed_id)


async def defer_poll(queue: procrastinate.App, feed_id: int, url: str, per_host: int) -> bool:
    """Queue a poll of one feed unless one is already waiting; returns whether it was queued."""
    try:
        await queue.job_manager.defer_job_async(poll_job(queue, feed_id, url, per_host))
    except AlreadyEnqueued:
        return False
    return True


async def defer_once(queue: procrastinate.App, task: str, **options: Any) -> bool:
    """Queue a job under its queueing lock (its task name unless given) unless one waits."""
    options.setdefault("queueing_lock", task)
    try:
        await queue.configure_task(f"newsbot:{task}", **options).defer_async()
    except AlreadyEnqueued:
        return False
    return True


async def poll(context: procrastinate.JobContext, feed_id: int) -> dict[str, int]:
    """Poll one feed when it is due; queue ``index`` when it stored articles."""
    ctx = _ctx(context)
    store, settings = ctx.app.store, ctx.app.settings
    feed = await store.feed(feed_id)
    if feed is None or not feed.active:
        return {"new": 0}
    if feed.next_check_at is not None and feed.next_check_at > utcnow():
        return {"new": 0}  # polled since this job was queued: nothing to do
    analyse = Analyser(settings.companies.file)
    report = await Poller(store, ctx.fetcher, settings.ingest, analyse=analyse).poll_feed(feed)
    if report.stored:
        # Ahead of the polls still waiting: indexing keeps pace with polling, not after it.
        await defer_once(context.app, "index", lock="index", priority=INDEX_PRIORITY)
    return {"new": report.new}


async def index(context: procrastinate.JobContext) -> dict[str, int]:
    """Index every article no story holds yet (the last 72 hours), INDEX_BATCH at a time, and
    queue the summaries of their stories after each batch."""
    ctx = _ctx(context)
    if ctx.last_index_job is not None and await _indexed_elsewhere(ctx, context.job.id):
        # Another worker indexed since: this process's clusterer is behind the store; closed,
        # it is rebuilt from what the store holds now on the next add.
        ctx.app.stories.close()
    articles, stories = 0, 0
    while True:
        pending, touched = await _index_batch(context)
        ctx.last_index_job = context.job.id
        articles, stories = articles + len(pending), stories + len(touched)
        # A full batch may have left more behind; a batch that touched no story failed (the
        # indexer logged why), and the next index job tries again.
        if len(pending) < INDEX_BATCH or not touched:
            return {"articles": articles, "stories": stories}


async def _index_batch(context: procrastinate.JobContext) -> tuple[list[Article], set[int]]:
    ctx = _ctx(context)
    store, settings = ctx.app.store, ctx.app.settings
    started = utcnow()
    pending = await store.unindexed_articles(started - WINDOW, limit=INDEX_BATCH)
    await ctx.app.stories.add(pending)
    # New articles' stories, and stories the clusterer changed (merged, split, new lead).
    stories = await store.stories_touched((a.id for a in pending if a.id is not None), started)
    if settings.summarizer.backend != "llm" and stories:
        # The stories' summaries, made ahead for /company, by any worker (not this one job).
        ids = sorted(stories)
        for start in range(0, len(ids), PREPARE_BATCH):
            chunk = ids[start : start + PREPARE_BATCH]
            await context.app.configure_task("newsbot:prepare").defer_async(story_ids=chunk)
    if settings.summarizer.backend == "llm":
        for story_id in sorted(stories):
            await defer_once(
                context.app,
                "summarize",
                queueing_lock=f"summarize:{story_id}",
                lock=f"summarize:{story_id}",
                task_kwargs={"story_id": story_id},
            )
    return pending, stories


async def _indexed_elsewhere(ctx: WorkerContext, me: int | None) -> bool:
    """Whether an index job other than this process's last one finished since."""
    async with ctx.app.store.engine.connect() as conn:
        latest = await conn.scalar(
            text(
                "SELECT max(id) FROM procrastinate_jobs WHERE task_name = 'newsbot:index'"
                " AND status IN ('succeeded', 'failed') AND id <> :me"
            ),
            {"me": me or 0},
        )
    return latest is not None and latest != ctx.last_index_job


async def summarize(context: procrastinate.JobContext, story_id: int) -> dict[str, int]:
    """Summarize one story (the LLM summarizer caches it per content and model)."""
    ctx = _ctx(context)
    story = await NewsIndex(ctx.app.store).story(story_id)
    if story is None:
        return {"summarized": 0}
    await ctx.app.summarizer.summarize(story, sentences=ctx.app.settings.digest.summary_sentences)
    return {"summarized": 1}


async def prepare(context: procrastinate.JobContext, story_ids: list[int]) -> dict[str, int]:
    """Make and store the summaries of these stories (built-in summarizer), so /company reads
    them; a story summarized meanwhile for what it holds now is skipped."""
    ctx = _ctx(context)
    settings = ctx.app.settings
    made = await prepare_summaries(
        ctx.app.store, ctx.app.summarizer, story_ids, settings.digest.summary_sentences
    )
    return {"summarized": made}


async def plan(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    """Plan every due digest into the outbox, then queue their delivery."""
    ctx = _ctx(context)
    if ctx.planner is None:
        return {"planned": 0}
    planned = await ctx.planner.plan_due()
    await defer_once(context.app, "deliver", lock="deliver")
    return {"planned": planned}


async def deliver(context: procrastinate.JobContext) -> dict[str, int]:
    """Send every outbox part that is due; parts held back (a 429, a retry) get a later job."""
    ctx = _ctx(context)
    worker = ctx.deliverer
    if worker is None:
        return {"sent": 0}
    # One deliver job runs at a time (its lock): any lease still held is a dead worker's.
    ended = await worker.outbox.end_other_leases()
    if ended:
        log.warning("a dead worker's delivery leases ended", extra={"parts": ended})
    # The last job may have run elsewhere: pace on from what every process sent lately.
    await worker.take_over()
    sent = await worker.drain_due()
    counts = await worker.outbox.counts()
    if counts.get("pending", 0):
        with contextlib.suppress(AlreadyEnqueued):
            await context.app.configure_task(
                "newsbot:deliver",
                queueing_lock="deliver",
                lock="deliver",
                schedule_in={"seconds": 5},
            ).defer_async()
    return {"sent": sent}


async def cleanup(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    """Forget finished jobs: succeeded ones after a day, failed and cancelled after a week
    (a poll job per feed every half hour adds up), and idle chats' pacing rows."""
    manager = context.app.job_manager
    await manager.delete_old_jobs(nb_hours=24)
    await manager.delete_old_jobs(nb_hours=24 * 7, include_failed=True, include_cancelled=True)
    # The shared pacing's rows of chats nothing was sent to for two minutes.
    forgotten = await PaceSlots(_ctx(context).app.store).forget_idle()
    return {"pace_rows_forgotten": forgotten}


def blueprint() -> procrastinate.Blueprint:
    """newsbot's tasks, on a new Blueprint (an App renames the tasks it adds, so each App gets
    its own): each task on its own queue, so workers can be given some queues and not others."""
    jobs = procrastinate.Blueprint()
    for func in (poll, index, summarize, deliver):
        name = func.__name__
        jobs.task(name=name, queue=name, pass_context=True, retry=RETRY)(func)
    jobs.task(name="prepare", queue="summarize", pass_context=True, retry=RETRY)(prepare)
    planner = jobs.task(name="plan", queue="plan", pass_context=True, lock="plan")(plan)
    # Every minute at second 2; procrastinate defers one job per minute for the whole cluster.
    jobs.periodic(cron="* * * * * 2", periodic_id="minute")(planner)
    housekeeping = jobs.task(name="cleanup", queue="plan", pass_context=True)(cleanup)
    jobs.periodic(cron="17 * * * *", periodic_id="hourly")(housekeeping)
    return jobs
