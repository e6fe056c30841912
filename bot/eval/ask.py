"""`newsbot eval ask`: does /ask find the story a question is about, in words other than its own,
and say so when nothing stored answers?

No public question set about stored news is at hand, so the summaries set stands in: its 100
CNN/DailyMail articles are stored (a real store on a temporary SQLite file, each article's first
sentence as its title), and the first sentence of each of an article's 11 reference summaries,
written by other people in other words, is asked of it: 1,100 questions. For each half of the
set (articles 0-49 and 50-99) only that half is stored; its own questions should be answered with
that article first, and the other half's questions (whose article is not stored) should not be
answered at all. Beside them the store holds other news, as a live store does: the 840 political
news articles of quotes-train/ (2016, titles from its metadata), dated among them. Every system
runs through the same store in the same run:

- newsbot: `retrieve` as /ask runs it (with the related words the store suggests);
- newsbot-exact-words: the same without related words (what /ask did before them);
- search-top-hit: the store's full-text search alone, its best hit as the answer (no floor).

Figures: answered (share of the stored half's questions answered), first (share whose first
source is the article asked about), any5 (the article among the sources), wrong (share of the
other half's questions answered: an answer from a story that is not there).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.eval.clusters import FILE, detokenise
from bot.models import Article, TextSource
from bot.nlp.text import split_sentences
from bot.store import Store
from bot.store.news import NewsIndex
from bot.summarize import retrieve as retrieval

METRIC = (
    "share of questions answered, answered with the asked article first / among the sources, "
    "and answered though their article is not stored (wrong); 100 articles x 11 references"
)
HALVES = {"0_49": range(0, 50), "50_99": range(50, 100)}
Ask = Callable[[NewsIndex, str], Awaitable[list[str | None]]]


def load_background(data_dir: Path) -> list[Article]:
    """The other news stored beside the asked articles: quotes-train/'s articles ([] when the
    folder does not hold it)."""
    folder = Path(data_dir) / "quotes-train"
    titles: dict[str, str] = {}
    metadata = folder / "metadata.tsv"
    if metadata.exists():
        lines = metadata.read_text(encoding="utf-8").splitlines()
        header = lines[0].split("\t")
        for line in lines[1:]:
            row = dict(zip(header, line.split("\t"), strict=False))
            titles[row.get("filename", "")] = row.get("title", "")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    background = []
    for n, path in enumerate(sorted((folder / "dev" / "text").glob("*.txt"))):
        text = path.read_text(encoding="utf-8").strip()
        if not text:
            continue
        title = titles.get(path.stem) or (split_sentences(text) or [text])[0]
        at = start + timedelta(hours=n % 100, minutes=30)
        background.append(_article(f"https://background.example/{path.stem}", title, text, at))
    return background


def _article(url: str, title: str, text: str, at: datetime) -> Article:
    return Article(
        url=url,
        title=title,
        text=text,
        source=url.split("/")[2],
        text_source=TextSource.PAGE,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        language="en",
        published=at,
        fetched_at=at,
    )


def load_items(data_dir: Path) -> list[tuple[Article, list[str]]]:
    """Each article of the set with the questions asked of it (its references' first
    sentences, each once). `data_dir` is the shared eval folder or its summaries/ folder."""
    folder = Path(data_dir)
    path = folder / FILE if (folder / FILE).exists() else folder / "summaries" / FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: is {data_dir} the shared eval folder?")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        text = detokenise(row["source"])
        title = (split_sentences(text) or [text])[0]
        article = _article(f"https://eval.example/{n}", title, text, start + timedelta(hours=n))
        firsts = [(split_sentences(detokenise(r)) or [""])[0] for r in row["references_all"]]
        items.append((article, list(dict.fromkeys(q for q in firsts if q))))
    return items


async def _newsbot(index: NewsIndex, question: str, related: bool) -> list[str | None]:
    passages = await retrieval.retrieve(index, question, stories=5, sentences=4, related=related)
    return [p.source.url for p in passages]


async def _search_top_hit(index: NewsIndex, question: str) -> list[str | None]:
    hits = await index.search(question, limit=1)
    return [hit.article.url for hit in hits]


SYSTEMS: dict[str, Ask] = {
    "newsbot": lambda index, q: _newsbot(index, q, True),
    "newsbot-exact-words": lambda index, q: _newsbot(index, q, False),
    "search-top-hit": _search_top_hit,
}


async def _half(
    items: list[tuple[Article, list[str]]],
    background: list[Article],
    stored: range,
    folder: Path,
) -> dict[str, dict[str, float]]:
    """Store one half and the other news; ask every question of both halves with every
    system."""
    store = await Store.open(f"sqlite+aiosqlite:///{folder / 'ask.db'}")
    try:
        feed, _ = await store.add_feed("https://eval.example/feed.xml")
        batch = []
        for n in stored:
            article = items[n][0]
            article.feed_id = feed.id
            batch.append((article, f"eval-{n}"))
        for n, article in enumerate(background):
            article.feed_id = feed.id
            batch.append((article, f"background-{n}"))
        await store.store_articles(batch)
        index = NewsIndex(store)
        figures: dict[str, dict[str, float]] = {}
        for name, ask in SYSTEMS.items():
            counts = dict.fromkeys(("asked", "answered", "first", "any5", "other", "wrong"), 0)
            started = time.perf_counter()
            for n, (article, questions) in enumerate(items):
                own = n in stored
                for question in questions:
                    urls = await ask(index, question)
                    if own:
                        counts["asked"] += 1
                        counts["answered"] += bool(urls)
                        counts["first"] += bool(urls) and urls[0] == article.url
                        counts["any5"] += article.url in urls
                    else:
                        counts["other"] += 1
                        counts["wrong"] += bool(urls)
            seconds = time.perf_counter() - started
            figures[name] = {
                "answered": counts["answered"] / counts["asked"],
                "first": counts["first"] / counts["asked"],
                "any5": counts["any5"] / counts["asked"],
                "wrong": counts["wrong"] / counts["other"],
                "questions": counts["asked"] + counts["other"],
                "seconds": seconds,
            }
        return figures
    finally:
        await store.close()


async def evaluate(
    items: list[tuple[Article, list[str]]], background: list[Article]
) -> dict[str, dict[str, Any]]:
    """Each system's figures over both halves (means of the halves, weighted by questions),
    and each half's share of first answers."""
    halves: dict[str, dict[str, dict[str, float]]] = {}
    for half, stored in HALVES.items():
        with tempfile.TemporaryDirectory(prefix="newsbot-eval-ask-") as folder:
            halves[half] = await _half(items, background, stored, Path(folder))
    result: dict[str, dict[str, Any]] = {}
    for name in SYSTEMS:
        parts = [halves[h][name] for h in HALVES]
        row: dict[str, Any] = {
            key: round(sum(p[key] for p in parts) / len(parts), 4)
            for key in ("answered", "first", "any5", "wrong")
        }
        for half in HALVES:
            row[f"first_{half}"] = round(halves[half][name]["first"], 4)
            row[f"wrong_{half}"] = round(halves[half][name]["wrong"], 4)
        questions = sum(p["questions"] for p in parts)
        row["questions_per_s"] = round(questions / sum(p["seconds"] for p in parts))
        result[name] = row
    return result


def run(data_dir: Path) -> dict[str, Any]:
    """Ask the 1,100 questions of the summaries set of newsbot and the baselines."""
    items = load_items(data_dir)
    background = load_background(data_dir)
    logging.getLogger("newsbot.chat.ask").setLevel(logging.WARNING)  # a line per question
    return {
        "set": "ask",
        "items": sum(len(questions) for _, questions in items),
        "metric": METRIC,
        "background": len(background),
        "systems": asyncio.run(evaluate(items, background)),
    }
