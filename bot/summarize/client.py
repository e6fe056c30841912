"""The one OpenAI-compatible client of a process, shared by the LLM summarizer and /ask, and
the daily token budget they both spend.

The budget, ``[llm] daily_token_budget``, is counted in the store (``SummaryCache.tokens_used`` /
``add_tokens``) per UTC day, so a process running Telegram, Slack and the scheduler (and every
process on one store) spends one budget through one HTTP client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

import openai

from bot.config import LLMSettings
from bot.logs import register_secret
from bot.store.cache import SummaryCache

log = logging.getLogger(__name__)


def utc_today() -> date:
    """Today in UTC: the day a token budget counts."""
    return datetime.now(UTC).date()


class TokenBudget:
    """The tokens LLM calls may spend per UTC day; checked before a call, spent after it."""

    def __init__(
        self, cache: SummaryCache, daily: int, today: Callable[[], date] = utc_today
    ) -> None:
        self.daily = daily
        self._cache = cache
        self._today = today

    async def allows(self, estimate: int) -> bool:
        """Whether a call estimated at ``estimate`` tokens fits in what is left today; logs
        when it does not."""
        used = await self._cache.tokens_used(self._today())
        if used + estimate <= self.daily:
            return True
        log.info(
            "llm daily token budget spent",
            extra={"used": used, "estimate": estimate, "budget": self.daily},
        )
        return False

    async def spend(self, tokens: int) -> None:
        """Count the tokens a call used (the server's count, else an estimate)."""
        await self._cache.add_tokens(self._today(), tokens)


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
