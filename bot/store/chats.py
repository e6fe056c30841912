"""The chat queries: a chat's settings, its subscriptions, pausing and migration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update

from bot.models import Article, Mention, Story, Subscription
from bot.store.article_store import _article
from bot.store.schema import (
    UTCDateTime,
    article_companies,
    articles,
    chats,
    digests,
    stories,
    subscriptions,
)
from bot.store.store import Store, utcnow

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EMPTY_DIGEST = ("notice", "silent")
SCHEDULE = {"digest_time", "timezone", "weekdays"}
WINDOW_LIMIT = 5000  # a digest looks at the window's newest articles, this many at most
CHUNK = 500
_ANY_CASE = {"keyword", "topic"}  # kinds whose values match in any case


@dataclass(frozen=True, slots=True)
class Chat:
    """A registered chat and its digest settings."""

    id: int
    platform: str
    chat_key: str
    timezone: str
    digest_time: str
    weekdays: str
    paused: bool
    thread_id: str | None = None  # the forum topic (thread) digests go to
    empty_digest: str = "notice"  # nothing new: "notice" says so, "silent" sends nothing
    schedule_since: datetime | None = None  # when the schedule last changed: no slot before it


class ChatStore:
    """Chats and subscriptions over a Store's engine."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, platform: str, chat_key: str) -> Chat | None:
        """The chat, or None when it never registered."""
        query = select(chats).where(chats.c.platform == platform, chats.c.chat_key == chat_key)
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _chat(row) if row is not None else None

    async def get_with_last_digest(
        self, platform: str, chat_key: str
    ) -> tuple[Chat | None, datetime | None]:
        """The chat (None when it never registered) and where its last digest window ended
        (None when it never had one), in one query."""
        params = {"platform": platform, "chat_key": chat_key}
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(CHAT_WITH_LAST_DIGEST, params)).first()
        return (None, None) if row is None else asking_chat(row)

    async def ensure(
        self, platform: str, chat_key: str, *, timezone: str, digest_time: str
    ) -> tuple[Chat, bool]:
        """The chat, registered with the defaults when new; and whether it is new."""
        existing = await self.get(platform, chat_key)
        if existing is not None:
            return existing, False
        chat_id = await self.store.ensure_chat(
            platform, chat_key, timezone=timezone, digest_time=digest_time
        )
        async with self.store.engine.begin() as conn:  # the first digest is the next slot
            await conn.execute(
                update(chats)
                .where(chats.c.id == chat_id, chats.c.schedule_since.is_(None))
                .values(schedule_since=utcnow())
            )
        chat = await self.get(platform, chat_key)
        assert chat is not None
        return chat, True

    async def all(self, platform: str) -> list[Chat]:
        """Every chat of a platform."""
        query = select(chats).where(chats.c.platform == platform).order_by(chats.c.id)
        async with self.store.engine.connect() as conn:
            return [_chat(row) for row in await conn.execute(query)]

    async def update_settings(self, chat_id: int, **values: Any) -> None:
        """Set digest_time, timezone, weekdays, paused, empty_digest or thread_id (the forum
        topic digests go to; None: the main chat). A change of time, zone or days starts the
        schedule afresh (schedule_since): a slot already past is not sent."""
        allowed = {"digest_time", "timezone", "weekdays", "paused", "empty_digest", "thread_id"}
        assert set(values) <= allowed, values
        assert values.get("empty_digest", "notice") in EMPTY_DIGEST, values
        if values.keys() & SCHEDULE:
            values["schedule_since"] = utcnow()
        if values:
            async with self.store.engine.begin() as conn:
                await conn.execute(update(chats).where(chats.c.id == chat_id).values(**values))

    async def set_paused(self, platform: str, chat_key: str, paused: bool) -> bool:
        """Pause or resume a chat's deliveries; returns whether the chat exists."""
        async with self.store.engine.begin() as conn:
            result = await conn.execute(
                update(chats)
                .where(chats.c.platform == platform, chats.c.chat_key == chat_key)
                .values(paused=paused)
            )
        return result.rowcount > 0

    async def forget_topic(self, platform: str, chat_key: str, thread_id: str) -> bool:
        """The chat's digest topic was deleted: digests go to the chat itself from now on.
        Only that topic is forgotten (a topic chosen since then stays); returns whether it was."""
        async with self.store.engine.begin() as conn:
            result = await conn.execute(
                update(chats)
                .where(
                    chats.c.platform == platform,
                    chats.c.chat_key == chat_key,
                    chats.c.thread_id == thread_id,
                )
                .values(thread_id=None)
            )
        return result.rowcount > 0

    async def migrate(self, platform: str, old_key: str, new_key: str) -> None:
        """A chat got a new key (a Telegram group became a supergroup): follow it."""
        async with self.store.engine.begin() as conn:
            taken = (
                await conn.execute(
                    select(chats.c.id).where(
                        chats.c.platform == platform, chats.c.chat_key == new_key
                    )
                )
            ).first()
            if taken is None:
                await conn.execute(
                    update(chats)
                    .where(chats.c.platform == platform, chats.c.chat_key == old_key)
                    .values(chat_key=new_key)
                )

    async def subscriptions(self, chat_id: int) -> list[Subscription]:
        """The chat's subscriptions in the order they were made."""
        query = (
            select(subscriptions.c.kind, subscriptions.c.value, subscriptions.c.exclude)
            .where(subscriptions.c.chat_id == chat_id)
            .order_by(subscriptions.c.id)
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Subscription(kind, value, bool(exclude)) for kind, value, exclude in rows]

    async def _same(self, conn: Any, chat_id: int, kind: str, value: str) -> Any:
        """The chat's subscription row (id, exclude) to this kind and value, or None. Keywords
        keep the spelling they were given ("5G") and match whatever the case; casefolding
        here, not in SQL, because SQLite's lower() knows ASCII only."""
        rows = await conn.execute(
            select(subscriptions.c.id, subscriptions.c.exclude, subscriptions.c.value).where(
                subscriptions.c.chat_id == chat_id, subscriptions.c.kind == kind
            )
        )
        fold = kind in _ANY_CASE
        for row in rows:
            if row[2] == value or (fold and row[2].casefold() == value.casefold()):
                return row
        return None

    async def subscribe(self, chat_id: int, sub: Subscription) -> bool:
        """Add a subscription (an exclude replaces an include of the same word); True when new."""
        async with self.store.engine.begin() as conn:
            found = await self._same(conn, chat_id, sub.kind, sub.value)
            if found is not None:
                if bool(found[1]) == sub.exclude:
                    return False
                await conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.id == found[0])
                    .values(exclude=sub.exclude, value=sub.value)
                )
                return True
            await conn.execute(
                subscriptions.insert().values(
                    chat_id=chat_id,
                    kind=sub.kind,
                    value=sub.value,
                    exclude=sub.exclude,
                    created_at=utcnow(),
                )
            )
        return True

    async def unsubscribe(self, chat_id: int, kind: str, value: str) -> bool:
        """Remove a subscription (a keyword in any case); returns whether there was one."""
        async with self.store.engine.begin() as conn:
            found = await self._same(conn, chat_id, kind, value)
            if found is None:
                return False
            await conn.execute(delete(subscriptions).where(subscriptions.c.id == found[0]))
        return True

    async def window_stories(
        self, since: datetime | None, until: datetime, *, limit: int = WINDOW_LIMIT
    ) -> list[Story]:
        """The stories with an article stored in the window (since, until], whole: each with
        every article of theirs stored up to ``until``, the lead first. An article in no story
        is a story of its own, without id. Looks at the window's newest ``limit`` articles."""
        where = [articles.c.fetched_at <= until]
        if since is not None:
            where.append(articles.c.fetched_at > since)
        window = (
            select(articles.c.id, articles.c.story_id)
            .where(*where)
            .order_by(articles.c.fetched_at.desc(), articles.c.id.desc())
            .limit(limit)
            .subquery()
        )
        told = or_(
            articles.c.story_id.in_(
                select(window.c.story_id).where(window.c.story_id.is_not(None))
            ),
            articles.c.id.in_(select(window.c.id)),
        )
        query = (
            select(articles, stories.c.lead_article_id)
            .select_from(articles.outerjoin(stories, stories.c.id == articles.c.story_id))
            .where(told, articles.c.fetched_at <= until)
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        grouped: dict[int, list[Article]] = {}
        leads: dict[int, int | None] = {}
        for row in rows:
            article = _article(row)
            assert article.id is not None
            key = article.story_id if article.story_id is not None else -article.id
            grouped.setdefault(key, []).append(article)
            leads[key] = row.lead_article_id
        found = []
        for key in sorted(grouped):
            lead = leads[key]
            group = grouped[key]
            group.sort(key=lambda a: (a.id != lead, a.published is None, a.published, a.id))
            found.append(Story(group, id=key if key > 0 else None))
        return found

    async def company_mentions(
        self, article_ids: Iterable[int], companies: Iterable[str]
    ) -> list[Mention]:
        """The mentions of these companies (canonical names) in these articles."""
        ids, names = list(dict.fromkeys(article_ids)), list(dict.fromkeys(companies))
        if not ids or not names:
            return []
        c = article_companies.c
        found: list[Mention] = []
        async with self.store.engine.connect() as conn:
            for start in range(0, len(ids), CHUNK):
                rows = await conn.execute(
                    select(c.article_id, c.company, c.score, c.in_title).where(
                        c.article_id.in_(ids[start : start + CHUNK]), c.company.in_(names)
                    )
                )
                found += [Mention(int(a), name, float(s), bool(t)) for a, name, s, t in rows]
        return found


# The chat a command came from (``:platform``, ``:chat_key``), its columns named chat_*, with the
# end of its last digest window (chat_last_digest_end): at most one row, for a query to join.
# Built once: its compiled form is cached.
ASKING_CHAT = (
    select(
        *(column.label(f"chat_{column.name}") for column in chats.c),
        select(func.max(digests.c.window_end, type_=UTCDateTime()))
        .where(digests.c.chat_id == chats.c.id)
        .scalar_subquery()
        .label("chat_last_digest_end"),
    )
    .where(chats.c.platform == bindparam("platform"), chats.c.chat_key == bindparam("chat_key"))
    .subquery("asking_chat")
)
CHAT_WITH_LAST_DIGEST = select(ASKING_CHAT)


def asking_chat(row: Any) -> tuple[Chat | None, datetime | None]:
    """The chat and the end of its last digest from a row that joined :data:`ASKING_CHAT`."""
    if row._mapping["chat_id"] is None:
        return None, None
    return _chat(row, "chat_"), row._mapping["chat_last_digest_end"]


def _chat(row: Any, prefix: str = "") -> Chat:
    m = row._mapping
    if prefix:
        m = {
            k[len(prefix) :]: v for k, v in m.items() if isinstance(k, str) and k.startswith(prefix)
        }
    return Chat(
        id=m["id"],
        platform=m["platform"],
        chat_key=m["chat_key"],
        timezone=m["timezone"],
        digest_time=m["digest_time"],
        weekdays=m["weekdays"],
        paused=bool(m["paused"]),
        thread_id=m["thread_id"],
        empty_digest=m["empty_digest"] if m["empty_digest"] in EMPTY_DIGEST else "notice",
        schedule_since=m["schedule_since"],
    )
