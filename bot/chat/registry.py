"""The commands the core answers: each one's name, usage, example and handler, in /help order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat import handlers_chat as chat_cmds
from bot.chat import handlers_digest
from bot.chat.handlers_ask import ask_reply
from bot.chat.handlers_company import company_reply
from bot.chat.handlers_feeds import feeds
from bot.chat.handlers_settings import settings_command
from bot.chat.handlers_subscribe import subscribe, unsubscribe
from bot.chat.handlers_summary import summary
from bot.chat.reply import Reply, bullets, para

if TYPE_CHECKING:
    from bot.chat.core import ChatContext, CommandCore

Handler = Callable[["CommandCore", str, "ChatContext"], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Spec:
    """A command as /help lists it."""

    name: str
    usage: str
    example: str
    about: str
    handler: Handler
    owner_only: bool = False  # changes the bot for everyone (e.g. its feeds): [bot] owners only


async def _company(core: CommandCore, args: str, context: ChatContext) -> Reply:
    return company_reply(await core.find_company(args, context))


async def _ask(core: CommandCore, args: str, context: ChatContext) -> Reply:
    if not args.strip():
        return Reply.message(
            "What would you like to know? For example: /ask What did Huawei announce?", ok=False
        )
    return ask_reply(await core.ask(args))


async def _help(core: CommandCore, args: str, context: ChatContext) -> Reply:
    return help_reply()


COMMANDS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec(
            "company",
            "/company NAME",
            "/company huawei",
            "the latest stories about a company",
            _company,
        ),
        Spec(
            "summary",
            "/summary LINK or STORY",
            "/summary https://example.com/news/1",
            "summarize a web page, or the longer summary of a story from a digest",
            summary,
        ),
        Spec(
            "ask",
            "/ask QUESTION",
            "/ask What did Huawei announce in Europe?",
            "an answer from the stored news, with its sources",
            _ask,
        ),
        Spec(
            "start",
            "/start",
            "/start",
            "register this chat for a daily digest and see what comes next",
            chat_cmds.start,
        ),
        Spec(
            "digest",
            "/digest",
            "/digest",
            "this chat's digest now: the stories since the last one",
            handlers_digest.digest,
        ),
        Spec(
            "subscribe",
            "/subscribe company NAME | keyword WORD | -keyword WORD",
            "/subscribe company Huawei",
            "choose what this chat's digest follows (no arguments: the list)",
            subscribe,
        ),
        Spec(
            "unsubscribe",
            "/unsubscribe company NAME | keyword WORD",
            "/unsubscribe company Huawei",
            "stop following a company or keyword",
            unsubscribe,
        ),
        Spec(
            "settings",
            "/settings [time HH:MM] [tz Area/City] [days mon-fri] [topic here|off]",
            "/settings time 07:30 tz Europe/Berlin",
            "show or change when this chat gets its digest, and the forum topic it goes to "
            "(send topic here from inside that topic)",
            settings_command,
        ),
        Spec(
            "sources",
            "/sources [STORY]",
            "/sources",
            "the feeds I read, or the articles behind a story",
            chat_cmds.sources,
        ),
        Spec(
            "feeds",
            "/feeds [add URL | remove NUMBER]",
            "/feeds add https://example.com/feed",
            "the feeds I read and their health, for chat admins; the bot's owners add or "
            "remove them",
            feeds,
        ),
        Spec(
            "quotes",
            "/quotes STORY",
            "/quotes 42",
            "every quote of a story from a digest",
            chat_cmds.quotes,
        ),
        Spec("help", "/help", "/help", "this list", _help),
    )
}


def help_reply() -> Reply:
    """Every command with what it does and an example."""
    return Reply().add(
        para("Here is what I can do:"),
        bullets(f"{s.usage} — {s.about}. Example: {s.example}" for s in COMMANDS.values()),
    )
