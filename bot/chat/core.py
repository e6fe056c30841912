"""The platform-neutral command core: a Command in, a Reply out, for every chat adapter.

Adapters convert (platform payload → Command, Reply → platform messages) and hold no logic;
every command is written here once. A command never raises: a failure is logged with its
trace and the user gets a short apology that says what to do.
"""

from __future__ import annotations

import logging
import time

from bot import metrics
from bot.chat.access import Access, AccessGate, owners_only
from bot.chat.command import (
    MAX_ARG_CHARS,
    ChatContext,
    Command,
    clean_args,
    command_from_action,
    make_command,
    reads_as_question,
)
from bot.chat.commands.company import CompanyResult, find_company
from bot.chat.commands.registry import COMMANDS
from bot.chat.limits import RateLimits
from bot.chat.services import FetcherFactory
from bot.config import Settings
from bot.digest.build import DigestBuilder
from bot.nlp.companies import Gazetteer
from bot.reply import Reply
from bot.store import Store
from bot.store.cache import SummaryCache
from bot.summarize.answer import Answer, Answerer
from bot.summarize.base import Summarizer
from bot.summarize.retrieve import Index

log = logging.getLogger("newsbot.chat")


class CommandCore:
    """Answers commands from the store's news, the summarizer and the gazetteer."""

    company_limit = 5
    long_sentences = 6

    def __init__(
        self,
        store: Store,
        summarizer: Summarizer,
        gazetteer: Gazetteer | None,
        settings: Settings,
        fetcher_factory: FetcherFactory,
        *,
        index: Index | None = None,
        answerer: Answerer | None = None,
    ) -> None:
        if index is None:
            from bot.store.news import NewsIndex

            index = NewsIndex(store)
        self.store = store
        self.index: Index = index
        self.summarizer = summarizer
        self.gazetteer = gazetteer
        self.settings = settings
        self.fetcher_factory = fetcher_factory
        self.answerer = answerer or Answerer(index, settings, cache=_cache(store, settings))
        self.gate = AccessGate(Access.from_settings(settings))  # adapters admit updates here
        self.limits = RateLimits.from_settings(settings.limits)
        self.digests = DigestBuilder(store, summarizer, settings.digest)

    async def aclose(self) -> None:
        """Release what the core opened (the answerer's HTTP client)."""
        await self.answerer.aclose()

    async def handle(self, command: Command, context: ChatContext) -> Reply:
        """The reply to a command; never raises. Commands for owners only and the per-user
        rate limits of [limits] are enforced here, for every platform."""
        spec = COMMANDS.get(command.name)
        if spec is None and command.plain:
            return await self._plain_text(command, context)
        if spec is None:
            shown = command.name[:32]
            return Reply.message(
                f"I don't know /{shown}." if shown else "That's not a command I know.",
                "Send /help to see what I can do.",
                ok=False,
            )
        if command.too_long:
            return Reply.message(
                f"That's too long: keep it under {MAX_ARG_CHARS} characters.",
                f"For example: {spec.example}",
                ok=False,
            )
        owner = self.gate.access.is_owner(context)
        if spec.owner_only and not owner:
            return owners_only()
        if command.args and not owner:  # without arguments the command only explains itself
            limited = self.limits.check(spec.name, _user(context))
            if limited is not None:
                return limited
        started = time.monotonic()
        try:
            reply = await spec.handler(self, command.args, context)
        except Exception:
            log.exception(
                "command failed",
                extra={
                    "command": spec.name,
                    "platform": context.platform,
                    "chat": context.chat_key,
                },
            )
            return Reply.message(
                "Sorry, something went wrong on my side.", "Please try again in a minute.", ok=False
            )
        seconds = time.monotonic() - started
        metrics.COMMAND_SECONDS.labels(spec.name).observe(seconds)
        log.info(
            "command answered",
            extra={
                "command": spec.name,
                "platform": context.platform,
                "ok": reply.ok,
                "seconds": round(seconds, 3),
            },
        )
        return reply

    async def _plain_text(self, command: Command, context: ChatContext) -> Reply:
        """Text written without a slash that names no command: a question is asked (/ask);
        anything else gets a hint, worded with commands the adapters rewrite for their
        platform."""
        question = reads_as_question(command.raw)
        log.info(
            "plain text",
            extra={
                "platform": context.platform,
                "chat": context.chat_key,
                "read_as": "question" if question else "unknown",
            },
        )
        if question and command.too_long:
            return Reply.message(
                f"That's too long: keep it under {MAX_ARG_CHARS} characters.",
                "For example: What did Huawei announce?",
                ok=False,
            )
        if question:
            return await self.handle(make_command("ask", command.raw), context)
        return Reply.message(
            "I didn't catch that. Try /company huawei, ask a question, or /help.", ok=False
        )

    async def story_action(self, action: str, context: ChatContext) -> Reply:
        """The reply to a button's action payload (``summary:42``, ``quotes:42``,
        ``sources:42``: the story with id 42, not story 42 of a digest; ``company:Huawei``);
        never raises."""
        command = command_from_action(action)
        if command is None or command.name not in COMMANDS:
            log.info("unknown button action", extra={"action": action[:64]})
            return Reply.message(
                "That button no longer works.", "Send /help to see what I can do.", ok=False
            )
        return await self.handle(command, context)

    async def find_company(self, name: str, context: ChatContext) -> CompanyResult:
        """/company's data: the company's latest stories, or suggestions (the CLI uses this)."""
        cleaned, _ = clean_args(name)
        return await find_company(self, cleaned, context)

    async def ask(self, question: str) -> Answer:
        """/ask's data: the answer and its numbered sources (the CLI uses this)."""
        cleaned, _ = clean_args(question)
        return await self.answerer.answer(cleaned)


def _user(context: ChatContext) -> str:
    """Who the per-user limits count: the user, or the chat when the platform names nobody."""
    return f"{context.platform}:{context.user_key or 'chat:' + context.chat_key}"


def _cache(store: Store, settings: Settings) -> SummaryCache | None:
    """The store's token counter, so /ask answers count against the daily LLM budget."""
    return SummaryCache(store) if settings.summarizer.backend == "llm" else None
