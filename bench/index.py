"""Story indexing as the news grows: time per article, event-loop stalls, the rebuild at start.

Data: events generated (seeded) by bench/commands.py's templates (results, launches, deals, ...
each reported by 1-6 outlets) about the companies of bench/index_corpus.json (a data file: the
corpus does not move when config/companies.toml grows), every report padded with real news
sentences read at run time from ../shared/eval (the SummEval CNN/DailyMail sources and the
PolNeAR article texts, never copied into the project): each event draws its own background of
real sentences, which its reports retell in part, and each report adds a few sentences of
unrelated real news. For every window size N, N articles spread over the 72-hour window are
stored in a fresh SQLite store with their stories (the generated events) and what the indexer
keeps of each (its clusterer's features) written in bulk, then:

- rebuild at start: `StoryIndexer.rebuild`, as the service does on its first poll;
- a batch of --batch new articles, published after the window's, stored and then indexed one
  at a time by the real indexer (companies, then the story), as the service does after a poll;
- all the while, a heartbeat task (sleep(0.01) in a loop) records the event loop's longest
  stall, and the same heartbeat in an idle process of its own records the machine's share of
  it (a loaded machine delays any loop: that one is the stall's baseline).

Times are wall clock and, beside them, the CPU time of the process (all its threads) and of
the indexer's process: on a shared machine the wall clock also counts other programs' turns.
Each run is a fresh process. Baseline, same data, same run: the same indexer with the
clusterer scoring every story that shares a word with the article (`candidates=None`, the
exhaustive search of before) on the smaller windows (--baseline-sizes), and the 1k figure of
the real indexer itself. Targets:
median ms per article within 2x of the 1k figure, no stall over 100 ms, rebuild of the largest
window under 60 s. Answers: the batch's stories are scored by B-cubed F1 against the generated
events (a wrong answer, every article a story of its own, is scored beside them); the bench
exits non-zero when it falls below --floor, or below the exhaustive search's on the same window
by more than 0.02.

Run: make bench   (or .venv/bin/python bench/index.py [--sizes 1000,10000,50000] ...)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.index_news import (  # noqa: E402
    COMPANIES,
    Corpus,
    generate,
    real_sentences,
    settle,
    store_articles,
    store_window,
)
from bench.loop_stall import Heartbeat, IdleLoop  # noqa: E402
from bot.eval.clusters import bcubed  # noqa: E402
from bot.models import Article  # noqa: E402
from bot.nlp.companies import Gazetteer  # noqa: E402
from bot.nlp.indexer import StoryIndexer  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.news import NewsIndex  # noqa: E402
from bot.store.schema import articles  # noqa: E402


async def index_one_by_one(
    indexer: StoryIndexer, index: NewsIndex, batch: list[Article]
) -> tuple[list[float], list[float]]:
    """Index the batch one article at a time: each one's wall ms, and its CPU ms (this process's
    and the indexer process's together)."""
    times, cpu_times = [], []
    child = await indexer.cpu_seconds()
    for article in batch:
        started, cpu = time.perf_counter(), time.process_time()
        await indexer.index(index, [article])
        times.append((time.perf_counter() - started) * 1000)
        cpu_used = time.process_time() - cpu
        child, before = await indexer.cpu_seconds(), child
        cpu_times.append((cpu_used + child - before) * 1000)
    return times, cpu_times


@dataclass(slots=True)
class Run:
    label: str
    size: int
    per_article_ms: list[float]
    cpu_ms: list[float]  # CPU time of the process (all threads), per article
    rebuild_s: float
    rebuild_cpu_s: float
    stall_s: list[float]  # the loop's longest stall: rebuilding, indexing
    idle_stall_s: list[float]  # an idle loop's, meanwhile (the machine's share)
    bcubed_f1: float
    alone_f1: float  # the B-cubed of a wrong answer: every article a story of its own
    companies_ms: float


async def run(label: str, corpus: Corpus, gazetteer: Gazetteer, options: dict[str, Any]) -> Run:
    """Rebuild over the stored window, then index the batch one article at a time."""
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(f"sqlite:///{tmp}/bench.db")
        try:
            await store_window(store, corpus)
            await settle(store)
            index = NewsIndex(store)
            newest = corpus.window[-1][0].published
            idle = IdleLoop()
            idle.reading()
            with Heartbeat() as rebuilding:
                await asyncio.sleep(0.05)
                started, cpu = time.perf_counter(), time.process_time()
                indexer = await StoryIndexer.rebuild(index, gazetteer, now=newest, **options)
                rebuild = time.perf_counter() - started
                rebuild_cpu = time.process_time() - cpu + await indexer.cpu_seconds()
                await asyncio.sleep(0.05)
            idle_stalls = [idle.reading()]
            batch = await store_articles(store, corpus.batch)  # as a poll stores them
            with Heartbeat() as indexing:
                await asyncio.sleep(0.05)
                times, cpu_times = await index_one_by_one(indexer, index, batch)
                await asyncio.sleep(0.05)
            idle_stalls.append(idle.reading())
            idle.close()
            indexer.close()
            ids = [a.id for a in batch]
            async with store.engine.connect() as conn:
                rows = await conn.execute(
                    select(articles.c.id, articles.c.story_id).where(articles.c.id.in_(ids))
                )
                story_of = dict(rows.all())
        finally:
            await store.close()
    gold = {str(a.id): event for a, (_, event) in zip(batch, corpus.batch, strict=True)}
    clusters: dict[Any, list[str]] = {}
    for article in batch:
        clusters.setdefault(story_of[article.id], []).append(str(article.id))
    started = time.perf_counter()
    for article in batch:
        gazetteer.find(article.text, article.title)
    companies = (time.perf_counter() - started) * 1000 / len(batch)
    f1 = bcubed(list(clusters.values()), gold)[2]
    alone = bcubed([[doc] for doc in gold], gold)[2]
    stalls = [rebuilding.worst, indexing.worst]
    return Run(
        label,
        len(corpus.window),
        times,
        cpu_times,
        rebuild,
        rebuild_cpu,
        stalls,
        idle_stalls,
        f1,
        alone,
        companies,
    )


