"""The chat's own commands: /start, /settings, /subscribe, /unsubscribe, /sources, and the
story buttons (Summary, Quotes, Sources) of a digest. /digest is in handlers_digest.

Changing a chat (settings, subscriptions) needs ``ChatContext.is_admin``: adapters set it for
the one person in a private chat and for the administrators of a group.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chat.handlers_company import resolve
from bot.chat.handlers_summary import summary as summary_command
from bot.chat.reply import Button, Buttons, Heading, Link, QuoteBlock, Reply, bullets, para
from bot.models import Story
from bot.store.chats import ALL_DAYS, Chat, ChatStore, Subscription

if TYPE_CHECKING:
    from bot.chat.core import ChatContext, CommandCore

log = logging.getLogger("newsbot.chat")

SETTINGS_USAGE = "/settings time 07:30 tz Europe/Berlin days mon-fri"
EMPTY_USAGE = "/settings empty silent (or /settings empty notice)"
SUBSCRIBE_USAGE = (
    "/subscribe company NAME, /subscribe keyword WORD, or /subscribe -keyword WORD to leave "
    "stories with that word out"
)
ADMIN_ONLY = "Only the chat's administrators can change {what} here. Ask one of them, please."
_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_DAY_NAMES = {d: d for d in ALL_DAYS} | {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun", "tues": "tue", "thur": "thu",
    "thurs": "thu",
}  # fmt: skip
_DAY_SETS = {
    "daily": ALL_DAYS, "everyday": ALL_DAYS, "all": ALL_DAYS,
    "weekdays": ALL_DAYS[:5], "workdays": ALL_DAYS[:5], "weekends": ALL_DAYS[5:],
    "weekend": ALL_DAYS[5:],
}  # fmt: skip
_EMPTY_WORDS = {
    "notice": "notice", "say": "notice", "tell": "notice", "notify": "notice", "on": "notice",
    "silent": "silent", "silence": "silent", "quiet": "silent", "skip": "silent", "off": "silent",
}  # fmt: skip
MAX_WORD_CHARS = 60


def chat_store(core: CommandCore) -> ChatStore:
    return ChatStore(core.store)


async def chat_for(core: CommandCore, context: ChatContext) -> tuple[Chat, bool]:
    """The chat a command came from, registered with the [digest] defaults when new; and
    whether it is new."""
    digest = core.settings.digest
    return await chat_store(core).ensure(
        context.platform,
        context.chat_key,
        timezone=digest.default_timezone,
        digest_time=digest.default_time,
    )


def describe_days(weekdays: str) -> str:
    days = [d for d in weekdays.split(",") if d]
    if tuple(days) == ALL_DAYS:
        return "every day"
    if tuple(days) == ALL_DAYS[:5]:
        return "Monday to Friday"
    if tuple(days) == ALL_DAYS[5:]:
        return "weekends"
    return ", ".join(d.capitalize() for d in days)


def _settings_lines(chat: Chat) -> list[str]:
    return [
        f"Digest time: {chat.digest_time} ({chat.timezone})",
        f"Days: {describe_days(chat.weekdays)}",
        "Deliveries: " + ("paused" if chat.paused else "on"),
        "When there is no news: "
        + ("no message" if chat.empty_digest == "silent" else "a short “No new stories” message"),
    ]


# /start --------------------------------------------------------------------------------------


async def start(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """Register the chat with the [digest] defaults and say what comes next."""
    chat, new = await chat_for(core, context)
    if chat.paused:
        await chat_store(core).update_settings(chat.id, paused=False)
    first = "Welcome to newsbot!" if new else "Welcome back!"
    return Reply().add(
        para(first),
        para(
            f"I'll send this chat a news digest {describe_days(chat.weekdays)} at "
            f"{chat.digest_time} ({chat.timezone})."
        ),
        para("What you can do next:"),
        bullets(
            [
                f"Set your time and time zone: {SETTINGS_USAGE}",
                "Follow a company: /subscribe company Huawei",
                "Get a digest right now: /digest",
                "Ask about the news: /ask What did Huawei announce?",
                "See every command: /help",
            ]
        ),
    )


# /settings -----------------------------------------------------------------------------------


def parse_days(text: str) -> tuple[str, ...] | None:
    """Weekdays from 'mon-fri', 'mon,wed,fri', 'weekdays', 'daily'; None when unreadable."""
    text = text.casefold().replace(" ", "")
    if text in _DAY_SETS:
        return _DAY_SETS[text]
    chosen: set[str] = set()
    for part in filter(None, text.split(",")):
        first, dash, last = part.partition("-")
        a, b = _DAY_NAMES.get(first), _DAY_NAMES.get(last) if dash else None
        if a is None or (dash and b is None):
            return None
        if not dash:
            chosen.add(a)
            continue
        i, j = ALL_DAYS.index(a), ALL_DAYS.index(b)  # type: ignore[arg-type]
        span = ALL_DAYS[i : j + 1] if i <= j else ALL_DAYS[i:] + ALL_DAYS[: j + 1]
        chosen.update(span)
    return tuple(d for d in ALL_DAYS if d in chosen) or None


async def settings_command(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """Show the chat's digest settings, or change time, time zone, days, and whether a digest
    with nothing new says so (empty notice) or is not sent (empty silent)."""
    chat, _ = await chat_for(core, context)
    words = args.split()
    if not words:
        return Reply().add(
            Heading("Digest settings"),
            bullets(_settings_lines(chat)),
            para(f"To change them: {SETTINGS_USAGE}"),
            para(f"To get no message on days without news: {EMPTY_USAGE}"),
        )
    if not context.is_admin:
        return Reply.message(ADMIN_ONLY.format(what="the digest settings"), ok=False)
    changes: dict[str, str] = {}
    i = 0
    while i < len(words):
        key = words[i].casefold().rstrip(":=")
        value = words[i + 1] if i + 1 < len(words) else ""
        if key in ("time", "at"):
            match = _TIME.match(value)
            if not match or int(match[1]) > 23 or int(match[2]) > 59:
                return _bad(f"“{value[:20]}” is not a time. Write it as HH:MM, e.g. time 07:30.")
            changes["digest_time"] = f"{int(match[1]):02d}:{match[2]}"
        elif key in ("tz", "timezone", "zone"):
            zone = _zone(value)
            if zone is None:
                return _bad(
                    f"I don't know the time zone “{value[:40]}”. Use an IANA name such as "
                    "Europe/Berlin, America/New_York or Asia/Tokyo."
                )
            changes["timezone"] = zone
        elif key in ("days", "day", "on"):
            days = parse_days(value)
            if days is None:
                return _bad(
                    f"I can't read the days “{value[:40]}”. Try mon-fri, mon,wed,fri, "
                    "weekdays or daily."
                )
            changes["weekdays"] = ",".join(days)
        elif key in ("empty", "nonews", "no-news"):
            choice = _EMPTY_WORDS.get(value.casefold())
            if choice is None:
                return Reply.message(
                    f"I can't read “{value[:20]}”. Write empty silent (no message when there is "
                    "no news) or empty notice (a short “No new stories” message).",
                    ok=False,
                )
            changes["empty_digest"] = choice
        else:
            return _bad(f"I don't know the setting “{words[i][:20]}”.")
        i += 2
    await chat_store(core).update_settings(chat.id, **changes)
    chat, _ = await chat_for(core, context)
    return Reply().add(Heading("Settings saved"), bullets(_settings_lines(chat)))


def _zone(value: str) -> str | None:
    if not value or ("/" not in value and value.upper() != "UTC"):
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        # The IANA names are case-sensitive; accept "europe/berlin" too.
        fixed = "/".join(p[:1].upper() + p[1:].lower() for p in value.split("/"))
        fixed = "_".join(w[:1].upper() + w[1:] for w in fixed.split("_"))
        try:
            ZoneInfo(fixed)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return fixed
    return value


def _bad(message: str) -> Reply:
    return Reply.message(message, f"For example: {SETTINGS_USAGE}", ok=False)


# /subscribe and /unsubscribe -----------------------------------------------------------------


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


# /sources ------------------------------------------------------------------------------------


async def sources(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """The feeds newsbot reads."""
    feeds = await core.store.list_feeds()
    if not feeds:
        return Reply.message("No feeds yet. The operator adds them with `newsbot feeds import`.")
    items = []
    for feed in feeds:
        name = feed.title or feed.url
        state = "" if feed.active and not feed.error_count else " (failing)"
        items.append((Link(name, feed.url), state) if name != feed.url else (feed.url, state))
    return Reply().add(Heading(f"I read {len(feeds)} feed{'s' if len(feeds) != 1 else ''}"),
                       bullets(items))  # fmt: skip


# buttons -------------------------------------------------------------------------------------


async def quotes(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """Every quote of a stored story, with who said it."""
    story = await _story(core, args)
    if story is None:
        return _no_story(args)
    summary = await core.summarizer.summarize(story, sentences=core.long_sentences)
    reply = Reply([Heading(story.lead.title)])
    found = summary.all_quotes or summary.quotes
    if not found:
        return reply.add(para("This story has no direct quotes."))
    return reply.add(*(QuoteBlock(q.text, q.speaker) for q in found[:10]))


async def story_sources(core: CommandCore, args: str, context: ChatContext) -> Reply:
    """The articles that tell a stored story, with links."""
    story = await _story(core, args)
    if story is None:
        return _no_story(args)
    items = []
    for article in story.articles:
        title = f"{article.source}: {article.title}"
        items.append(Link(title, article.url) if article.url else title)
    return Reply([Heading(story.lead.title)]).add(bullets(items))


async def _story(core: CommandCore, args: str) -> Story | None:
    arg = args.strip().lstrip("#")
    if not arg.isdigit() or int(arg) > 2**31 - 1:
        return None
    story = await core.index.story(int(arg))
    return story if story is not None and story.articles else None


def _no_story(args: str) -> Reply:
    return Reply.message(
        f"I can't find story {args.strip()[:20]}.",
        "Story numbers are on the buttons of digests and /company replies.",
        ok=False,
    )


__all__ = [
    "chat_for",
    "quotes",
    "settings_command",
    "sources",
    "start",
    "story_sources",
    "subscribe",
    "summary_command",
    "unsubscribe",
]
