"""The one OpenAI-compatible client of a process, shared by the LLM summarizer and /ask, and
the daily token budget they both spend.

The budget, ``[llm] daily_token_budget``, is counted in the store (``SummaryCache``) per UTC
day, so a process running Telegram, Slack and the scheduler, and every worker on one store,
spend one budget: each call reserves its estimate first, atomically, and settles it after.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

import openai

from bot.config_sections import LLMSettings
from bot.logs import register_secret
from bot.store.cache import SummaryCache

log = logging.getLogger(__name__)


def utc_today() -> date:
    """Today in UTC: the day a token budget counts."""
    return datetime.now(UTC).date()


class TokenBudget:
    """The tokens LLM calls may spend per UTC day: a call reserves its estimate before it goes
    (in one statement in the store, so calls from every process together stay within the
    budget), and settles the reservation with the server's count after."""

    def __init__(
        self, cache: SummaryCache, daily: int, today: Callable[[], date] = utc_today
    ) -> None:
        self.daily = daily
        self._cache = cache
        self._today = today

    async def reserve(self, estimate: int) -> Reservation | None:
        """Reserve ``estimate`` tokens of what is left today; None (and a log line) when they
        do not fit."""
        day = self._today()
        if await self._cache.reserve_tokens(day, estimate, self.daily):
            return Reservation(self._cache, day, estimate)
        log.info(
            "llm daily token budget spent",
            extra={
                "used": await self._cache.tokens_used(day),
                "estimate": estimate,
                "budget": self.daily,
            },
        )
        return None


class Reservation:
    """Tokens reserved for one call, on the day it was made."""

    def __init__(self, cache: SummaryCache, day: date, tokens: int) -> None:
        self._cache = cache
        self.day = day
        self.tokens = tokens
        self._settled = False

    async def settle(self, used: int) -> None:
        """Count what the call used (the server's count; 0 when it failed) instead of the
        estimate; once."""
        if not self._settled:
            self._settled = True
            await self._cache.settle_tokens(self.day, self.tokens, used)


def openai_client(settings: LLMSettings, api_key: str | None) -> openai.AsyncOpenAI:
    """The client for ``[llm] base_url``. Its own retries are off: the summarizer retries in
    its own loop (the client would otherwise retry twice on 408/409/429/5xx and timeouts,
    waiting out any Retry-After of up to two minutes) and /ask has a user waiting. A local
    server (Ollama, llama.cpp) needs no key, but the client refuses to start without one (and
    would read OPENAI_API_KEY from the environment): it gets a placeholder."""
    register_secret(api_key)
    return openai.AsyncOpenAI(
        base_url=settings.base_url,
        api_key=api_key or "no-key",
        timeout=settings.timeout_seconds,
        max_retries=0,
    )
