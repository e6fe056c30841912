"""Plain data models that flow through the pipeline: feed → entries → article → story → digest.

No I/O lives here; every stage takes and returns these dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TextSource(StrEnum):
    """Where an article's text came from."""

    PAGE = "page"  # extracted from the article page
    FEED = "feed"  # the page failed or was too thin: the feed's content or summary


@dataclass(slots=True)
class Feed:
    """A news source polled on a schedule, with its health."""

    url: str
    id: int | None = None
    title: str | None = None
    site_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    error_count: int = 0
    next_check_at: datetime | None = None
    active: bool = True


@dataclass(slots=True)
class Entry:
    """One item of a parsed feed document."""

    key: str  # stable across polls, unique within the feed
    title: str
    link: str | None  # canonical URL of the article page
    published: datetime | None = None
    author: str | None = None
    summary: str = ""  # the feed's summary, as plain text
    content: str = ""  # the feed's full content, as plain text, when it ships one


@dataclass(slots=True)
class ParsedFeed:
    """A feed document after parsing: its metadata and entries."""

    title: str | None
    site_url: str | None
    entries: list[Entry]
    ttl_minutes: int | None = None
    language: str | None = None
    warning: str | None = None  # recoverable problem reported by the parser


@dataclass(slots=True)
class Extracted:
    """Main text and metadata extracted from an article page."""

    text: str
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None


@dataclass(slots=True, frozen=True)
class Analysis:
    """What the story index derives from an article's title and text, worked out before the
    article is stored (`bot.nlp.analysis`, in parallel, wherever it is polled) so that the one
    index writer does not: the companies it mentions and the story clusterer's features as
    the store keeps them (term counts as JSON, shingle hashes, word count)."""

    mentions: list[CompanyMention]
    terms: str
    shingles: str
    words: int


@dataclass(slots=True)
class Article:
    """A stored news article."""

    url: str | None
    title: str
    text: str
    source: str
    text_source: TextSource
    content_hash: str
    id: int | None = None
    feed_id: int | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    fetched_at: datetime | None = None
    story_id: int | None = None
    # Stored with the article when known; the index then uses it instead of the text.
    analysis: Analysis | None = None


@dataclass(slots=True)
class Story:
    """One news event, told by one or more articles."""

    articles: list[Article]
    id: int | None = None

    @property
    def lead(self) -> Article:
        """The article that represents the story."""
        return self.articles[0]

    @property
    def sources(self) -> list[str]:
        """Distinct source names, in order of first appearance."""
        return list(dict.fromkeys(a.source for a in self.articles))


@dataclass(slots=True)
class Quote:
    """A direct quotation found verbatim in an article, with who said it."""

    text: str  # the words inside the quotation marks, verbatim
    speaker: str | None  # the fullest name the article gives, else the role it gives
    # ("Intel's chief financial officer"), or None when unknown
    start: int = -1  # character offset of the quote in the article text, when known
    score: float = 0.0  # newsworthiness: higher is more worth showing
    # A quotation split by its attribution (“A,” he said, “B.”) is one Quote whose text joins
    # the parts with " … "; `parts` holds each part's (start, end) offsets in the article.
    # Empty for a quote of one part, which is text[start:start + len(text)].
    parts: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        self.parts = tuple((int(s), int(e)) for s, e in self.parts)  # JSON gives lists


@dataclass(slots=True)
class Summary:
    """What a summarizer says about an article or story."""

    sentences: list[str]  # a few whole sentences
    quotes: list[Quote]  # the key quotes, one or two
    all_quotes: list[Quote]  # every quote found, in order of appearance
    companies: list[str]  # companies mentioned, most central first
    summarizer: str  # "extractive" or "llm"
    note: str | None = None  # e.g. why the LLM fell back to the extractive summarizer


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a chat follows: a company, keyword, feed or topic; ``exclude`` keeps matches out."""

    kind: str  # company | keyword | feed | topic
    value: str
    exclude: bool = False


@dataclass(slots=True)
class CompanyMention:
    """One company an article mentions, with how salient it is.

    `count` covers title and text; `first_offset` is the first mention's offset in the text, or
    -1 when only the title names the company. `known` is False for an organisation found by its
    cues ("Zephyr Robotics Inc.") rather than from the gazetteer. `via` is set on a parent the
    article does not name itself: the company it names instead ("Alphabet" via "Google").
    """

    name: str
    count: int
    first_offset: int
    in_title: bool
    known: bool
    score: float
    via: str | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    """A company an article names (an article_companies row): its salience and whether the
    title names it."""

    article_id: int
    company: str
    score: float
    in_title: bool


@dataclass(frozen=True, slots=True)
class SentStory:
    """A story a chat was sent: the sources it was sent with and its newest article then."""

    story_id: int
    sources: tuple[str, ...]
    last_article_id: int


@dataclass(frozen=True, slots=True)
class CompanyArticle:
    """An article that names a company, as a trend counts it: when, from which outlet, in which
    story (None while the article is in no story yet)."""

    article_id: int
    story_id: int | None
    title: str
    source: str
    url: str | None
    published: datetime
