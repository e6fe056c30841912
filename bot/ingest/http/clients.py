"""The HTTP clients the [ingest] settings configure, built in one place."""

from __future__ import annotations

from typing import Any

from bot.config_sections import IngestSettings
from bot.ingest.http.fetch import Fetcher
from bot.ingest.http.guard import UrlGuard
from bot.ingest.http.transport import guarded_fetcher


def cli_guard(ingest: IngestSettings) -> UrlGuard:
    """The SSRF guard for links given on the command line: ``[ingest] allow_private``, as
    for chats and polls. Quiet: the command prints each refusal itself, on one line."""
    return UrlGuard(ingest.allow_private, log_refusals=False)


def fetcher_options(ingest: IngestSettings) -> dict[str, Any]:
    """The Fetcher's keyword options from [ingest]: agent, timeouts, size and redirect caps."""
    return {
        "user_agent": ingest.user_agent,
        "timeout": ingest.timeout_seconds,
        "max_bytes": ingest.max_body_bytes,
        "max_redirects": ingest.max_redirects,
        "per_host": ingest.per_host_concurrency,
        "deadline": ingest.request_deadline_seconds,
    }


def configured_fetcher(ingest: IngestSettings, guard: UrlGuard | None = None) -> Fetcher:
    """A Fetcher configured from [ingest]; with a guard, it vets every hop."""
    options = fetcher_options(ingest)
    return Fetcher(**options) if guard is None else guarded_fetcher(guard, **options)
