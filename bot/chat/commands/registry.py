"""The commands the core answers: each one's name, usage, example and handler, in /help order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.commands import digest as digest_cmds
from bot.chat.commands import start as chat_cmds
from bot.chat.commands.ask import ask_reply
from bot.chat.commands.common import has_topics
from bot.chat.commands.company import company_reply, find_company
from bot.chat.commands.feeds import feeds
from bot.chat.commands.settings import settings_command
from bot.chat.commands.story import quotes
from bot.chat.commands.subscribe import subscribe, unsubscribe
from bot.chat.commands.summary import summary
from bot.chat.commands.trend import find_trends, trend_reply
from bot.reply import Reply, bullets, para

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

Handler = Callable[["Core", str, "ChatContext"], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Spec:
    """A command as /help lists it."""

    name: str
    usage: str
    example: str
    about: str
    handler: Handler
    owner_only: bool = False  # changes the bot for everyone (e.g. its feeds): [bot] owners only
    admin: bool = False  # changes this chat (or shows its feeds): /help lists it for admins
    # What the command adds where chats have forum topics (Telegram's forum groups).
    forum_usage: str = ""
    forum_about: str = ""

    def help_item(self, *, topics: bool) -> str:
        """The command's /help line; with ``topics``, what it does with forum topics too."""
        usage = self.usage + (self.forum_usage if topics else "")
        about = self.about + (self.forum_about if topics else "")
        return f"{usage} — {about}. Example: {self.example}"


async def _company(core: Core, args: str, context: ChatContext) -> Reply:
    return company_reply(await find_company(core, args, context))


async def _trend(core: Core, args: str, context: ChatContext) -> Reply:
    return await trend_reply(await find_trends(core, args, context))


async def _ask(core: Core, args: str, context: ChatContext) -> Reply:
    if not args.strip():
        return Reply.message(
            "What would you like to know? For example: /ask What did Huawei announce?", ok=False
        )
    return ask_reply(await core.answerer.answer(args))


async def _help(core: Core, args: str, context: ChatContext) -> Reply:
    admin = context.is_admin or core.gate.access.is_owner(context)
    return help_reply(topics=has_topics(context), admin=admin)


COMMANDS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
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
            digest_cmds.digest,
        ),
        Spec(
            "company",
            "/company NAME",
            "/company huawei",
            "the latest stories about a company",
            _company,
        ),
        Spec(
            "trend",
            "/trend NAME [7d|30d|90d], or /trend NAME vs NAME",
            "/trend huawei 30d",
            "a chart of a company's stories per day, its peaks and their top stories",
            _trend,
        ),
        Spec(
            "summary",
            "/summary LINK or NUMBER",
            "/summary 2",
            "the longer summary of a story of your latest digest, or the summary of a web page",
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
            "quotes",
            "/quotes NUMBER",
            "/quotes 2",
            "every quote of a story of your latest digest",
            quotes,
        ),
        Spec(
            "sources",
            "/sources [NUMBER]",
            "/sources 2",
            "the articles behind a story of your latest digest; without a number, the feeds I read",
            chat_cmds.sources,
        ),
        Spec(
            "settings",
            "/settings [time HH:MM] [tz Area/City] [days mon-fri] [empty silent|notice]",
            "/settings time 07:30 tz Europe/Berlin",
            "show or change when this chat gets its digest, and whether a day without news "
            "sends a short notice or nothing",
            settings_command,
            forum_usage=" [topic here|off]",
            forum_about=", and the forum topic it goes to (send topic here from inside that topic)",
            admin=True,
        ),
        Spec(
            "subscribe",
            "/subscribe company NAME | keyword WORD | -keyword WORD",
            "/subscribe company Huawei",
            "choose what this chat's digest follows (no arguments: the list)",
            subscribe,
            admin=True,
        ),
        Spec(
            "unsubscribe",
            "/unsubscribe company NAME | keyword WORD",
            "/unsubscribe company Huawei",
            "stop following a company or keyword",
            unsubscribe,
            admin=True,
        ),
        Spec(
            "stop",
            "/stop",
            "/stop",
            "pause this chat's scheduled digests (/start brings them back)",
            chat_cmds.stop,
            admin=True,
        ),
        Spec(
            "feeds",
            "/feeds [add URL | remove NUMBER]",
            "/feeds add https://example.com/feed",
            "the feeds I read and their health; the bot's owners add or remove them",
            feeds,
            admin=True,
        ),
        Spec("help", "/help", "/help", "this list", _help),
    )
}


def help_reply(*, topics: bool = False, admin: bool = True) -> Reply:
    """Every command with what it does and an example, /start first; with ``topics``, what the
    commands do with forum topics too. The commands that change the chat come in a section of
    their own for its admins; anyone else gets one line naming them."""
    everyone = [spec for spec in COMMANDS.values() if not spec.admin]
    admins = [spec for spec in COMMANDS.values() if spec.admin]
    reply = Reply().add(
        para("Here is what I can do:"),
        bullets(spec.help_item(topics=topics) for spec in everyone),
    )
    if admin:
        reply.add(
            para("For this chat's admins:"),
            bullets(spec.help_item(topics=topics) for spec in admins),
        )
    else:
        names = ", ".join(spec.usage.split()[0] for spec in admins)
        reply.add(
            para(f"This chat's admins can also change its digest and see its feeds: {names}.")
        )
    return reply.add(para("A story's number is its number in your latest digest."))
