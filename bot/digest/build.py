"""THE digest: a chat's subscriptions' stories since its last digest, ranked, in sections, each
with summary, key quote, sources and Summary / Quotes / Sources buttons. /digest, the scheduled
digests (delivery/planner.py) and the console's `newsbot digest` (the console is one more chat)
all build it here, as a neutral Reply that each adapter renders.

``DigestBuilder.build`` only reads; ``record`` stores the digest and what it sent in one
transaction, so the next digest starts where this one ended and does not repeat its stories.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config_sections import DigestSettings
from bot.digest.rank import DigestPlan, plan_digest, sent_records
from bot.digest.views import StoryView, story_blocks, zone_named
from bot.models import SentStory, Subscription, Summary
from bot.reply import Bold, Button, Buttons, Divider, Heading, Reply, hint, para
from bot.store import Store, utcnow
from bot.store.chats import Chat, ChatStore
from bot.store.digests import insert_digest
from bot.store.sent import record_sent, sent_stories
from bot.summarize.base import Summarizer

FOLLOW_UP = "digest-follow-up"  # the hint key of a digest's last line: how to ask for more


@dataclass(slots=True)
class ChatDigest:
    """A chat's digest, built and not yet recorded."""

    reply: Reply | None  # None when nothing is new and the chat chose silence
    sent: list[SentStory]  # what to record in digest_stories
    story_count: int
    window_start: datetime | None
    window_end: datetime
    story_ids: list[int | None] = field(default_factory=list)  # in the order it numbers them
    left_out: int = 0  # stories of the window that did not fit


def story_buttons(story_id: int, number: int | None = None) -> Buttons:
    """Summary, Quotes and Sources for a story of a digest (its ``number`` there, if any)."""
    return Buttons(
        (
            Button("Summary", f"summary:{story_id}"),
            Button("Quotes", f"quotes:{story_id}"),
            Button("Sources", f"sources:{story_id}"),
        ),
        tag=str(number) if number is not None else "",
    )


class DigestBuilder:
    """Builds and records chats' digests from the store's stories and the summarizer."""

    def __init__(self, store: Store, summarizer: Summarizer, settings: DigestSettings) -> None:
        self.store = store
        self.summarizer = summarizer
        self.settings = settings

    async def build(
        self,
        chat: Chat,
        since: datetime | None,
        until: datetime,
        *,
        title: str = "Your digest",
    ) -> ChatDigest:
        """The chat's digest of the window (since, until]; reads only, records nothing. Story
        times are on the chat's clock (its time zone), read against ``until``."""
        chats = ChatStore(self.store)
        subs = await chats.subscriptions(chat.id)
        stories = await chats.window_stories(since, until)
        companies = [s.value for s in subs if s.kind == "company"]
        article_ids = [a.id for story in stories for a in story.articles if a.id is not None]
        mentions = await chats.company_mentions(article_ids, companies) if companies else []
        sent = await sent_stories(self.store, chat.id, [s.id for s in stories if s.id is not None])
        plan = plan_digest(
            stories,
            subs,
            mentions,
            sent,
            since=since,
            until=until,
            limit=self.settings.max_stories,
        )
        chosen = plan.stories
        sentences = self.settings.summary_sentences
        summaries = await asyncio.gather(
            *(self.summarizer.summarize(r.story, sentences=sentences) for r in chosen)
        )
        if chosen:
            zone = zone_named(chat.timezone)
            reply: Reply | None = digest_reply(
                plan, list(summaries), title=title, zone=zone, now=until
            )
        else:
            reply = None if chat.empty_digest == "silent" else empty_reply(subs, since)
        order = [ranked.story.id for ranked in chosen]
        return ChatDigest(
            reply, sent_records(plan, sent), len(chosen), since, until, order, plan.left_out
        )

    async def digest_now(
        self,
        chat: Chat,
        now: datetime | None = None,
        *,
        title: str = "Your digest",
        slot: datetime | None = None,
    ) -> ChatDigest:
        """The digest a chat asked for (/digest, `newsbot digest`), or the console's scheduled
        one (``slot``: recorded once per slot): the stories since its last digest up to
        ``now``, built and recorded. Asked for, an empty digest always says so."""
        now = now or utcnow()
        since = await self.store.last_digest_end(chat.id)
        built = await self.build(replace(chat, empty_digest="notice"), since, now, title=title)
        await self.record(chat, built, slot=slot)
        return built

    async def record(self, chat: Chat, digest: ChatDigest, *, slot: datetime | None = None) -> int:
        """Store the digest's window and the stories it sent, in one transaction; returns the
        digest's id."""
        now = utcnow()
        async with self.store.engine.begin() as conn:
            digest_id = await insert_digest(
                conn,
                chat.id,
                window_start=digest.window_start,
                window_end=digest.window_end,
                story_count=digest.story_count,
                now=now,
                slot=slot,
                story_ids=digest.story_ids,
            )
            await record_sent(conn, chat.id, digest.sent, now)
        return digest_id


def digest_reply(
    plan: DigestPlan,
    summaries: list[Summary],
    *,
    title: str,
    zone: ZoneInfo,
    now: datetime,
) -> Reply:
    """The plan as a reply: a heading, then each section's stories numbered across sections,
    an update saying which sources are new, and what did not fit; times in ``zone``."""
    count = len(plan.stories)
    reply = Reply([Heading(f"{title}: {count} stor{'ies' if count != 1 else 'y'}")])
    number = 0
    for section in plan.sections:
        if section.title is not None:
            reply.add(Heading(section.title))
        for ranked in section.stories:
            view = StoryView(ranked.story, summaries[number])
            blocks = story_blocks(view, number + 1, zone=zone, now=now, button=False)
            if ranked.update:
                news = ", ".join(ranked.new_sources)
                blocks.insert(1, para(Bold("Update"), f": new from {news}"))
            reply.add(*blocks)
            story_id = ranked.story.id
            reply.add(story_buttons(story_id, number + 1) if story_id is not None else Divider())
            number += 1
    if plan.left_out:
        left = plan.left_out
        reply.add(
            para(
                f"{left} more stor{'ies' if left != 1 else 'y'} did not fit. "
                "Find them with /company NAME or /ask QUESTION."
            )
        )
    reply.add(hint(FOLLOW_UP, "Reply “summary” to a story for its longer summary."))
    return reply


def empty_reply(subs: list[Subscription], since: datetime | None) -> Reply:
    """What a digest with nothing new says."""
    what = "for your subscriptions " if any(not s.exclude for s in subs) else ""
    when = "since your last digest" if since is not None else "yet"
    return Reply.message(
        f"No new stories {what}{when}.",
        "Try /company NAME for a company's latest stories, or /ask a question.",
    )
