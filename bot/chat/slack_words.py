"""Slack's words for newsbot's commands, both ways: ``/news company huawei`` and mentions into a
:class:`~bot.chat.commands.Command`; core hints (``/company``) rewritten as ``/news company``;
who and where a payload comes from; which stories a digest message's buttons carry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.chat.commands import Command, make_command
from bot.chat.core import COMMANDS
from bot.chat.reply import Bold, Buttons, Paragraph, Reply, Text, bullets, para

PLATFORM = "slack"
SLASH = "/news"
THREAD_ASK = re.compile(r"^\s*(?:<@[A-Z0-9]+>\s*)?summary\b\s*#?(\d{1,3})?\s*[.!?]?\s*$", re.I)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_NUMBERED = re.compile(r"^\s*(\d{1,3})\.\s")
_COMMAND_WORD = re.compile(r"(?<![\w/])/([a-z]+)\b")


def _news(text: str) -> str:
    """Core hints name commands Telegram-style (/company); in Slack they are /news company."""
    return _COMMAND_WORD.sub(lambda m: f"{SLASH} {m[1]}" if m[1] in COMMANDS else m[0], text)


def for_slack(reply: Reply) -> Reply:
    """The reply with its command hints rewritten for /news (plain text spans only)."""
    blocks = []
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            block = Paragraph(
                tuple(Text(_news(s.text)) if type(s) is Text else s for s in block.spans)
            )
        blocks.append(block)
    return Reply(blocks, ok=reply.ok)


def help_reply() -> Reply:
    """Every /news subcommand with an example."""
    items = [
        [
            Bold(f"{SLASH} {spec.usage.lstrip('/')}"),
            f" — {spec.about}. Example: {_news(spec.example)}",
        ]
        for spec in COMMANDS.values()
    ]
    return Reply().add(
        para("Here is what I can do — type ", Bold(f"{SLASH}"), " and one of these:"),
        bullets(items),
        para("You can also mention me (@newsbot company huawei), press the buttons under a "
             "digest, or reply “summary” in a digest story's thread."),
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
    """``/news company huawei`` → Command("company", "huawei"); empty text → help."""
    text = _MENTION.sub(" ", text or "").strip()
    name, _, args = text.partition(" ")
    name = name.lstrip("/") or "help"
    return make_command(name, args, raw=f"{SLASH} {text}".strip())


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


def which_story(known: Posted, number: int | None) -> int | None:
    """The story "summary N" (or a bare "summary" under a one-story message) asks for."""
    if number is not None:
        return known.numbers.get(number)
    return known.stories[0] if len(known.stories) == 1 else None


def which_story_reply(known: Posted) -> Reply:
    """The question back when a thread's "summary" does not say which story."""
    shown = ", ".join(str(n) for n in sorted(known.numbers)) or "none"
    return Reply.message(
        "Which story? Reply “summary” and its number, for example “summary "
        f"{min(known.numbers, default=1)}”.",
        f"Stories in this message: {shown}.",
        ok=False,
    )
