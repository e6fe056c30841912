"""A chat's digest, planned: which of the window's stories, in what order, under which heading.

Pure: the window's stories, the chat's subscriptions, the companies the articles name and what
the chat was sent before go in; a DigestPlan comes out. A story's score adds up

* its sources: how many outlets report it (more than ``MAX_SOURCES`` add nothing);
* its recency: 1 for news at the end of the window, 0 at its start;
* its match to the subscription: a company in a title beats an article about the company, which
  beats a passing mention; a keyword in a title beats one in the text;
* its novelty: a story the chat has not seen beats an update of one it was sent.

A story sent before comes back only with a real update: an article from a source it was not
sent with. A story matching an exclude subscription is left out, whatever else it matches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import Article, Mention, SentStory, Story, Subscription

ABOUT = 2.0  # salience from which an article is about a company (as bot.store.news.ABOUT)
MAX_SOURCES = 5
SOURCES_WEIGHT = 1.0
RECENCY_WEIGHT = 1.0
MATCH_WEIGHT = 1.0
NOVELTY_WEIGHT = 0.5
MIN_SPAN = timedelta(hours=1)  # recency decays over the window, but over one hour at least
FIRST_SPAN = timedelta(days=1)  # ... and over a day for a chat's first digest (no window start)

# Match strengths, 0 (no match) to 1.
IN_TITLE = 1.0
ABOUT_COMPANY = 0.7
PASSING = 0.4
IN_TEXT = 0.5


@dataclass(frozen=True, slots=True)
class Ranked:
    """A story chosen for the digest, with its score; ``new_sources`` (an update of a story
    sent before) names the sources that reported it since."""

    story: Story
    score: float
    new_sources: tuple[str, ...] = ()

    @property
    def update(self) -> bool:
        """Whether the chat was sent this story before (and this is its update)."""
        return bool(self.new_sources)


@dataclass(frozen=True, slots=True)
class Section:
    """The digest's stories of one subscription, best first; ``title`` None: the top stories
    of a chat that follows everything."""

    title: str | None
    stories: tuple[Ranked, ...]


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """The sections that have stories, in subscription order, and how many stories more did
    not fit."""

    sections: tuple[Section, ...]
    left_out: int

    @property
    def stories(self) -> list[Ranked]:
        """Every chosen story in the order the digest shows them."""
        return [ranked for section in self.sections for ranked in section.stories]


def section_title(sub: Subscription) -> str:
    """A subscription as a digest heading: a company or feed by its name, a word in quotes."""
    return f"“{sub.value}”" if sub.kind in ("keyword", "topic") else sub.value


class _Matcher:
    """How strongly stories match subscriptions (0 to 1), from their articles and mentions."""

    def __init__(self, subscriptions: Sequence[Subscription], mentions: Iterable[Mention]):
        self._mentions: dict[int, list[Mention]] = {}
        for mention in mentions:
            self._mentions.setdefault(mention.article_id, []).append(mention)
        self._patterns = {
            sub.value: _word_pattern(sub.value)
            for sub in subscriptions
            if sub.kind in ("keyword", "topic")
        }
        self._folded: dict[int, tuple[str, str]] = {}

    def strength(self, story: Story, sub: Subscription) -> float:
        if sub.kind == "company":
            return max((self._company(a, sub.value) for a in story.articles), default=0.0)
        if sub.kind in ("keyword", "topic"):
            return max((self._word(a, sub.value) for a in story.articles), default=0.0)
        if sub.kind == "feed":
            wanted = sub.value.casefold()
            feeds = {a.source.casefold() for a in story.articles}
            feeds |= {str(a.feed_id) for a in story.articles if a.feed_id is not None}
            return 1.0 if wanted in feeds else 0.0
        return 0.0

    def _company(self, article: Article, company: str) -> float:
        wanted = company.casefold()
        best = 0.0
        for mention in self._mentions.get(article.id or 0, ()):
            if mention.company.casefold() != wanted:
                continue
            if mention.in_title:
                return IN_TITLE
            best = max(best, ABOUT_COMPANY if mention.score >= ABOUT else PASSING)
        return best

    def _word(self, article: Article, word: str) -> float:
        folded = self._folded.get(id(article))
        if folded is None:
            folded = self._folded[id(article)] = (article.title.casefold(), article.text.casefold())
        title, text = folded
        pattern = self._patterns[word]
        if pattern.search(title):
            return IN_TITLE
        return IN_TEXT if pattern.search(text) else 0.0


def _word_pattern(word: str) -> re.Pattern[str]:
    # A whole word, plural allowed: "chip" finds "chips", "ai" does not find "said".
    return re.compile(rf"(?<!\w){re.escape(word.casefold())}(?:e?s)?(?!\w)")


def _when(article: Article) -> datetime | None:
    return article.published or article.fetched_at


def recency(story: Story, since: datetime | None, until: datetime) -> float:
    """1 for a story whose newest article came at the window's end, falling to 0 at its start."""
    fresh = [a for a in story.articles if _in_window(a, since, until)] or story.articles
    stamps = [t for t in map(_when, fresh) if t is not None]
    if not stamps:
        return 0.0
    span = max(until - since, MIN_SPAN) if since is not None else FIRST_SPAN
    age = (until - max(stamps)) / span
    return min(1.0, max(0.0, 1.0 - age))


