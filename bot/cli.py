"""The `newsbot` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot import logs
from bot.config import SECRETS, ConfigError, Settings, load_settings
from bot.output import print_json

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot", description="Self-hosted news digests for Telegram, Slack and the console."
    )
    parser.add_argument(
        "--config", help="config file (default: config/newsbot.toml or $NEWSBOT_CONFIG)"
    )
    parser.add_argument(
        "--debug", action="store_true", help="on an unexpected error, show the whole traceback"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser("run", help="run the service: polling, digests, chat adapters")
    demo = sub.add_parser("demo", help="serve the bundled sample site, poll it, print a digest")
    demo.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    demo.add_argument("--store", default="sqlite:///data/demo.db", help="store URL for the demo")
    sub.add_parser("poll", help="poll every due feed once")
    sub.add_parser("digest", help="print the stories since the last digest")
    summ = sub.add_parser("summarize", help="summarize one article: URL, HTML or text file, or -")
    summ.add_argument("target", metavar="URL|FILE|-")
    summ.add_argument("--json", action="store_true", help="print one JSON object")
    summ.add_argument(
        "--sentences", type=_sentences, default=3, help="summary length, 1 to 20 (default 3)"
    )
    company = sub.add_parser("company", help="the latest stories about a company")
    company.add_argument("name", nargs="+", metavar="NAME", help="name, alias or ticker")
    company.add_argument("--json", action="store_true", help="print one JSON object")
    trend = sub.add_parser("trend", help="a company's stories per day: a chart and its peaks")
    trend.add_argument("name", nargs="+", metavar="NAME", help='a company, or "A vs B" (up to 4)')
    trend.add_argument("--period", choices=["7d", "30d", "90d"], help="default 30d")
    trend.add_argument("--png", type=Path, metavar="FILE", help="write the chart here")
    trend.add_argument("--json", action="store_true", help="print one JSON object")
    ask = sub.add_parser("ask", help="answer a question from the stored news, with sources")
    ask.add_argument("question", nargs="+", metavar="QUESTION")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    clu = sub.add_parser("cluster", help="group article files (HTML or text) into stories")
    clu.add_argument("files", nargs="+", metavar="FILE")
    clu.add_argument("--json", action="store_true", help="print one JSON object")
    sub.add_parser("check", help="validate the configuration and reach the store")
    sub.add_parser("migrate", help="create or update the store's tables (and the job queue's)")
    work = sub.add_parser("worker", help="run jobs for `newsbot run` ([workers] enabled)")
    work.add_argument("--queues", help="comma-separated: poll,index,summarize,plan,deliver")
    work.add_argument("--concurrency", type=int, help="jobs at once (default [workers])")
    jobs = sub.add_parser("jobs", help="queued, running, failed and retried jobs per queue")
    jobs.add_argument("--json", action="store_true", help="print one JSON object")
    sub.add_parser("health", help="exit 0 when a running `newsbot run` is alive (for Docker)")

    feeds = sub.add_parser("feeds", help="list, add, remove, import or export feeds")
    fsub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    fsub.add_parser("list", help="feeds with their health")
    fsub.add_parser("add", help="add a feed").add_argument("url")
    fsub.add_parser("remove", help="remove a feed (its articles stay)").add_argument("url")
    fsub.add_parser("import", help="add the feeds of an OPML file").add_argument("file", type=Path)
    fsub.add_parser("export", help="print the feeds as OPML").add_argument(
        "file", type=Path, nargs="?", help="write here instead of standard output"
    )

    ev = sub.add_parser("eval", help="score newsbot on a ../shared/eval data set")
    ev.add_argument(
        "name",
        choices=["extraction", "feeds", "extraction-en", "summaries", "quotes", "clusters", "ask"],
    )
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--data", type=Path, help="evaluation data folder (default ../shared/eval)")
    return parser


def _sentences(text: str) -> int:
    """--sentences: a whole number from 1 to 20 (argparse says so, exit 2, otherwise)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 20:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 20, got {text!r}")
    return value


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.scheduler import run_service

    await run_service(settings)
    return 0


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo.run import run_demo

    return await run_demo(settings, port=args.port, store_url=args.store)


