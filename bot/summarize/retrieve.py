"""Retrieval for /ask: the stored stories that best match a question, and their best sentences."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.models import Article, Story
from bot.nlp.stories.cluster import terms
from bot.nlp.text import split_sentences


class Index(Protocol):
    """The part of NewsIndex the chat commands use."""

    async def story(self, story_id: int) -> Story | None: ...
    async def company_stories(self, company: str, *, limit: int = 5) -> list[Story]: ...
    async def company_names(self) -> list[str]: ...
    async def search(self, query: str, *, limit: int = 10) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class Source:
    """A numbered source an answer may cite: [n] in the answer is this one."""

    n: int
    title: str
    name: str
    url: str | None
    story_id: int | None

    def to_json(self) -> dict[str, Any]:
        """An element of the "sources" list of `newsbot ask --json`."""
        return {
            "n": self.n,
            "title": self.title,
            "name": self.name,
            "url": self.url,
            "story_id": self.story_id,
        }


@dataclass(slots=True)
class Passage:
    """One retrieved story: its source and its sentences, the most relevant first."""

    source: Source
    sentences: list[str] = field(default_factory=list)
    best: float = 0.0  # the best sentence's match score; 0 when no sentence shares a word


def _sentence_score(question: set[str], sentence: str) -> float:
    words = set(terms(sentence))
    shared = len(question & words)
    # Shared words count most; among equals, shorter sentences say it more directly.
    return shared / (1.0 + 0.1 * math.log1p(len(words))) if shared else 0.0


def best_sentences(question: str, articles: list[Article], limit: int) -> tuple[list[str], float]:
    """The sentences of the articles that share most words with the question, best first.

    With no sentence sharing a word, the lead article's first sentence stands in.
    """
    wanted = set(terms(question))
    scored: dict[str, float] = {}
    for article in articles:
        for sentence in split_sentences(article.text):
            if len(sentence) >= 20 and sentence not in scored:
                scored[sentence] = _sentence_score(wanted, sentence)
    ranked = sorted(scored, key=lambda s: -scored[s])
    chosen = [s for s in ranked if scored[s] > 0][:limit]
    if not chosen and articles:
        first = split_sentences(articles[0].text)
        chosen = first[:1] or [articles[0].title]
    return chosen, scored.get(chosen[0], 0.0) if chosen else 0.0


async def retrieve(
    index: Index, question: str, *, stories: int = 5, sentences: int = 3
) -> list[Passage]:
    """The best-matching stories for a question (one passage per story), best first."""
    hits = await index.search(question, limit=stories * 4)
    groups: dict[object, list[Article]] = {}
    for hit in hits:
        article: Article = hit.article
        story_id = article.story_id
        key = ("story", story_id) if story_id is not None else ("article", article.id)
        if key in groups or len(groups) < stories:
            groups.setdefault(key, []).append(article)
    passages = []
    for n, articles in enumerate(groups.values(), start=1):
        lead = articles[0]
        source = Source(n, lead.title, lead.source, lead.url, lead.story_id)
        chosen, best = best_sentences(question, articles, sentences)
        passages.append(Passage(source, chosen, best))
    return passages