def show(result: Run) -> None:
    times = sorted(result.per_article_ms)
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"  {result.label:<12} {result.size:>7,}  {statistics.median(times):8.1f} {p95:8.1f}"
        f" {times[-1]:9.1f}  {statistics.median(result.cpu_ms):7.1f}"
        f"  {result.companies_ms:9.1f}  {result.rebuild_s:9.1f} {result.rebuild_cpu_s:7.1f}"
        f"  {result.stall_s[0] * 1000:6.0f} / {result.stall_s[1] * 1000:<6.0f}"
        f" {result.idle_stall_s[0] * 1000:5.0f} / {result.idle_stall_s[1] * 1000:<5.0f}"
        f"  {result.bcubed_f1:7.3f}"
    )


def sizes(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def run_apart(label: str, size: int, args: argparse.Namespace) -> Run:
    """One run in a fresh process, as one bot process would be: no heap left by another run."""
    command = [sys.executable, __file__, "--one", f"{label}:{size}", "--batch", str(args.batch)]
    command += ["--seed", str(args.seed)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: the {label} run at {size:,} failed:\n{done.stderr[-3000:]}")
    return Run(**json.loads(done.stdout.strip().splitlines()[-1]))


async def run_one(spec: str, args: argparse.Namespace) -> None:
    """The --one mode: a single run, printed as JSON."""
    label, size = spec.split(":")
    _, pool = real_sentences()
    corpus = generate(int(size), args.batch, args.seed, pool)
    options = {"candidates": None} if label == "exhaustive" else {}
    result = await run(label, corpus, Gazetteer.load(COMPANIES), options)
    print(json.dumps(asdict(result)))


def main_runs(args: argparse.Namespace) -> int:
    source, _ = real_sentences()
    print(f"index benchmark: reports of generated events padded with {source}")
    print(f"  {args.batch} new articles per window, indexed one at a time; seed {args.seed}")
    print(
        "  indexer         window  median ms   p95 ms    max ms  cpu ms  companies  rebuild s"
        " cpu s  stall ms: rebuild/index  idle loop's  B-cubed"
    )
    results: list[Run] = []
    baselines: dict[int, Run] = {}
    for size in sorted(set(sizes(args.sizes)) | set(sizes(args.baseline_sizes))):
        if size in sizes(args.baseline_sizes):
            baselines[size] = run_apart("exhaustive", size, args)
            show(baselines[size])
        if size in sizes(args.sizes):
            results.append(run_apart("newsbot", size, args))
            show(results[-1])
    failures = []
    for result in results:
        if result.bcubed_f1 < args.floor:
            failures.append(f"B-cubed {result.bcubed_f1:.3f} < {args.floor} at {result.size:,}")
        base = baselines.get(result.size)
        if base is not None and result.bcubed_f1 < base.bcubed_f1 - 0.02:
            failures.append(
                f"B-cubed {result.bcubed_f1:.3f} below the exhaustive search's "
                f"{base.bcubed_f1:.3f} at {result.size:,}"
            )
    first, last = results[0], results[-1]
    ratio = statistics.median(last.per_article_ms) / statistics.median(first.per_article_ms)
    cpu_ratio = statistics.median(last.cpu_ms) / statistics.median(first.cpu_ms)
    stall = max(max(r.stall_s) for r in results)
    idle = max(max(r.idle_stall_s) for r in results)
    print(
        f"  median at {last.size:,} / at {first.size:,}: {ratio:.2f} wall, {cpu_ratio:.2f} CPU"
        f" (target <= 2); longest stall {stall * 1000:.0f} ms (target <= 100; an idle loop's"
        f" meanwhile {idle * 1000:.0f} ms);"
        f" rebuild at {last.size:,}: {last.rebuild_s:.1f} s wall, {last.rebuild_cpu_s:.1f} s CPU"
        " (target < 60)"
    )
    alone = max(r.alone_f1 for r in results)
    print(
        f"  answers: B-cubed of the batch against the generated events; a wrong answer, every"
        f" article alone, scores {alone:.3f} (the floor: {args.floor})"
    )
    for failure in failures:
        print(f"  WRONG: {failure}")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="window sizes, comma-separated")
    parser.add_argument(
        "--baseline-sizes", default="1000,5000", help="windows also run with the exhaustive search"
    )
    parser.add_argument("--batch", type=int, default=500, help="new articles per window")
    parser.add_argument("--seed", type=int, default=7)
    # At 1k the batch's B-cubed moves by +-0.03 with the seed (0.82-0.89), the exhaustive
    # search's with it, and every article alone scores about 0.74: the floor catches a
    # clusterer that groups nothing, the exhaustive search in the same run (within 0.02) a
    # worse one.
    parser.add_argument("--floor", type=float, default=0.80, help="lowest B-cubed F1 accepted")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # LABEL:SIZE, run in a child process
    args = parser.parse_args()
    if args.one:
        asyncio.run(run_one(args.one, args))
        return
    sys.exit(main_runs(args))


if __name__ == "__main__":
    main()
