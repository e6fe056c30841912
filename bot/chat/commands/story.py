"""The story a command names, and /quotes and /sources STORY.

A number a user types is the story's place in this chat's latest digest ("/quotes 2"): the
digest that showed stories most recently, scheduled or asked for with /digest. ``#42`` is the
story's own id: the story buttons of digests and /company replies send that form, so a button
keeps its story however many digests came since.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.chat.commands.common import chat_zone
from bot.digest.views import count_sources, local_time, outlets
from bot.models import Story
from bot.reply import Heading, Inline, Link, QuoteBlock, Reply, bullets, para
from bot.store import utcnow
from bot.store.sent import latest_digest

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

STORY_REF = re.compile(r"^(#?)(\d{1,18})$")
_MAX_ID = 2**31 - 1  # larger numbers are no story, and would overflow an INTEGER column
_BUTTONS = {"summary": "Summary", "quotes": "Quotes", "sources": "Sources"}
GONE = ("That story is no longer available.", "Send /digest for the latest stories.")


def is_story_ref(arg: str) -> bool:
    """Whether the argument names a story: a digest number ("2") or a story id ("#42")."""
    return STORY_REF.match(arg.strip()) is not None


async def find_story(core: Core, arg: str, context: ChatContext, command: str) -> Story | Reply:
    """The story ``arg`` names for ``command``, or the reply that says why there is none."""
    match = STORY_REF.match(arg.strip())
    if match is None:
        return Reply.message(
            f"“{arg.strip()[:20]}” is not a story number.",
            f"For example: /{command} 2 (the story's number in your latest digest)",
            ok=False,
        )
    number = int(match[2])
    if match[1]:
        story_id = number
    else:
        found = await _digest_story(core, number, context, command)
        if isinstance(found, Reply):
            return found
        story_id = found
    story = await core.index.story(story_id) if 0 < story_id <= _MAX_ID else None
    if story is None or not story.articles:  # deleted by retention since
        return Reply.message(*GONE, ok=False)
    return story


async def _digest_story(core: Core, number: int, context: ChatContext, command: str) -> int | Reply:
    """The id of the story at ``number`` in the chat's latest digest."""
    button = _BUTTONS.get(command, "Summary")
    latest = await latest_digest(core.store, context.platform, context.chat_key)
    if latest is None:
        return Reply.message(
            f"You have no digest yet: send /digest, then /{command} with a story's number.",
            ok=False,
        )
    if latest.story_ids is None:  # recorded before digests kept their order
        return Reply.message(
            "I don't have the story numbers of your latest digest.",
            f"Send /digest for a new one, or press a story's {button} button.",
            ok=False,
        )
    count = len(latest.story_ids)
    if not 1 <= number <= count:
        if count == 1:
            return Reply.message(
                f"Your latest digest has 1 story: send /{command} 1, or press its {button} button.",
                ok=False,
            )
        return Reply.message(
            f"Your latest digest has {count} stories: send /{command} 1 to {count}, or press "
            f"a story's {button} button.",
            ok=False,
        )
    return latest.story_ids[number - 1]


def which_story(command: str) -> Reply:
    """The answer to a story command without a story."""
    return Reply.message(
        f"Which story? Send /{command} with its number in your latest digest, for example "
        f"/{command} 2, or press a story's {_BUTTONS.get(command, 'Summary')} button.",
        ok=False,
    )


async def quotes(core: Core, args: str, context: ChatContext) -> Reply:
    """Every quote of a story, with who said it."""
    if not args.strip():
        return which_story("quotes")
    story = await find_story(core, args, context, "quotes")
    if isinstance(story, Reply):
        return story
    summary = await core.summarizer.summarize(story, sentences=core.long_sentences)
    reply = Reply([Heading(story.lead.title)])
    found = summary.all_quotes or summary.quotes
    if not found:
        return reply.add(para("This story has no direct quotes."))
    return reply.add(*(QuoteBlock(q.text, q.speaker) for q in found[:10]))


async def story_sources(core: Core, args: str, context: ChatContext) -> Reply:
    """The articles that tell a story, with links and when each was published (on the chat's
    clock)."""
    story = await find_story(core, args, context, "sources")
    if isinstance(story, Reply):
        return story
    zone, now = await chat_zone(core, context), utcnow()
    items: list[list[Inline]] = []
    for name, group in outlets(story):  # one line per outlet, its articles after its name
        item: list[Inline] = [f"{name}: "]
        for i, article in enumerate(group):
            item += ["; "] if i else []
            item.append(Link(article.title, article.url) if article.url else article.title)
            stamp = local_time(article.published or article.fetched_at, zone, now)
            item += [f" · {stamp}"] if stamp else []
        items.append(item)
    return Reply([Heading(story.lead.title)]).add(para(f"{count_sources(story)}:"), bullets(items))
