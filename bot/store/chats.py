"""The chat queries: a chat's settings, its subscriptions, pausing and migration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from bot.store.schema import article_companies, articles, chats, subscriptions
from bot.store.store import Store, utcnow

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a chat follows: a company or keyword; ``exclude`` keeps matching stories out."""

    kind: str  # company | keyword
    value: str
    exclude: bool = False


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

    async def ensure(
        self, platform: str, chat_key: str, *, timezone: str, digest_time: str
    ) -> tuple[Chat, bool]:
        """The chat, registered with the defaults when new; and whether it is new."""
        existing = await self.get(platform, chat_key)
        if existing is not None:
            return existing, False
        await self.store.ensure_chat(platform, chat_key, timezone=timezone, digest_time=digest_time)
        chat = await self.get(platform, chat_key)
        assert chat is not None
        return chat, True

    async def all(self, platform: str) -> list[Chat]:
        """Every chat of a platform."""
        query = select(chats).where(chats.c.platform == platform).order_by(chats.c.id)
        async with self.store.engine.connect() as conn:
            return [_chat(row) for row in await conn.execute(query)]

    async def update_settings(self, chat_id: int, **values: Any) -> None:
        """Set digest_time, timezone, weekdays or paused."""
        allowed = {"digest_time", "timezone", "weekdays", "paused"}
        assert set(values) <= allowed, values
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

    async def subscribe(self, chat_id: int, sub: Subscription) -> bool:
        """Add a subscription (an exclude replaces an include of the same word); True when new."""
        async with self.store.engine.begin() as conn:
            found = (
                await conn.execute(
                    select(subscriptions.c.id, subscriptions.c.exclude).where(
                        subscriptions.c.chat_id == chat_id,
                        subscriptions.c.kind == sub.kind,
                        subscriptions.c.value == sub.value,
                    )
                )
            ).first()
            if found is not None:
                if bool(found[1]) == sub.exclude:
                    return False
                await conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.id == found[0])
                    .values(exclude=sub.exclude)
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
        """Remove a subscription; returns whether there was one."""
        async with self.store.engine.begin() as conn:
            result = await conn.execute(
                delete(subscriptions).where(
                    subscriptions.c.chat_id == chat_id,
                    subscriptions.c.kind == kind,
                    subscriptions.c.value == value,
                )
            )
        return result.rowcount > 0

    async def company_articles(
        self, companies: list[str], since: datetime | None, until: datetime
    ) -> set[int]:
        """Ids of the window's articles that mention any of the companies."""
        if not companies:
            return set()
        where = [article_companies.c.company.in_(companies), articles.c.fetched_at <= until]
        if since is not None:
            where.append(articles.c.fetched_at > since)
        query = (
            select(article_companies.c.article_id)
            .select_from(
                article_companies.join(articles, articles.c.id == article_companies.c.article_id)
            )
            .where(and_(*where))
        )
        async with self.store.engine.connect() as conn:
            return {int(r[0]) for r in await conn.execute(query)}

    async def keyword_articles(
        self, words: list[str], since: datetime | None, until: datetime
    ) -> set[int]:
        """Ids of the window's articles whose title or text contains any of the words."""
        if not words:
            return set()
        match = or_(
            *(
                or_(
                    articles.c.title.ilike(f"%{_like(w)}%", escape="\\"),
                    articles.c.text.ilike(f"%{_like(w)}%", escape="\\"),
                )
                for w in words
            )
        )
        where = [match, articles.c.fetched_at <= until]
        if since is not None:
            where.append(articles.c.fetched_at > since)
        async with self.store.engine.connect() as conn:
            rows = await conn.execute(select(articles.c.id).where(and_(*where)))
            return {int(r[0]) for r in rows}


def _like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _chat(row: Any) -> Chat:
    m = row._mapping
    return Chat(
        id=m["id"],
        platform=m["platform"],
        chat_key=m["chat_key"],
        timezone=m["timezone"],
        digest_time=m["digest_time"],
        weekdays=m["weekdays"],
        paused=bool(m["paused"]),
    )
