"""Parsing a chat message into a Command, once, the same way for every platform.

``/company@NewsBot  Huawei`` and ``/COMPANY huawei`` are the same command. Arguments are
cleaned (control characters out, white space collapsed) and capped: a longer argument is cut
and flagged, and the core answers that it is too long instead of running the command.

Plain text a user wrote without a slash (a Slack mention, a private Telegram message) is a
``plain`` command: its first word may name a command ("company huawei"), and when it does not
the core reads the whole text (a question goes to /ask).

A story's number means its place in the chat's latest digest ("/summary 2"); a story's own id
is written ``#42``. Buttons carry the id (``summary:42``), so their commands say ``#42``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_ARG_CHARS = 500
STORY_COMMANDS = ("summary", "quotes", "sources")  # the commands that take a story
# A follow-up to a digest story, the same words on every platform: the word → the command it
# asks for. "please", a story's number ("quotes 2", "summary #2") and a closing "." "!" or "?"
# may go with it.
FOLLOW_UPS = {
    "summary": "summary", "summarize": "summary", "longer summary": "summary",
    "more": "summary", "tell me more": "summary", "quotes": "quotes", "sources": "sources",
}  # fmt: skip
QUESTION_WORDS = frozenset(
    {
        "what", "who", "whom", "whose", "why", "how", "when", "where", "which", "did", "does",
        "do", "is", "are", "was", "were", "will", "would", "can", "could", "should", "has", "have",
    }
)  # fmt: skip
# Question marks of the world's scripts: Latin, Arabic, full-width (CJK), small, inverted
# (Spanish closes with "?"), Armenian, Ethiopic, Vai, Coptic, doubled, interrobang, reversed.
QUESTION_MARKS = ("?", "؟", "？", "﹖", "՞", "፧", "꘏", "⳺", "⳻", "⁇", "⁈", "⁉", "‽", "⸮")
_CLOSING = " \"'”’»)]"
# Telegram command names: 1-32 of a-z, 0-9 and _; an optional @BotName addresses one bot.
_COMMAND = re.compile(r"^/(?P<name>[^\s@/]*)(?:@(?P<bot>[^\s/]*))?(?=\s|$)(?P<args>.*)$", re.S)
# The words as one regular expression alternative, longest first.
FOLLOW_UP_WORDS = "|".join(
    re.escape(word).replace(r"\ ", r"\s+") for word in sorted(FOLLOW_UPS, key=len, reverse=True)
)
_FOLLOW_UP = re.compile(
    rf"^\s*(?P<word>{FOLLOW_UP_WORDS})(?:\s+please)?\s*#?(?P<number>\d{{1,3}})?\s*(?:please)?\s*[.!?]*\s*$",
    re.I,
)
# C0/C1 controls (NUL breaks PostgreSQL text) and bidi overrides that disguise text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Command:
    """One command: lower-case name without the slash, cleaned arguments, the raw text."""

    name: str
    args: str
    raw: str
    too_long: bool = False  # the arguments were longer than MAX_ARG_CHARS and were cut
    plain: bool = False  # written without a slash: the first word may be no command at all


@dataclass(frozen=True, slots=True)
class ChatContext:
    """Where a command came from: platform, chat, user, whether the user is a chat admin, the
    user's workspace (Slack's team id; empty elsewhere) and the forum topic the message was
    sent in (Telegram's message_thread_id; empty elsewhere)."""

    platform: str
    chat_key: str
    user_key: str = ""
    is_admin: bool = False
    team_key: str = ""
    thread_key: str = ""


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up to a digest story: the command it asks for, and the story's number in the
    digest when the words give one."""

    name: str
    number: int | None = None


def parse_follow_up(text: str) -> FollowUp | None:
    """The follow-up a message replied to a digest story asks for: "tell me more" →
    FollowUp("summary"), "quotes 2" → FollowUp("quotes", 2); None for anything else."""
    match = _FOLLOW_UP.match(text if isinstance(text, str) else "")
    if match is None:
        return None
    name = FOLLOW_UPS[" ".join(match["word"].casefold().split())]
    return FollowUp(name, int(match["number"]) if match["number"] else None)


def clean_args(text: str) -> tuple[str, bool]:
    """Arguments without control characters, white space collapsed, cut to MAX_ARG_CHARS."""
    text = unicodedata.normalize("NFC", text)
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) > MAX_ARG_CHARS:
        return text[:MAX_ARG_CHARS], True
    return text, False


def make_command(name: str, args: str = "", raw: str | None = None) -> Command:
    """A Command from parts an adapter already split (a Slack slash command, a button)."""
    cleaned, too_long = clean_args(args)
    name = _CONTROL.sub("", name).strip().lstrip("/").casefold()[:64]
    return Command(name, cleaned, raw if raw is not None else f"/{name} {args}".strip(), too_long)


def parse_command(text: str, *, bot_name: str | None = None) -> Command | None:
    """The command in a message, or None when the message is not a command for this bot.

    ``/cmd@OtherBot`` is for another bot in the same group: None. Without a leading slash the
    message is not a command: None (adapters decide what plain messages mean).
    """
    if not isinstance(text, str):
        return None
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    addressed = match["bot"]
    if addressed is not None and bot_name and addressed.casefold() != bot_name.casefold():
        return None
    return make_command(match["name"], match["args"], raw=text)


def parse_plain(text: str) -> Command:
    """Text written without a slash as a plain command: ``company huawei`` → ("company",
    "huawei"); ``what did huawei announce?`` → ("what", "did huawei announce?"), which the core
    reads as a question. ``raw`` keeps the whole text."""
    cleaned, _ = clean_args(text if isinstance(text, str) else "")
    name, _, args = cleaned.partition(" ")
    command = make_command(name, args, raw=cleaned)
    return Command(command.name, command.args, cleaned, command.too_long, plain=True)


def reads_as_question(text: str) -> bool:
    """Whether plain text reads like a question: it ends with a question mark of any script
    ("?", Arabic "؟", full-width "？", Armenian, Ethiopic …), opens with Spanish "¿", or starts
    with an English question word ("what did huawei announce", "is 5G safe")."""
    stripped = text.strip().rstrip(_CLOSING)
    words = stripped.casefold().split(maxsplit=1)
    return (
        stripped.endswith(QUESTION_MARKS)
        or stripped.startswith("¿")
        or (bool(words) and words[0] in QUESTION_WORDS)
    )


def story_arg(story_id: int) -> str:
    """A story's own id as a command argument: ``#42`` (a bare number is a digest position)."""
    return f"#{story_id}"


def command_from_action(action: str) -> Command | None:
    """The command a button's action payload stands for: ``summary:42`` is ``/summary #42``
    (story buttons carry the story's id, never its number in a digest)."""
    name, sep, args = action.partition(":")
    if not sep or not name:
        return None
    if name.casefold() in STORY_COMMANDS and args.strip().isdigit():
        args = story_arg(int(args))
    return make_command(name, args, raw=action)
