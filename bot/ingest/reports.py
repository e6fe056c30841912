"""What a poll did: per feed, and per round."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.models import Article, Feed


@dataclass(slots=True)
class FeedReport:
    """What one poll of one feed did."""

    url: str
    new: int = 0
    known: int = 0
    from_feed_text: int = 0  # articles whose page failed or was too thin
    left: int = 0  # new entries not read because time ran out: the next poll reads them
    not_modified: bool = False
    out_of_time: str | None = None  # "feed" or "host": whose time budget ran out
    deferred: bool = False  # not polled: its host ran out of time, the feed is still due
    error: str | None = None
    stored: list[Article] = field(default_factory=list, repr=False)  # the new ones, with ids


Progress = Callable[[Feed, FeedReport], None]


@dataclass(slots=True)
class PollReport:
    """What one round of polling did."""

    feeds: list[FeedReport] = field(default_factory=list)

    @property
    def new(self) -> int:
        """New articles stored."""
        return sum(f.new for f in self.feeds)

    @property
    def stored(self) -> list[Article]:
        """The new articles, as stored (with ids)."""
        return [a for f in self.feeds for a in f.stored]

    @property
    def failed(self) -> list[FeedReport]:
        """Feeds whose poll failed."""
        return [f for f in self.feeds if f.error]

    @property
    def out_of_time(self) -> list[FeedReport]:
        """Feeds cut short or put off because a time budget ran out."""
        return [f for f in self.feeds if f.out_of_time]