def _in_window(article: Article, since: datetime | None, until: datetime) -> bool:
    at = article.fetched_at
    return at is not None and (since is None or at > since) and at <= until


def source_score(story: Story) -> float:
    """0 for one source, rising by the logarithm to 1 at ``MAX_SOURCES``."""
    count = min(len(story.sources), MAX_SOURCES)
    return math.log(count) / math.log(MAX_SOURCES) if count > 1 else 0.0


def new_sources(story: Story, sent: SentStory | None) -> tuple[str, ...] | None:
    """The story's sources the chat was not sent: () for a story never sent, None for a story
    sent before that no new source reported since (it stays out)."""
    if sent is None:
        return ()
    fresh = tuple(s for s in story.sources if s not in sent.sources)
    return fresh or None


def plan_digest(
    stories: Iterable[Story],
    subscriptions: Sequence[Subscription],
    mentions: Iterable[Mention],
    sent: dict[int, SentStory],
    *,
    since: datetime | None,
    until: datetime,
    limit: int,
) -> DigestPlan:
    """The top ``limit`` of the window's stories that match the chat's subscriptions and are
    new to it, in one section per include subscription (a story under the first it matches),
    or in one untitled section when the chat follows everything."""
    include = [s for s in subscriptions if not s.exclude]
    exclude = [s for s in subscriptions if s.exclude]
    matcher = _Matcher(subscriptions, mentions)
    candidates: list[tuple[Ranked, int]] = []  # with the index of the story's section
    for story in stories:
        if not story.articles or any(matcher.strength(story, s) > 0 for s in exclude):
            continue
        section, match = 0, 1.0
        if include:
            strengths = [matcher.strength(story, s) for s in include]
            matching = [i for i, value in enumerate(strengths) if value > 0]
            if not matching:
                continue
            section, match = matching[0], max(strengths)
        fresh = new_sources(story, sent.get(story.id) if story.id is not None else None)
        if fresh is None:
            continue
        score = (
            SOURCES_WEIGHT * source_score(story)
            + RECENCY_WEIGHT * recency(story, since, until)
            + MATCH_WEIGHT * match
            + NOVELTY_WEIGHT * (0.0 if fresh else 1.0)
        )
        candidates.append((Ranked(story, round(score, 6), fresh), section))
    candidates.sort(key=lambda c: (-c[0].score, -_newest(c[0].story)))  # stable: ties keep order
    chosen = candidates[: max(0, limit)]
    titles: list[str | None] = [section_title(s) for s in include] or [None]
    sections = []
    for index, title in enumerate(titles):
        picked = tuple(ranked for ranked, section in chosen if section == index)
        if picked:
            sections.append(Section(title, picked))
    return DigestPlan(tuple(sections), len(candidates) - len(chosen))


def _newest(story: Story) -> float:
    return max((t.timestamp() for t in map(_when, story.articles) if t is not None), default=0.0)


def sent_records(plan: DigestPlan, sent: dict[int, SentStory]) -> list[SentStory]:
    """What to remember of the plan's stories: each stored story with every source it has now
    been sent with (the earlier ones too) and its newest article."""
    records = []
    for ranked in plan.stories:
        story = ranked.story
        ids = [a.id for a in story.articles if a.id is not None]
        if story.id is None or not ids:
            continue
        before = sent.get(story.id)
        sources = tuple(dict.fromkeys((*(before.sources if before else ()), *story.sources)))
        last = max(ids + ([before.last_article_id] if before else []))
        records.append(SentStory(story.id, sources, last))
    return records
