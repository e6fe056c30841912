"""The LLM summarizer: any OpenAI-compatible chat-completions API (OpenAI, Azure OpenAI, Ollama,
vLLM, llama.cpp's server), with verified quotes, a store cache, a daily token budget, and the
extractive summarizer to fall back on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import openai

from bot.config_sections import LLMSettings
from bot.ingest.http.fetch import parse_retry_after
from bot.logs import register_secret
from bot.models import Story, Summary
from bot.store.cache import CacheKey, SummaryCache
from bot.summarize.base import Summarizer
from bot.summarize.client import TokenBudget, openai_client, utc_today
from bot.summarize.prompts import (
    CURRENT,
    AnswerError,
    Prompt,
    approx_tokens,
    build_request,
    parse_answer,
)
from bot.summarize.verify import check

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limits:
    """How hard the summarizer tries, and how much it sends."""

    max_input_tokens: int = 6000  # approximate tokens of article text per story
    max_output_tokens: int | None = 800  # sent as max_tokens; None sends none
    max_articles: int = 4  # articles of a multi-source story sent to the model
    server_error_retries: int = 2  # retries after a 5xx or a failed connection
    backoff_seconds: float = 1.0  # first wait before such a retry; doubles each time
    rate_limit_retries: int = 1  # retries after a 429
    max_retry_after_seconds: float = 10.0  # a longer Retry-After falls back at once
    key_quotes: int = 2


class _Failed(Exception):
    """The API gave no usable answer; the message is the reason shown in Summary.note."""


class LLMSummarizer:
    """Summarizes a story with an LLM; falls back to another summarizer and says why."""

    name = "llm"

    def __init__(
        self,
        settings: LLMSettings,
        api_key: str | None,
        cache: SummaryCache,
        fallback: Summarizer,
        *,
        limits: Limits | None = None,
        prompt: Prompt = CURRENT,
        client: openai.AsyncOpenAI | None = None,
        today: Callable[[], date] = utc_today,
    ) -> None:
        register_secret(api_key)
        self._settings = settings
        self._cache = cache
        self._fallback = fallback
        self._limits = limits or Limits()
        self._prompt = prompt
        self._budget = TokenBudget(cache, settings.daily_token_budget, today)
        self._own_client = client is None
        # Our own loop retries (below); the shared client's retries are off (summarize/client.py).
        self._client = client or openai_client(settings, api_key)
        self._json_mode = True  # until the server rejects response_format
        self._inflight: dict[CacheKey, asyncio.Task[Summary | str]] = {}
        self.variant = f"{self.name}:{settings.model}:{prompt.version}:{self._limits!r}"

    async def aclose(self) -> None:
        """Close the HTTP client this summarizer made."""
        if self._own_client:
            await self._client.close()

    async def summarize(self, story: Story, *, sentences: int = 3) -> Summary:
        """The story's summary from the cache or the LLM, else the fallback's with a note."""
        if not story.articles:
            return await self._fall_back(story, sentences, "story has no articles")
        key = CacheKey.for_story(story, self._settings.model, self._prompt.version)
        # One call per story even when several digests ask for it at once.
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._summarize(key, story))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        outcome = await asyncio.shield(task)
        if isinstance(outcome, str):
            return await self._fall_back(story, sentences, outcome)
        return replace(outcome, sentences=outcome.sentences[: max(1, sentences)])

    async def _summarize(self, key: CacheKey, story: Story) -> Summary | str:
        """The full cached or fresh summary, or the reason there is none."""
        cached = await self._cache.get(key)
        if cached is not None:
            log.debug("llm summary from cache", extra={"story": story.id, "model": key.model})
            return cached
        limits = self._limits
        request = build_request(
            story,
            prompt=self._prompt,
            max_input_tokens=limits.max_input_tokens,
            max_articles=limits.max_articles,
        )
        if request.cut or request.left_out:
            log.info(
                "llm input cut to fit",
                extra={
                    "story": story.id,
                    "cut_sources": request.cut,
                    "articles_left_out": request.left_out,
                    "max_input_tokens": limits.max_input_tokens,
                },
            )
        # Without a max_tokens cap, guess the answer's size; the JSON asked for is short.
        estimate = request.prompt_tokens + (limits.max_output_tokens or 500)
        reservation = await self._budget.reserve(estimate)
        if reservation is None:
            return "budget spent"
        started = time.monotonic()
        try:
            completion = await self._call(request.messages)
        except _Failed as exc:
            await reservation.settle(0)
            return str(exc)
        except Exception:
            await reservation.settle(0)
            raise
        content = completion.choices[0].message.content if completion.choices else None
        usage = completion.usage
        tokens = (
            usage.total_tokens if usage else request.prompt_tokens + approx_tokens(content or "")
        )
        await reservation.settle(tokens)
        try:
            out = parse_answer(content)
        except AnswerError as exc:
            log.warning(
                "llm answer unusable",
                extra={"story": story.id, "reason": str(exc), "error": str(exc.__cause__)[:500]},
            )
            return str(exc)
        checked = check(out.quotes, out.companies, story.articles, key_quotes=limits.key_quotes)
        if checked.dropped_quotes or checked.dropped_speakers or checked.dropped_companies:
            log.info(
                "llm answer failed checks",
                extra={
                    "story": story.id,
                    "dropped_quotes": checked.dropped_quotes,
                    "dropped_speakers": checked.dropped_speakers,
                    "dropped_companies": checked.dropped_companies,
                },
            )
        summary = Summary(
            sentences=out.summary,
            quotes=checked.quotes,
            all_quotes=checked.all_quotes,
            companies=checked.companies,
            summarizer=self.name,
        )
        await self._cache.put(key, summary)
        log.info(
            "llm summarized story",
            extra={
                "story": story.id,
                "model": self._settings.model,
                "prompt": self._prompt.version,
                "articles": len(story.articles),
                "tokens": tokens,
                "seconds": round(time.monotonic() - started, 2),
            },
        )
        return summary

    async def _call(self, messages: list[dict[str, str]]) -> Any:
        """One chat completion, retried within the limits; raises _Failed with the reason."""
        limits = self._limits
        json_mode = self._json_mode
        rate_limited = server_errors = 0
        while True:
            try:
                async with asyncio.timeout(self._settings.timeout_seconds):
                    completion = await self._create(messages, json_mode)
                if json_mode != self._json_mode:
                    self._json_mode = json_mode  # asking without JSON mode worked: keep it off
                return completion
            except (openai.APITimeoutError, TimeoutError):
                raise _Failed("timeout") from None
            except openai.BadRequestError as exc:
                if not json_mode:
                    raise _Failed("request rejected (HTTP 400)") from exc
                log.info("llm server rejected JSON mode; asking without it", extra=_error(exc))
                json_mode = False
            except openai.RateLimitError as exc:
                delay = retry_after(exc.response.headers)
                if exc.code == "insufficient_quota":
                    raise _Failed("API quota exhausted (HTTP 429)") from exc
                if rate_limited >= limits.rate_limit_retries or (
                    delay is not None and delay > limits.max_retry_after_seconds
                ):
                    raise _Failed("rate limited (HTTP 429)") from exc
                rate_limited += 1
                delay = limits.backoff_seconds if delay is None else max(0.0, delay)
                log.info("llm rate limited; retrying", extra={**_error(exc), "retry_in": delay})
                await asyncio.sleep(delay)
            except (openai.InternalServerError, openai.APIConnectionError) as exc:
                status = getattr(exc, "status_code", None)
                what = f"server error (HTTP {status})" if status else "connection failed"
                if server_errors >= limits.server_error_retries:
                    raise _Failed(what) from exc
                delay = limits.backoff_seconds * 2**server_errors
                server_errors += 1
                log.info("llm %s; retrying", what, extra={**_error(exc), "retry_in": delay})
                await asyncio.sleep(delay)
            except openai.APIStatusError as exc:
                raise _Failed(f"HTTP {exc.status_code}") from exc
            except openai.OpenAIError as exc:
                raise _Failed(f"API error ({type(exc).__name__})") from exc

    async def _create(self, messages: list[dict[str, str]], json_mode: bool) -> Any:
        extra: dict[str, Any] = {}
        if json_mode:
            extra["response_format"] = {"type": "json_object"}
        if self._limits.max_output_tokens is not None:
            extra["max_tokens"] = self._limits.max_output_tokens
        return await self._client.chat.completions.create(
            model=self._settings.model,
            messages=messages,  # type: ignore[arg-type]
            temperature=0,
            **extra,
        )

    async def _fall_back(self, story: Story, sentences: int, reason: str) -> Summary:
        log.warning(
            "llm summarizer fell back",
            extra={
                "story": story.id,
                "reason": reason,
                "fallback": self._fallback.name,
                "model": self._settings.model,
            },
        )
        summary = await self._fallback.summarize(story, sentences=sentences)
        return replace(summary, note=f"llm fell back: {reason}")


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks to wait: retry-after-ms, retry-after (seconds or HTTP date)."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))


def _error(exc: openai.APIError) -> dict[str, Any]:
    # The exception's message and code only: never the request, whose headers hold the key.
    return {"status": getattr(exc, "status_code", None), "code": exc.code, "error": exc.message}
