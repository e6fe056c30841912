"""/company's latest stories in one statement, and stories built from rows of articles.

The usual case, a company with enough recent news about it, is answered by one statement: the
newest page of its mentions (read off the partial index of articles about a company), each
story's first appearance in that page, the first ``limit`` of them, and their articles with each
story's lead and stored summary. :func:`read_company_page` falls back to reading tier by tier when
that page holds fewer stories. These are read functions of a sync connection, run in one hop by
`Store.read` (`bot.store.reader`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    bindparam,
    func,
    null,
    or_,
    select,
    text,
    union_all,
)

from bot.models import Article, Story
from bot.store.article_store import _article
from bot.store.chats import ASKING_CHAT, CHAT_WITH_LAST_DIGEST, Chat, asking_chat
from bot.store.schema import UTCDateTime, article_companies, articles, stories, story_summaries
from bot.store.story_summaries import StoredSummary

ABOUT = 2.0  # salience from which an article is about a company (one passing mention is <= 1.5)
PAGE = 8  # mentions read at a time per story wanted


@dataclass(slots=True)
class CompanyPage:
    """What /company reads: the company's stories, each with its stored summary, and the chat
    that asks (None when it never registered) with the end of its last digest window."""

    stories: list[tuple[Story, StoredSummary | None]]
    chat: Chat | None = None
    last_digest_end: datetime | None = None


@cache
def first_page_stories(about: float) -> Any:
    """The articles of the first ``:limit`` stories (a story id, or minus the id of an article
    in no story) among the newest ``:page`` mentions of ``:company`` since ``:since`` by articles
    about it (score >= ``about``): each row an article with ``story_key``, ``story_rank`` (1 for
    the story that appears first, newest first), ``story_found``, ``story_lead``, ``summary_key``
    and ``summary_body``; on one row, the chat ``:platform``, ``:chat_key`` when it registered
    (bot.store.chats.ASKING_CHAT), NULLs elsewhere. Built once: its compiled form is reused."""
    mention = article_companies.c
    where = and_(
        mention.company == bindparam("company"),
        text(f"article_companies.score >= {about}"),  # the partial index's very predicate
        mention.published_at >= bindparam("since", type_=UTCDateTime()),
    )
    hits = (
        select(
            func.coalesce(articles.c.story_id, -mention.article_id).label("story_key"),
            mention.published_at.label("at"),
            mention.article_id.label("aid"),
        )
        .select_from(article_companies.join(articles, articles.c.id == mention.article_id))
        .where(where)
        .order_by(mention.published_at.desc(), mention.article_id.desc())
        .limit(bindparam("page", type_=Integer()))
        .subquery("hits")
    )
    newest = (hits.c.at.desc(), hits.c.aid.desc())
    ranked = select(
        hits.c.story_key,
        hits.c.at,
        hits.c.aid,
        func.row_number().over(partition_by=hits.c.story_key, order_by=newest).label("nth"),
    ).subquery("ranked")
    first = (ranked.c.at.desc(), ranked.c.aid.desc())
    top = (
        select(
            ranked.c.story_key,
            ranked.c.aid,
            func.row_number().over(order_by=first).label("story_rank"),
        )
        .where(ranked.c.nth == 1)
        .order_by(*first)
        .limit(bindparam("limit", type_=Integer()))
        .cte("top")
    )
    # The asking chat joins one row only: the first story's article that named the company.
    once = and_(top.c.story_rank == 1, articles.c.id == top.c.aid)
    summary = story_summaries.c
    in_story = select(
        top.c.story_key,
        top.c.story_rank,
        articles,
        stories.c.id.label("story_found"),
        stories.c.lead_article_id.label("story_lead"),
        summary.key.label("summary_key"),
        summary.body.label("summary_body"),
        *ASKING_CHAT.c,
    ).select_from(
        top.join(articles, articles.c.story_id == top.c.story_key)
        .outerjoin(stories, stories.c.id == top.c.story_key)
        .outerjoin(
            story_summaries,
            and_(summary.story_id == stories.c.id, stories.c.lead_article_id == articles.c.id),
        )
        .outerjoin(ASKING_CHAT, once)
    )
    lone = select(
        top.c.story_key,
        top.c.story_rank,
        articles,
        null().label("story_found"),
        null().label("story_lead"),
        null().label("summary_key"),
        null().label("summary_body"),
        *ASKING_CHAT.c,
    ).select_from(
        top.join(articles, articles.c.id == -top.c.story_key).outerjoin(ASKING_CHAT, once)
    )
    return union_all(in_story, lone)


def stories_from_rows(
    rows: Iterable[Any], keys: list[int], wanted: set[int]
) -> list[tuple[Story, StoredSummary | None]]:
    """Stories, in the order of ``keys``, from rows of their articles (with ``story_found``,
    ``story_lead``, ``summary_key``, ``summary_body``): the lead first, then by publication.
    An article whose story is not ``wanted`` stands alone (its key is minus its id)."""
    grouped: dict[int, list[Article]] = {}
    leads: dict[int, int | None] = {}
    stored: dict[int, StoredSummary] = {}
    for row in rows:
        article = _article(row)
        assert article.id is not None
        in_story = row.story_found is not None and row.story_found in wanted
        key = row.story_found if in_story else -article.id
        if key > 0:
            leads[key] = row.story_lead
            if row.summary_key is not None:
                stored[key] = StoredSummary(row.summary_key, row.summary_body)
        grouped.setdefault(key, []).append(article)
    found = []
    for k in keys:
        if k not in grouped:
            continue
        lead = leads.get(k)
        grouped[k].sort(key=lambda a: (a.id != lead, a.published is None, a.published, a.id))
        found.append((Story(grouped[k], id=k if k > 0 else None), stored.get(k)))
    return found


def first_appearance_keys(rows: list[Any]) -> list[int]:
    """The story keys of :func:`first_page_stories` rows, newest first appearance first."""
    rank = {row.story_key: row.story_rank for row in rows}
    return sorted(rank, key=rank.__getitem__)


def chat_row(rows: list[Any]) -> Any | None:
    """The :func:`first_page_stories` row that holds the asking chat, if it registered."""
    return next((row for row in rows if row._mapping["chat_id"] is not None), None)


def read_company_page(
    name: str, chat: tuple[str, str], limit: int, since: datetime, conn: Connection
) -> CompanyPage:
    """The latest ``limit`` stories about the company ``name`` (clean, canonical), those since
    ``since`` first, articles about it before passing mentions, then newer first; and the chat
    (platform, chat key) that asks."""
    # Usually the newest page about the company holds enough stories: one statement.
    asking = {"platform": chat[0], "chat_key": chat[1]}
    params = {"company": name, "since": since, "limit": limit, "page": PAGE * limit}
    rows = conn.execute(first_page_stories(ABOUT), params | asking).all()
    keys = first_appearance_keys(rows)
    if len(keys) >= limit:
        found = stories_from_rows(rows, keys, {k for k in keys if k > 0})
        row = chat_row(rows)
        return CompanyPage(found, *asking_chat(row)) if row else CompanyPage(found)
    # Else tier by tier, a page of mentions at a time.
    mention = article_companies.c
    about = text(f"article_companies.score >= {ABOUT}")  # the partial index's predicate
    passing = mention.score < ABOUT
    recent, older = mention.published_at >= since, mention.published_at < since
    keys = []
    for tier in ((about, recent), (passing, recent), (about, older), (passing, older)):
        _scan(conn, and_(mention.company == name, *tier), keys, limit)
        if len(keys) >= limit:
            break
    found = stories_by_keys(conn, keys)
    if not found:
        return CompanyPage([])
    # The first page joined the chat to one of its rows, when it had rows.
    row = chat_row(rows) if rows else conn.execute(CHAT_WITH_LAST_DIGEST, asking).first()
    return CompanyPage(found, *asking_chat(row)) if row else CompanyPage(found)


def _scan(conn: Connection, where: Any, keys: list[int], limit: int) -> None:
    """Add to `keys` the stories of matching mentions, newest first, until there are `limit`.

    A key is a story id, or minus the article id for an article in no story. Reads the
    mentions off an index in pages, so a company named in thousands of articles costs a few.
    """
    mention = article_companies.c
    key = func.coalesce(articles.c.story_id, -mention.article_id)
    page = PAGE * limit
    query = (
        select(key, mention.published_at, mention.article_id)
        .select_from(article_companies.join(articles, articles.c.id == mention.article_id))
        .where(where)
        .order_by(mention.published_at.desc(), mention.article_id.desc())
        .limit(page)
    )
    after: Any = None
    while len(keys) < limit:
        pending = query
        if after is not None:
            at, article_id = after
            pending = query.where(
                or_(
                    mention.published_at < at,
                    and_(mention.published_at == at, mention.article_id < article_id),
                )
            )
        rows = conn.execute(pending).all()
        for story_key, _, _ in rows:
            if story_key not in keys and len(keys) < limit:
                keys.append(int(story_key))
        if len(rows) < page:
            return
        after = rows[-1][1], rows[-1][2]


def stories_by_keys(conn: Connection, keys: list[int]) -> list[tuple[Story, StoredSummary | None]]:
    """Stories by key (story id, or minus an article id), in the order of the keys (those that
    exist), each with its stored summary."""
    if not keys:
        return []
    ids = [k for k in keys if k > 0]
    lone = [-k for k in keys if k < 0]
    where = or_(articles.c.story_id.in_(ids), articles.c.id.in_(lone))
    # One query: each article with its story's lead (None for an article in no story), and
    # on the lead's row only, the story's stored summary.
    summary = story_summaries.c
    on_lead = and_(summary.story_id == stories.c.id, stories.c.lead_article_id == articles.c.id)
    query = (
        select(
            articles,
            stories.c.id.label("story_found"),
            stories.c.lead_article_id.label("story_lead"),
            summary.key.label("summary_key"),
            summary.body.label("summary_body"),
        )
        .select_from(
            articles.outerjoin(stories, stories.c.id == articles.c.story_id).outerjoin(
                story_summaries, on_lead
            )
        )
        .where(where)
    )
    return stories_from_rows(conn.execute(query).all(), keys, set(ids))
