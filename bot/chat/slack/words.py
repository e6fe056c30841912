"""Slack's words for newsbot's commands, both ways: ``/news company huawei`` and mentions into a
:class:`~bot.chat.command.Command`; core hints (``/company``) rewritten as ``/news company``;
who and where a payload comes from; which stories a digest message's buttons carry, and the
follow-ups ("summary 2", "quotes 2", "sources 2") replied in a digest message's thread, and
which ``/news`` answers only the asker sees (:func:`is_private`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.chat.access import needs_admin
from bot.chat.command import FOLLOW_UP_WORDS as FOLLOW_UP_ANY
from bot.chat.command import Command, make_command, parse_follow_up, parse_plain, story_arg
from bot.chat.core import COMMANDS
from bot.chat.slack.render import render_messages
from bot.digest.build import FOLLOW_UP
from bot.reply import (
    Block,
    Bold,
    BulletList,
    Buttons,
    Hint,
    Paragraph,
    Reply,
    Span,
    Text,
    bullets,
    para,
)

PLATFORM = "slack"
SLASH = "/news"
_LEADING_MENTION = r"^\s*(?:<@[A-Z0-9]+>\s*)?"
# A follow-up in a thread of ours (the core's words), worth a closer look.
FOLLOW_UP_WORDS = re.compile(rf"(?i){_LEADING_MENTION}(?:{FOLLOW_UP_ANY})\b")
_LEADING = re.compile(_LEADING_MENTION)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_NUMBERED = re.compile(r"^\s*(\d{1,3})\.\s")
_COMMAND_WORD = re.compile(r"(?<![\w/])/([a-z]+)\b")
# Slash commands whose answer informs only the asker: seen by them alone, as Slack's own are.
_PRIVATE_ALWAYS = frozenset({"help", "feeds"})
_PRIVATE_WITHOUT_ARGS = frozenset({"settings", "subscribe", "unsubscribe"})


def _news(text: str) -> str:
    """Core hints name commands Telegram-style (/company); in Slack they are /news company."""
    return _COMMAND_WORD.sub(lambda m: f"{SLASH} {m[1]}" if m[1] in COMMANDS else m[0], text)


def _run(run: tuple[Span, ...]) -> tuple[Span, ...]:
    return tuple(Text(_news(s.text)) if type(s) is Text else s for s in run)


def for_slack(reply: Reply) -> Reply:
    """The reply in Slack's words: command hints rewritten for /news in every block that holds
    text of ours (paragraphs and bullets, plain spans only), and hints about how to reply
    worded for Slack's threads. Headings, bold spans and quotations are left as they are: they
    hold headlines and quoted speech, written by others."""
    blocks: list[Block] = []
    for index, block in enumerate(reply.blocks):
        if isinstance(block, Hint) and block.key == FOLLOW_UP:
            block = _digest_follow_up(reply, index)
        elif isinstance(block, Paragraph):
            block = Paragraph(_run(block.spans))
        elif isinstance(block, BulletList):
            block = BulletList(tuple(_run(item) for item in block.items))
        blocks.append(block)
    return Reply(blocks, ok=reply.ok)


def _digest_follow_up(reply: Reply, index: int) -> Paragraph:
    """A digest's last line, for Slack: a digest is one message with many stories (or a few
    messages), and "summary N" in a message's thread asks for its story N. The example is a
    story of the message this line ends up in."""
    ids, numbers = story_numbers(reply)
    number_of = {story: n for n, story in numbers.items()}
    last = render_messages(Reply(reply.blocks[: index + 1]))[-1]
    here = sorted(number_of[s] for s in message_stories(last, ids) if s in number_of)
    if not here:
        return para(
            "For a story's longer summary, reply “summary” and its number in the thread of "
            "the message that shows it."
        )
    n = 2 if 2 in here else here[0]
    return para(
        f"Reply “summary {n}” in this thread for story {n}'s longer summary "
        f"(or “quotes {n}”, “sources {n}”)."
    )


def help_reply() -> Reply:
    """Every /news subcommand with an example (Slack has no forum topics); those that change the
    channel in a section of their own, for its admins."""
    items = {
        admin: [
            [
                Bold(f"{SLASH} {spec.usage.lstrip('/')}"),
                f" — {_news(spec.about)}. Example: {_news(spec.example)}",
            ]
            for spec in COMMANDS.values()
            if spec.admin == admin
        ]
        for admin in (False, True)
    }
    return Reply().add(
        para("Here is what I can do — type ", Bold(f"{SLASH}"), " and one of these:"),
        bullets(items[False]),
        para("For this channel's admins:"),
        bullets(items[True]),
        para("A story's number is its number in this channel's latest digest. You can also "
             "mention me (@newsbot company huawei, or a question), press the buttons under a "
             "digest, or reply “summary 2”, “quotes 2” or “sources 2” in a digest's thread."),
    )  # fmt: skip


def slack_ids(body: dict[str, Any]) -> tuple[str, str, str]:
    """(workspace, channel, user) of a slash command, button press or event. The workspace is
    the user's own where Slack says it (a guest from another organisation in a shared channel
    writes from theirs), else the one the request came from."""
    event = body.get("event")
    if isinstance(event, dict):
        team = event.get("user_team") or event.get("team") or body.get("team_id")
        return str(team or ""), str(event.get("channel", "")), str(event.get("user", ""))
    user = body.get("user")
    if isinstance(user, dict):  # an interactive payload (block_actions)
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        team = user.get("team_id") or (body.get("team") or {}).get("id")
        return str(team or ""), str(channel or ""), str(user.get("id", ""))
    return (
        str(body.get("team_id", "")),
        str(body.get("channel_id", "")),
        str(body.get("user_id", "")),
    )


def parse_news(text: str) -> Command:
    """``/news company huawei`` → Command("company", "huawei"); empty text → help. The text is
    plain: a first word that is no command makes the core read it ("what did huawei announce?"
    is a question)."""
    text = _MENTION.sub(" ", text or "").strip()
    if not text:
        return make_command("help", raw=SLASH)
    return parse_plain(text)


def is_private(command: Command) -> bool:
    """Whether a ``/news`` answer goes to the asker alone (ephemeral), like Slack's own slash
    commands: help, ``feeds`` (the list, and an owner's add or remove), and settings or
    subscriptions merely shown (no arguments). Answers the channel benefits from stay public:
    stories, answers, digests, ``start``/``stop`` and every change of settings or
    subscriptions (the channel sees who changed what)."""
    if command.name in _PRIVATE_ALWAYS:
        return True
    return command.name in _PRIVATE_WITHOUT_ARGS and not command.args


def is_change(command: Command) -> bool:
    """Whether the command changes the channel (settings, subscriptions, start/stop): its
    public answer names who did it."""
    return command.name != "feeds" and needs_admin(command.name, command.args)


@dataclass(slots=True)
class Posted:
    """A message of ours with story buttons: its stories by their number in the digest."""

    stories: list[int]
    numbers: dict[int, int] = field(default_factory=dict)


def story_numbers(reply: Reply) -> tuple[list[int], dict[int, int]]:
    """The story ids of a reply's Summary buttons in order, and the digest numbers they have
    ("3. Title" before the buttons)."""
    ids: list[int] = []
    numbers: dict[int, int] = {}
    current: int | None = None
    for block in reply.blocks:
        if isinstance(block, Paragraph) and block.spans and isinstance(block.spans[0], Bold):
            match = _NUMBERED.match(block.spans[0].text)
            current = int(match[1]) if match else current
        elif isinstance(block, Buttons):
            for button in block.buttons:
                name, _, arg = button.action.partition(":")
                if name == "summary" and arg.isdigit():
                    ids.append(int(arg))
                    numbers[current if current is not None else len(ids)] = int(arg)
                    current = None
    return ids, numbers


def message_stories(message: dict[str, Any], ids: list[int]) -> list[int]:
    """The story ids whose Summary button is in this message."""
    found = []
    for block in message["blocks"]:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            name, _, arg = str(element.get("value", "")).partition(":")
            if name == "summary" and arg.isdigit() and int(arg) in ids:
                found.append(int(arg))
    return found


def which_story(known: Posted, number: int | None) -> str | None:
    """The story "summary N" (or a bare "summary" under a one-story message) asks for, as the
    command's argument: its own id, ``#42`` (N is its number in this message's digest)."""
    if number is not None:
        story = known.numbers.get(number)
    else:
        story = known.stories[0] if len(known.stories) == 1 else None
    return story_arg(story) if story is not None else None


def which_story_reply(known: Posted, verb: str = "summary") -> Reply:
    """The question back when a thread's "summary" does not say which story."""
    shown = ", ".join(str(n) for n in sorted(known.numbers)) or "none"
    return Reply.message(
        f"Which story? Reply “{verb}” and its number, for example “{verb} "
        f"{min(known.numbers, default=1)}”.",
        f"Stories in this message: {shown}.",
        ok=False,
    )


def follow_up(text: str) -> tuple[str, int | None] | None:
    """A follow-up replied in a thread of ours, in the core's words: ("quotes", 2) for
    "quotes 2", ("summary", None) for "tell me more"; None for anything else."""
    asked = parse_follow_up(_LEADING.sub("", text or "", count=1))
    return (asked.name, asked.number) if asked is not None else None


def thread_command(known: Posted, text: str) -> Command | Reply | None:
    """The command a follow-up in the thread of a message of ours asks for (its story by its
    own id), the question back when it does not say which story, or None when the text is no
    follow-up."""
    asked = follow_up(text)
    if asked is None:
        return None
    verb, number = asked
    story = which_story(known, number)
    if story is None:
        return which_story_reply(known, verb)
    return make_command(verb, story)
