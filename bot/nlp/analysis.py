"""What the story index needs of each article, worked out where it is polled.

The story index has one writer (one process holds the clusterer). Finding the companies an
article mentions and the clusterer's features of its words is most of that writer's work per
article, and neither needs the clusterer's state: `Analyser` works them out in the CPU pool of
the process that polled the article (with workers, each worker's own), and the store keeps
them with the article; the index then only places it. An article stored without (an older
one, or when this step failed) is analysed by the index as before.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from bot import cpu
from bot.models import Analysis, Article
from bot.nlp.companies import Gazetteer
from bot.nlp.stories.cluster import StoryClusterer
from bot.nlp.stories.plan import encode

log = logging.getLogger("newsbot.analysis")

# In each CPU-pool process: the companies file's gazetteer and a clusterer (its features only),
# built on first use. Keyed by the file and its modification time: an edited file is read again.
_LOADED: dict[tuple[str, int], tuple[Gazetteer | None, StoryClusterer]] = {}


def analyse(companies_file: str, items: list[tuple[str, str]]) -> list[Analysis | None]:
    """The analysis of each (title, text); None for one whose analysis failed (the index then
    works it out itself). Runs in the CPU pool."""
    gazetteer, clusterer = _loaded(companies_file)
    analyses: list[Analysis | None] = []
    for title, text in items:
        try:
            mentions = gazetteer.find(text, title) if gazetteer is not None else []
            terms, shingles, words = encode(clusterer.features(title, text))
        except Exception:  # a bug here must not keep the article out: the index tries again
            log.exception("article analysis failed")
            analyses.append(None)
            continue
        analyses.append(Analysis(mentions, terms, shingles, words))
    return analyses


def _loaded(companies_file: str) -> tuple[Gazetteer | None, StoryClusterer]:
    path = Path(companies_file)
    try:
        key = (companies_file, path.stat().st_mtime_ns)
    except OSError:
        key = (companies_file, -1)
    if key not in _LOADED:
        _LOADED.clear()
        gazetteer = Gazetteer.load(path) if key[1] != -1 else None
        _LOADED[key] = (gazetteer, StoryClusterer())
    return _LOADED[key]


class Analyser:
    """Analyses built articles in the process's CPU pool before they are stored (the poller's
    ``analyse`` step)."""

    def __init__(self, companies_file: Path, pool: cpu.CpuPool | None = None) -> None:
        self.companies_file = str(companies_file)
        self._pool = pool

    async def __call__(self, articles: list[Article]) -> list[Article]:
        """The articles, each with its analysis (or as they were, when it failed)."""
        if not articles:
            return articles
        pool = self._pool or cpu.pool()
        items = [(a.title, a.text) for a in articles]
        try:
            analyses = await pool.run(analyse, self.companies_file, items)
        except cpu.WorkerFailed as exc:  # too slow, or its worker died: the index does it
            log.warning("articles left to the index to analyse", extra={"error": str(exc)})
            return articles
        return [
            replace(article, analysis=analysis) if analysis is not None else article
            for article, analysis in zip(articles, analyses, strict=True)
        ]
