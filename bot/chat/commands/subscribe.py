"""/subscribe and /unsubscribe: the companies and keywords a chat's digest follows, and the
keywords it leaves out. Listing is open to everyone; changing needs ``ChatContext.is_admin``.

A keyword keeps the spelling it was given ("5G") and matches in any case. A bare word
("/subscribe huawei") is a company when the gazetteer knows it; otherwise the reply asks which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.access import admin_only
from bot.chat.commands.common import chat_for, chat_store
from bot.chat.commands.company import resolve
from bot.models import Subscription
from bot.reply import Button, Buttons, Heading, Reply, bullets, para
from bot.store.chats import Chat

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

SUBSCRIBE_USAGE = (
    "/subscribe company NAME, /subscribe keyword WORD, or /subscribe -keyword WORD to leave "
    "stories with that word out"
)
MAX_WORD_CHARS = 60
_KINDS = {
    "company": "company", "companies": "company",
    "keyword": "keyword", "keywords": "keyword", "word": "keyword",
}  # fmt: skip
_NOT = ("not", "exclude")
UNSUBSCRIBE_EXAMPLE = "For example: /unsubscribe company Huawei or /unsubscribe keyword 5G"
_MISSING = {
    "company": "Which company? For example: /subscribe company Huawei",
    "keyword": "Which keyword? For example: /subscribe keyword 5G",
}


@dataclass(slots=True)
class _Parsed:
    """What /subscribe's arguments ask for, or the reply that says what is wrong."""

    sub: Subscription | None = None
    problem: Reply | None = None
    guessed: str = ""  # a bare word the gazetteer knows, taken as the company: the word


async def _parse(core: Core, args: str) -> _Parsed:
    words = args.split(maxsplit=1)
    exclude = words[0].startswith(("-", "!")) or words[0].casefold() in _NOT
    if words[0].casefold() in _NOT:
        words = (words[1] if len(words) > 1 else "").split(maxsplit=1)
        if not words:
            return _problem("What should be left out? For example: /subscribe -keyword crypto")
    kind = _KINDS.get(words[0].casefold().lstrip("-!"))
    if kind is None:
        return _bare(core, " ".join(words).lstrip("-!").strip(), exclude)
    value = words[1].strip() if len(words) > 1 else ""
    if not value:
        return _problem(_MISSING[kind])
    if len(value) > MAX_WORD_CHARS:
        return _problem(f"That's too long ({MAX_WORD_CHARS} characters at most).")
    if kind == "keyword":
        return _Parsed(Subscription("keyword", value, exclude))
    company, suggestions = resolve(value, core.gazetteer, await core.index.company_names())
    if company is not None:
        return _Parsed(Subscription("company", company, exclude))
    reply = Reply(ok=False).add(para(f"I don't know a company called “{value}”."))
    if suggestions:
        reply.add(
            para("Did you mean one of these?"),
            Buttons(tuple(Button(s, f"subscribe:company {s}") for s in suggestions)),
            para(f"For example: /subscribe company {suggestions[0]}"),
        )
    else:
        reply.add(para(f"To follow the word instead: /subscribe keyword {value}"))
    return _Parsed(problem=reply)


def _bare(core: Core, value: str, exclude: bool) -> _Parsed:
    """A bare word (/subscribe huawei): the company when the gazetteer knows the name, else a
    question back."""
    if not value:
        return _problem(f"For example: {SUBSCRIBE_USAGE}")
    if len(value) > MAX_WORD_CHARS:
        return _problem(f"That's too long ({MAX_WORD_CHARS} characters at most).")
    company = core.gazetteer.lookup(value) if core.gazetteer is not None else None
    if company is not None:
        return _Parsed(Subscription("company", company, exclude), guessed=value)
    minus = "-" if exclude else ""
    return _problem(
        f"Is “{value}” a company or a keyword? /subscribe {minus}company {value} or "
        f"/subscribe {minus}keyword {value}"
    )


async def _followed(core: Core, chat: Chat, word: str) -> Subscription | None:
    """The chat's subscription a bare word names: the keyword, or the company it is a name of."""
    company = core.gazetteer.lookup(word) if core.gazetteer is not None and word else None
    names = {word.casefold(), (company or word).casefold()}
    subs = await chat_store(core).subscriptions(chat.id)
    return next((s for s in subs if s.value.casefold() in names), None)


def _problem(text: str) -> _Parsed:
    return _Parsed(problem=Reply.message(text, ok=False))


def _describe(sub: Subscription) -> str:
    return f"{'not ' if sub.exclude else ''}{sub.kind} {sub.value}"


async def _list(core: Core, chat: Chat) -> Reply:
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


def _done(sub: Subscription, *, new: bool, guessed: str) -> str:
    if not new:
        return f"Already subscribed: {_describe(sub)}."
    if guessed:
        minus = "-" if sub.exclude else ""
        done = (
            f"Stories about {sub.value} (company) are left out of this chat's digest."
            if sub.exclude
            else f"Subscribed: {sub.value} (company)."
        )
        return f"{done} For a keyword instead: /subscribe {minus}keyword {guessed}"
    if sub.exclude:
        return f"Stories mentioning “{sub.value}” are left out of this chat's digest."
    if sub.kind == "company":
        return f"Subscribed: {sub.value} stories will be in this chat's digest."
    return f"Subscribed: stories mentioning “{sub.value}” will be in this chat's digest."


async def subscribe(core: Core, args: str, context: ChatContext) -> Reply:
    """Follow a company or keyword, or leave a keyword out; no arguments: the list."""
    chat, _ = await chat_for(core, context)
    if not args.strip():
        return await _list(core, chat)
    if not context.is_admin:
        return admin_only(context, "change subscriptions")
    parsed = await _parse(core, args)
    if parsed.problem is not None or parsed.sub is None:
        return parsed.problem or Reply.message(SUBSCRIBE_USAGE, ok=False)
    sub = parsed.sub
    new = await chat_store(core).subscribe(chat.id, sub)
    if not new:  # as it was first written ("5G" for "5g")
        subs = await chat_store(core).subscriptions(chat.id)
        same = (
            s for s in subs if s.kind == sub.kind and s.value.casefold() == sub.value.casefold()
        )
        sub = next(same, sub)
    done = _done(sub, new=new, guessed=parsed.guessed)
    return Reply.message(done, "See today's stories now: /digest")


async def unsubscribe(core: Core, args: str, context: ChatContext) -> Reply:
    """Stop following a company or keyword."""
    chat, _ = await chat_for(core, context)
    if not args.strip():
        return await _list(core, chat)
    if not context.is_admin:
        return admin_only(context, "change subscriptions")
    words = args.split(maxsplit=1)
    kind = _KINDS.get(words[0].casefold().lstrip("-!"))
    value = words[1].strip() if len(words) > 1 else ""
    if kind == "company" and value:
        company, _ = resolve(value, core.gazetteer, [])
        value = company or value
    elif kind is None:  # a bare word: whichever subscription it names
        found = await _followed(core, chat, args.strip().lstrip("-!"))
        if found is None:
            return Reply.message(UNSUBSCRIBE_EXAMPLE, ok=False)
        kind, value = found.kind, found.value
    elif not value:
        return Reply.message(UNSUBSCRIBE_EXAMPLE, ok=False)
    if await chat_store(core).unsubscribe(chat.id, kind, value):
        return Reply.message(f"Unsubscribed: {kind} {value}.")
    return Reply.message(f"This chat was not subscribed to {kind} {value}.", ok=False)
