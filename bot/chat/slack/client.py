"""The Slack Web API client newsbot posts with: the configured base URL, 429s waited out (and
counted in the metrics), one retry of a dropped connection."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.config import Settings


def web_client(settings: Settings, token: str, *, max_retries: int = 3) -> AsyncWebClient:
    """The Web API client: the configured base URL, 429 Retry-After honoured, one retry of a
    dropped connection."""
    return AsyncWebClient(
        token=token,
        base_url=settings.slack.base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            _CountedRateLimits(max_retry_count=max_retries),
        ],
    )


class _CountedRateLimits(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (waits out Retry-After), each 429 counted in the metrics."""

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:  # type: ignore[no-untyped-def]
        limited = response is not None and response.status_code == 429
        if limited:
            metrics.RATE_LIMITED.labels("slack").inc()
        return limited
