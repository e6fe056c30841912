"""The process's Prometheus metrics, served at /metrics by the status server (bot/web/).

One registry of newsbot's own (not prometheus_client's global one), so that a test reads exactly
what newsbot counted. Counting is cheap and never fails a caller: every stage records its
outcome here and goes on.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

POLLS = Counter(
    "newsbot_polls",
    "Feed polls by outcome (ok, not_modified, failed)",
    ["outcome"],
    registry=REGISTRY,
)
ARTICLES_STORED = Counter("newsbot_articles_stored", "Articles stored", registry=REGISTRY)
STORIES_OPENED = Counter("newsbot_stories_opened", "New stories opened", registry=REGISTRY)
DIGESTS_PLANNED = Counter("newsbot_digests_planned", "Scheduled digests planned", registry=REGISTRY)
PARTS = Counter(
    "newsbot_digest_parts",
    "Digest parts by platform and outcome (sent, failed, retried)",
    ["platform", "outcome"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "newsbot_rate_limited", "429 answers from a chat platform", ["platform"], registry=REGISTRY
)
LLM_TOKENS = Counter("newsbot_llm_tokens", "LLM tokens spent", registry=REGISTRY)
COMMAND_SECONDS = Histogram(
    "newsbot_command_seconds",
    "Time to answer a chat command",
    ["command"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)


def exposition() -> bytes:
    """Every metric in Prometheus' text format."""
    return generate_latest(REGISTRY)
