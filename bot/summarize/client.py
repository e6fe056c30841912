"""The one OpenAI-compatible client of a process, shared by the LLM summarizer and /ask.

Both count their tokens against the same daily budget, ``[llm] daily_token_budget``, kept in
the store (``SummaryCache.tokens_used`` / ``add_tokens``), so a process running Telegram, Slack
and the scheduler spends one budget through one HTTP client.
"""

from __future__ import annotations

import openai

from bot.config import LLMSettings
from bot.logs import register_secret


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