async def _poll(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from bot.cli_commands import poll_with_progress

    async with open_store(settings) as store:
        report = await poll_with_progress(store, settings)
    return 1 if report.feeds and len(report.failed) == len(report.feeds) else 0


async def _digest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import console_digest, open_store, open_summarizer

    async with open_store(settings) as store, open_summarizer(settings, store) as summarizer:
        run = await console_digest(store, settings, summarizer)
    sys.stdout.write(run.text)
    return 0


async def _summarize(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store, open_summarizer
    from bot.cli_summarize import as_json, as_text, read_input
    from bot.ingest.documents import InputError, story_of

    try:
        doc = await read_input(args.target, settings)
    except InputError as exc:
        print(f"newsbot summarize: {exc}", file=sys.stderr)
        return 2
    async with open_store(settings) as store, open_summarizer(settings, store) as summarizer:
        summary = await summarizer.summarize(story_of(doc), sentences=args.sentences)
    if args.json:
        print_json(as_json(doc, summary))
    else:
        sys.stdout.write(as_text(doc, summary))
    return 0


async def _company(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import CONSOLE, open_core
    from bot.chat.commands.company import company_reply
    from bot.chat.console import render_reply

    async with open_core(settings) as core:
        result = await core.find_company(" ".join(args.name), CONSOLE)
    if result.problem:
        print(f"newsbot company: {result.problem}", file=sys.stderr)
        return 2
    if args.json:
        print_json(result.to_json())
        if result.suggestions:
            print(f"Did you mean: {', '.join(result.suggestions)}?", file=sys.stderr)
    else:
        sys.stdout.write(render_reply(company_reply(result)))
    return 0 if result.company else 1


async def _trend(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_trend import trend_command

    return await trend_command(args, settings)


async def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_core
    from bot.chat.commands.ask import ask_reply
    from bot.chat.console import render_reply

    question = " ".join(args.question).strip()
    if not question:
        print(
            "newsbot ask: ask a question, e.g. newsbot ask What did Huawei announce?",
            file=sys.stderr,
        )
        return 2
    async with open_core(settings) as core:
        answer = await core.ask(question)
    if args.json:
        print_json(answer.to_json())
    else:
        sys.stdout.write(render_reply(ask_reply(answer)))
    return 0


async def _cluster(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ingest.documents import InputError, document_from_bytes
    from bot.nlp.stories.cluster import cluster_documents

    documents = []
    for name in args.files:
        try:
            doc = document_from_bytes(Path(name).read_bytes(), source=Path(name).name)
        except (OSError, InputError) as exc:
            print(f"newsbot cluster: {name}: {exc}", file=sys.stderr)
            return 2
        documents.append((doc.title, doc.text))
    stories = cluster_documents(documents)
    if args.json:
        print_json({"stories": stories})
    else:
        for number, members in enumerate(stories, start=1):
            print(f"story {number}: " + ", ".join(args.files[i] for i in members))
    return 0


async def _check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_commands import check

    return await check(settings)


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import open_store
    from bot.workers.commands import migrate_queue

    async with open_store(settings):  # opening migrates
        pass
    queue = (await migrate_queue(settings) or "").splitlines()
    print("Store migrated" + (f"; {queue[0]}." if queue else "."))
    for line in queue[1:]:  # the migrations applied, a warning
        print(line)
    return 0


async def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from bot.workers.commands import worker_command

    queues = [q.strip() for q in args.queues.split(",") if q.strip()] if args.queues else None
    return await worker_command(settings, queues, args.concurrency)


async def _jobs(args: argparse.Namespace, settings: Settings) -> int:
    from bot.workers.commands import jobs_command

    return await jobs_command(settings, args.json)


async def _health(args: argparse.Namespace, settings: Settings) -> int:
    from bot.scheduler import heartbeat_age

    age = heartbeat_age(settings)
    if age is None or age > 300:
        print("unhealthy: no heartbeat from `newsbot run` in the last 5 minutes", file=sys.stderr)
        return 1
    if settings.web.enabled:
        from bot.web.server import healthz_answers

        problem = await healthz_answers(settings.web)
        if problem:
            print(f"unhealthy: {problem}", file=sys.stderr)
            return 1
    print(f"healthy: last heartbeat {age:.0f}s ago")
    return 0


async def _feeds(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_commands import feeds_command

    return await feeds_command(args, settings)


async def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.eval.report import run_eval

    return await asyncio.to_thread(run_eval, args.name, args.data, args.json)


COMMANDS: dict[str, Handler] = {
    "summarize": _summarize,
    "company": _company,
    "cluster": _cluster,
    "ask": _ask,
    "trend": _trend,
    "run": _run,
    "demo": _demo,
    "poll": _poll,
    "digest": _digest,
    "check": _check,
    "migrate": _migrate,
    "worker": _worker,
    "jobs": _jobs,
    "health": _health,
    "feeds": _feeds,
    "eval": _eval,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `newsbot` command."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"newsbot: the configuration needs fixing:\n{exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log.level, settings.log.format)
    try:
        for section, key in SECRETS:
            logs.register_secret(settings.secret(section, key))
        return asyncio.run(COMMANDS[args.command](args, settings))
    except ConfigError as exc:
        print(f"newsbot: the configuration needs fixing:\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line for the user; the traceback only with --debug
        if args.debug:
            raise
        print(f"newsbot {args.command}: {_problem(exc)}", file=sys.stderr)
        return 1


def _problem(exc: Exception) -> str:
    """An error that escaped a command, in one line that says what to do."""
    from bot.app import StoreUnavailable
    from bot.ingest.http.logsafe import scrub

    if isinstance(exc, StoreUnavailable):
        return str(exc)
    detail = logs.redact(scrub(" ".join(str(exc).split())))[:200]  # no secret, no URL's query
    return (
        f"unexpected error ({type(exc).__name__}{': ' + detail if detail else ''}); "
        "run the command again with --debug to see where, and report it"
    )
