"""/settings: when a chat gets its digest (time, time zone, days), what a day without news
does, and which forum topic the digest goes to.

Looking is open to everyone; changing needs ``ChatContext.is_admin``.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chat.access import admin_only
from bot.chat.commands.common import (
    chat_for,
    chat_store,
    describe_days,
    has_topics,
)
from bot.reply import Heading, Reply, bullets, para
from bot.store.chats import ALL_DAYS, Chat

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

log = logging.getLogger("newsbot.chat")

SETTINGS_USAGE = "/settings time 07:30 tz Europe/Berlin days mon-fri"
EMPTY_USAGE = "/settings empty silent (or /settings empty notice)"
TOPIC_USAGE = (
    "Write topic here (sent from inside the forum topic the digest should go to) or topic off "
    "(the main chat)."
)
NO_TOPIC = (
    "Send /settings topic here from inside the forum topic the digest should go to.",
    "Private chats and plain groups have no topics: there the digest goes to the chat itself.",
)
NO_TOPICS_HERE = "There are no forum topics here: the digest goes to this chat itself."
# What to write when a setting's value is missing.
MISSING = {
    "time": "Which time? For example: /settings time 07:30",
    "tz": "Which time zone? For example: /settings tz Europe/Berlin",
    "days": "Which days? For example: /settings days mon-fri (or weekdays, daily, mon,wed,fri)",
    "empty": "Silent or notice? For example: /settings empty silent (no message on days "
    "without news)",
    "topic": "Here or off? Send /settings topic here from inside the forum topic the digest "
    "should go to, or /settings topic off for the main chat.",
}
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
_KEYS = {
    "time": ("time", "at"),
    "tz": ("tz", "timezone", "zone"),
    "days": ("days", "day", "on"),
    "empty": ("empty", "nonews", "no-news"),
    "topic": ("topic", "thread"),
}
_TOPIC_HERE = {"here", "this"}
_TOPIC_OFF = {"off", "main", "none", "no"}


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


def settings_lines(chat: Chat, context: ChatContext, *, name_main: bool = False) -> list[str]:
    """The chat's settings as a reader wants them; where the digest goes only when it goes to
    a topic (or ``name_main``, after it was just sent back to the main chat)."""
    lines = [
        f"Digest time: {chat.digest_time} ({chat.timezone})",
        f"Days: {describe_days(chat.weekdays)}",
        "Deliveries: " + ("paused — /start resumes them" if chat.paused else "on"),
        "When there is no news: "
        + ("no message" if chat.empty_digest == "silent" else "a short “No new stories” message"),
    ]
    if chat.thread_id:
        here = chat.thread_id == context.thread_key
        lines.append(f"Digest goes to: {'this topic' if here else 'forum topic'} #{chat.thread_id}")
    elif name_main:
        lines.append("Digest goes to: the main chat")
    return lines


async def settings_command(core: Core, args: str, context: ChatContext) -> Reply:
    """Show the chat's digest settings, or change time, time zone, days, whether a digest
    with nothing new says so (empty notice) or is not sent (empty silent), and the forum topic
    it goes to (topic here / topic off)."""
    chat, _ = await chat_for(core, context)
    words = args.split()
    if not words:
        return _show(chat, context)
    if not context.is_admin:
        return admin_only(context, "change the digest settings")
    changes: dict[str, str | None] = {}
    i = 0
    while i < len(words):
        key = words[i].casefold().rstrip(":=")
        value = words[i + 1] if i + 1 < len(words) else ""
        if key in _KEYS["topic"] and not has_topics(context):
            return Reply.message(NO_TOPICS_HERE, ok=False)
        if not value and (missing := _missing(key)) is not None:
            return Reply.message(missing, ok=False)
        if key in _KEYS["time"]:
            match = _TIME.match(value)
            if not match or int(match[1]) > 23 or int(match[2]) > 59:
                return _bad(f"“{value[:20]}” is not a time. Write it as HH:MM, e.g. time 07:30.")
            changes["digest_time"] = f"{int(match[1]):02d}:{match[2]}"
        elif key in _KEYS["tz"]:
            zone = _zone(value)
            if zone is None:
                return _bad(
                    f"I don't know the time zone “{value[:40]}”. Use an IANA name such as "
                    "Europe/Berlin, America/New_York or Asia/Tokyo."
                )
            changes["timezone"] = zone
        elif key in _KEYS["days"]:
            days = parse_days(value)
            if days is None:
                return _bad(
                    f"I can't read the days “{value[:40]}”. Try mon-fri, mon,wed,fri, "
                    "weekdays or daily."
                )
            changes["weekdays"] = ",".join(days)
        elif key in _KEYS["empty"]:
            choice = _EMPTY_WORDS.get(value.casefold())
            if choice is None:
                return Reply.message(
                    f"I can't read “{value[:20]}”. Write empty silent (no message when there is "
                    "no news) or empty notice (a short “No new stories” message).",
                    ok=False,
                )
            changes["empty_digest"] = choice
        elif key in _KEYS["topic"]:
            if value.casefold() in _TOPIC_HERE:
                if not context.thread_key:
                    return Reply.message(*NO_TOPIC, ok=False)
                changes["thread_id"] = context.thread_key
            elif value.casefold() in _TOPIC_OFF:
                changes["thread_id"] = None
            else:
                return Reply.message(f"I can't read “{value[:20]}”. {TOPIC_USAGE}", ok=False)
        else:
            return _bad(f"I don't know the setting “{words[i][:20]}”.")
        i += 2
    await chat_store(core).update_settings(chat.id, **changes)
    if "thread_id" in changes:
        log.info(
            "digest topic changed",
            extra={
                "platform": context.platform,
                "chat": context.chat_key,
                "user": context.user_key or None,
                "topic": changes["thread_id"],
            },
        )
    chat, _ = await chat_for(core, context)
    lines = settings_lines(chat, context, name_main="thread_id" in changes)
    return Reply().add(Heading("Settings saved"), bullets(lines))


def _missing(key: str) -> str | None:
    """What to write after a setting given without its value; None for no setting."""
    for name, words in _KEYS.items():
        if key in words:
            return MISSING[name]
    return None


def _show(chat: Chat, context: ChatContext) -> Reply:
    reply = Reply().add(
        Heading("Digest settings"),
        bullets(settings_lines(chat, context)),
        para(f"To change them: {SETTINGS_USAGE}"),
        para(f"To get no message on days without news: {EMPTY_USAGE}"),
    )
    if not chat.paused:
        reply.add(para("To pause the digests: /stop"))
    if chat.thread_id:
        reply.add(para("To send the digest to the main chat again: /settings topic off"))
    elif context.thread_key:
        reply.add(para("To send the digest to this topic: /settings topic here"))
    return reply


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
