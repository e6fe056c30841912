"""/subscribe and /unsubscribe: the companies and keywords a chat's digest follows, and the
keywords it leaves out. Listing is open to everyone; changing needs ``ChatContext.is_admin``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.handlers_common import ADMIN_ONLY, chat_for, chat_store
from bot.chat.handlers_company import resolve
from bot.chat.reply import Button, Buttons, Heading, Reply, bullets, para
from bot.store.chats import Chat, Subscription

if TYPE_CHECKING:
    from bot.chat.core import ChatContext, CommandCore

SUBSCRIBE_USAGE = (
    "/subscribe company NAME, /subscribe keyword WORD, or /subscribe -keyword WORD to leave "
    "stories with that word out"
)
MAX_WORD_CHARS = 60


async def _parse_subscription(
    core: CommandCore, args: str
) -> tuple[Subscription | None, Reply | None]:
    words = args.split(maxsplit=1)
    if not words:
        return None, None
    kind, value = words[0].casefold(), (words[1] if len(words) > 1 else "").strip()
    exclude = kind.startswith(("-", "!")) or kind in ("not", "exclude")
    kind = kind.lstrip("-!")
    if kind in ("not", "exclude"):
        sub_words = value.split(maxsplit=1)
        kind, value = (sub_words[0].casefold(), sub_words[1]) if len(sub_words) == 2 else ("", "")
    kind = {"companies": "company", "keywords": "keyword", "word": "keyword"}.get(kind, kind)
    if kind not in ("company", "keyword") or not value:
        return None, Reply.message(
            "Tell me what to follow.", f"For example: {SUBSCRIBE_USAGE}", ok=False
        )
    if len(value) > MAX_WORD_CHARS:
        return None, Reply.message(
            f"That's too long ({MAX_WORD_CHARS} characters at most).", ok=False
        )
    if kind == "keyword":
        return Subscription("keyword", value.casefold(), exclude), None
    company, suggestions = resolve(value, core.gazetteer, await core.index.company_names())
    if company is None:
        reply = Reply(ok=False).add(para(f"I don't know a company called “{value}”."))
        if suggestions:
            reply.add(
                para("Did you mean one of these?"),
                Buttons(tuple(Button(s, f"subscribe:company {s}") for s in suggestions)),
                para(f"For example: /subscribe company {suggestions[0]}"),
            )
        else:
            reply.add(para(f"To follow the word instead: /subscribe keyword {value}"))
        return None, reply
    return Subscription("company", company, exclude), None


def _describe(sub: Subscription) -> str:
    return f"{'not ' if sub.exclude else ''}{sub.kind} {sub.value}"


async def _list(core: CommandCore, chat: Chat) -> Reply:
    subs = await chat_store(core).subscriptions(chat.id)
    if not subs:
        return Reply.message(
            "This chat follows everything: its digest has the top stories of the day.",
            f"To narrow it: {SUBSCRIBE_USAGE}",
        )
    return Reply().add(
        Heading("This chat's subscriptions"),
        bullets(_describe(s) for s in subs),
        para(f"To add one: {SUBSCRIBE_USAGE}. To remove one: /unsubscribe company NAME"),
    )


async def subscribe(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """Follow a company or keyword, or leave a keyword out; no arguments: the list."""
    chat, _ = await chat_for(core, context)
    if not args.strip():
        return await _list(core, chat)
    if not context.is_admin:
        return Reply.message(ADMIN_ONLY.format(what="subscriptions"), ok=False)
    sub, problem = await _parse_subscription(core, args)
    if problem is not None or sub is None:
        return problem or Reply.message(SUBSCRIBE_USAGE, ok=False)
    new = await chat_store(core).subscribe(chat.id, sub)
    if sub.exclude:
        done = f"Stories mentioning “{sub.value}” are left out of this chat's digest."
    elif sub.kind == "company":
        done = f"Subscribed: {sub.value} stories will be in this chat's digest."
    else:
        done = f"Subscribed: stories mentioning “{sub.value}” will be in this chat's digest."
    if not new:
        done = f"Already subscribed: {_describe(sub)}."
    return Reply.message(done, "See today's stories now: /digest")


async def unsubscribe(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """Stop following a company or keyword."""
    chat, _ = await chat_for(core, context)
    if not args.strip():
        return await _list(core, chat)
    if not context.is_admin:
        return Reply.message(ADMIN_ONLY.format(what="subscriptions"), ok=False)
    words = args.split(maxsplit=1)
    kind = words[0].casefold().lstrip("-!")
    value = words[1].strip() if len(words) > 1 else ""
    if kind in ("company", "companies") and value:
        company, _ = resolve(value, core.gazetteer, [])
        value, kind = company or value, "company"
    elif kind in ("keyword", "keywords", "word") and value:
        value, kind = value.casefold(), "keyword"
    else:
        return Reply.message(
            "For example: /unsubscribe company Huawei or /unsubscribe keyword 5G", ok=False
        )
    if await chat_store(core).unsubscribe(chat.id, kind, value):
        return Reply.message(f"Unsubscribed: {kind} {value}.")
    return Reply.message(f"This chat was not subscribed to {kind} {value}.", ok=False)
