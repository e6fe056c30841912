"""The store's tables (SQLAlchemy Core). Alembic migrations under migrations/ create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


def utcnow() -> datetime:
    """The current time, UTC, time-zone aware."""
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """A timestamp as the store keeps and returns it: aware, in UTC (a naive one is UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back time-zone aware (SQLite drops the zone):
    whatever reads a timestamp from the store gets an aware UTC datetime, on either database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        value = as_utc(value)
        return value.replace(tzinfo=None) if value and dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return as_utc(value)


feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("title", Text),
    Column("site_url", Text),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_success_at", UTCDateTime()),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime()),
    Column("error_count", Integer, nullable=False, default=0),
    Column("next_check_at", UTCDateTime()),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="SET NULL")),
    Column("url", Text, unique=True),
    Column("title", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("author", Text),
    Column("published_at", UTCDateTime()),
    Column("fetched_at", UTCDateTime(), nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(16)),
    Column("content_hash", String(64), nullable=False),
    Column("text_source", String(8), nullable=False),
    Column(
        "story_id",
        Integer,
        ForeignKey("stories.id", name="fk_articles_story_id"),
    ),
    Index("ix_articles_fetched_at", "fetched_at"),
    Index("ix_articles_published_at", "published_at"),
    Index("ix_articles_content_hash", "content_hash"),
    Index("ix_articles_story_id", "story_id"),
)
# Full-text search over articles(title, text) lives outside this metadata, made by migration 0003:
# SQLite: the FTS5 table articles_fts (external content) and three triggers that keep it in sync;
# PostgreSQL: articles.search, a generated tsvector (title weight A, text B) with a GIN index.

# One news event; its articles point here (articles.story_id). The lead represents the story.
stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column(
        "lead_article_id",
        Integer,
        ForeignKey(
            "articles.id", ondelete="SET NULL", name="fk_stories_lead_article_id", use_alter=True
        ),
    ),
    Index("ix_stories_lead_article_id", "lead_article_id"),
)

# What the story clusterer (bot.nlp.stories) derived from an indexed article: its term counts,
# its sampled shingle hashes and its word count, so that a restart rebuilds the window's stories
# without reading and tokenising every text again.
story_features = Table(
    "story_features",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("terms", Text, nullable=False),  # JSON object: term -> count, in order of first use
    Column("shingles", Text, nullable=False),  # hashes, space-separated
    Column("words", Integer, nullable=False),
)

# The companies each article mentions. published_at copies the article's time (published, else
# fetched) so that /company reads the latest mentions of a company straight off an index.
article_companies = Table(
    "article_companies",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("company", Text, primary_key=True),  # canonical name
    Column("known", Boolean, nullable=False),  # from the gazetteer, or an organisation by its cues
    Column("mentions", Integer, nullable=False),
    Column("first_offset", Integer, nullable=False),  # in the text; -1 when only the title names it
    Column("in_title", Boolean, nullable=False),
    Column("score", Float, nullable=False),  # salience: above 2 the article is about the company
    Column("published_at", UTCDateTime(), nullable=False),
    Index(
        "ix_article_companies_company_published", "company", "published_at", "article_id", "score"
    ),
    # The mentions of articles about their company (news.ABOUT): the first rows /company reads.
    Index(
        "ix_article_companies_about",
        "company",
        "published_at",
        "article_id",
        "score",
        sqlite_where=text("score >= 2.0"),
        postgresql_where=text("score >= 2.0"),
    ),
)

# Which feed entries were seen, so a poll skips them without refetching their pages.
entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("entry_key", Text, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("seen_at", UTCDateTime(), nullable=False),
    UniqueConstraint("feed_id", "entry_key", name="uq_entries_feed_key"),
    Index("ix_entries_article_id", "article_id"),
)

chats = Table(
    "chats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("chat_key", Text, nullable=False),
    Column("title", Text),
    Column("timezone", Text, nullable=False),
    Column("digest_time", String(5), nullable=False),
    Column("weekdays", String(32), nullable=False, default="mon,tue,wed,thu,fri,sat,sun"),
    Column("paused", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("thread_id", Text),  # the forum topic digests go to
    Column("empty_digest", String(8), nullable=False, server_default="notice"),  # or silent
    Column("schedule_since", UTCDateTime()),  # slots before it are never sent
    UniqueConstraint("platform", "chat_key", name="uq_chats_platform_key"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # company | keyword | feed | topic
    Column("value", Text, nullable=False),
    Column("exclude", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("chat_id", "kind", "value", name="uq_subscriptions"),
)

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("window_start", UTCDateTime()),
    Column("window_end", UTCDateTime(), nullable=False),
    Column("story_count", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("slot", UTCDateTime()),  # the scheduled instant; None for /digest
    # The stories' ids in the order the digest numbers them ("12,7,30"; "" for none): what
    # "/summary 2" means. NULL on digests recorded before 0005, whose order is not known.
    Column("story_ids", Text),
    Index("ix_digests_chat_end", "chat_id", "window_end"),
    Index("uq_digests_chat_slot", "chat_id", "slot", unique=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest_id", Integer, ForeignKey("digests.id", ondelete="CASCADE")),
    Column("chat_id", Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("idempotency_key", Text, nullable=False, unique=True),
    Column("part_index", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False),  # pending | sending | sent | failed
    Column("platform_message_id", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("platform", String(16)),
    Column("available_at", UTCDateTime()),  # not tried before (a 429 holds one chat back)
    Column("claimed_by", Text),
    Column("lease_until", UTCDateTime()),  # a 'sending' part past its lease has an unknown outcome
    Column("created_at", UTCDateTime()),
    Index("ix_deliveries_state_available", "state", "available_at"),
    Index("ix_deliveries_digest_part", "digest_id", "part_index"),
    Index("ix_deliveries_state_updated", "state", "updated_at"),
)

# The stories each chat was sent, and from which sources: a story is sent again only with news.
digest_stories = Table(
    "digest_stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", Integer, nullable=False),
    Column("sources", Text, nullable=False),  # source names, one per line
    Column("last_article_id", Integer, nullable=False),
    Column("sent_at", UTCDateTime(), nullable=False),
    UniqueConstraint("chat_id", "story_id", name="uq_digest_stories"),
)

# LLM summaries, once per (content, model, prompt version); content_hash hashes a story's articles.
summaries = Table(
    "summaries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("model", Text, nullable=False),
    Column("prompt_version", String(32), nullable=False),
    Column("body", Text, nullable=False),  # the Summary as JSON
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("content_hash", "model", "prompt_version", name="uq_summaries_key"),
)

# Each story's summary as the deployment's summarizer made it (ahead of /company), with the key
# of what it was made from: the summarizer, its settings, the story's articles in order
# (bot/summarize/stored.py). A story whose articles changed no longer matches its key.
story_summaries = Table(
    "story_summaries",
    metadata,
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(64), nullable=False),
    Column("body", Text, nullable=False),  # the Summary as JSON
    Column("created_at", UTCDateTime(), nullable=False),
)

# Tokens the LLM used per UTC day, for the daily budget.
llm_usage = Table(
    "llm_usage",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("tokens", Integer, nullable=False, default=0),
    UniqueConstraint("day", name="uq_llm_usage_day"),
)
