"""Retrieval for /ask: the stored stories that best match a question, and their best sentences."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.models import Article, Story
from bot.nlp.stories.cluster import terms
from bot.store.company_stories import CompanyPage
from bot.summarize.match import (
    Vocabulary,
    best_sentences,
    cover,
    is_frame,
    named_terms,
    question_terms,
    term_weights,
)
from bot.summarize.related import Related, WordSource, related_words

log = logging.getLogger("newsbot.chat.ask")


class Index(WordSource, Protocol):
    """The part of NewsIndex the chat commands use."""

    async def story(self, story_id: int) -> Story | None: ...
    async def company_stories(self, company: str, *, limit: int = 5) -> list[Story]: ...
    async def company_page(
        self, company: str, chat: tuple[str, str] = ..., *, limit: int = 5
    ) -> CompanyPage: ...
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


# The relevance floor. A question's words are weighted by how rare they are among the
# candidate articles (a word none of them uses weighs most: nothing found covers it); a story
# answers only when it covers this share of the question's weight, and at least this share of
# the best story's cover: a story that shares one common word of the question is no answer.
MIN_COVER = 0.6
MIN_COVER_OF_BEST = 0.7
# A question word that at most half the candidate stories hold has its related words looked up
# (bot/summarize/related.py); at most this many words per question, the heaviest.
MAX_EXPANDED = 2


async def retrieve(
    index: Index, question: str, *, stories: int = 5, sentences: int = 3, related: bool = True
) -> list[Passage]:
    """The stories that answer a question (one passage per story), best first; none when no
    story covers enough of the question (see MIN_COVER): unrelated stories are no answer.
    With `related`, a question word few candidates hold is also met by its related words.

    The reading of the candidates' texts (up to 20 articles of up to [ingest]
    max_article_chars each) runs in a worker thread, not on the event loop."""
    hits = await index.search(question, limit=stories * 4)
    groups: dict[object, list[Article]] = {}
    for hit in hits:
        article: Article = hit.article
        story_id = article.story_id
        key = ("story", story_id) if story_id is not None else ("article", article.id)
        groups.setdefault(key, []).append(article)
    if not groups or not question_terms(question):
        return []
    found = await asyncio.to_thread(Candidates, question, groups)
    near: dict[str, Related] = {}
    if related:
        own = Vocabulary(found.wanted)  # a word of the question is no stand-in for another
        for term in found.rare()[:MAX_EXPANDED]:
            near[term] = await related_words(index, term, own.has)
    return await asyncio.to_thread(found.passages, near, stories, sentences)


class Candidates:
    """The stories search found for a question, read: each one's words, and the weight of each
    question word among them (CPU work: build it off the event loop)."""

    def __init__(self, question: str, groups: dict[object, list[Article]]) -> None:
        self.question = question
        self.groups = groups
        self.wanted = question_terms(question)
        self.names = named_terms(question)
        words = {
            key: [set(terms(f"{a.title}\n{a.text}")) for a in group]
            for key, group in groups.items()
        }
        by_article = [Vocabulary(each) for group in words.values() for each in group]
        self.vocabularies = {key: Vocabulary(set().union(*group)) for key, group in words.items()}
        self.weights = term_weights(self.wanted, by_article, self.names)
        self.named = {t: w for t, w in self.weights.items() if t in self.names}
        self.headlines = {
            key: Vocabulary(word for a in group for word in terms(a.title))
            for key, group in groups.items()
        }

    def about(self, key: object) -> float:
        """How much a story is about what the question names: the share of the names' weight
        its headlines hold, as 0.5..1 (1 when the question names nothing). A story that names
        them only in passing ("rivals including Boeing") ranks below one whose headline does."""
        return 0.5 + 0.5 * cover(self.named, self.headlines[key]) if self.named else 1.0

    def rare(self) -> list[str]:
        """The question's words that at most half the stories hold, heaviest first: those whose
        related words may stand in (not names, frame words or numbers: a name has no
        stand-in)."""
        stories = list(self.vocabularies.values())
        rare = [
            term
            for term in self.wanted
            if term not in self.names
            and not is_frame(term)
            and not term.isdigit()
            and 2 * sum(v.has(term) for v in stories) <= len(stories)
        ]
        return sorted(rare, key=lambda t: -self.weights[t])

    def passages(self, near: dict[str, Related], stories: int, sentences: int) -> list[Passage]:
        """The stories that cover enough of the question (see MIN_COVER), those covering most
        first, a story whose headlines name what the question names ahead of one that names it
        in passing (`about`; among equals, search order: relevance weighted by recency), each
        with its best sentences."""
        covers = {
            key: cover(self.weights, vocabulary, near)
            for key, vocabulary in self.vocabularies.items()
        }
        best = max(covers.values())
        floor = max(MIN_COVER, MIN_COVER_OF_BEST * best)
        answering = [key for key in self.groups if covers[key] >= floor]
        kept = sorted(answering, key=lambda key: -covers[key] * self.about(key))[:stories]
        log.info(
            "retrieved",
            extra={
                "candidates": len(self.groups),
                "answering": len(kept),
                "best_cover": round(best, 2),
                # how many question words had stand-ins, not the words: users' text stays out
                "related": sum(bool(words) for words in near.values()),
            },
        )
        passages = []
        for n, key in enumerate(kept, start=1):
            articles = self.groups[key]
            lead = articles[0]
            source = Source(n, lead.title, lead.source, lead.url, lead.story_id)
            chosen, score = best_sentences(self.question, articles, sentences, self.weights, near)
            passages.append(Passage(source, chosen, score))
        return passages
