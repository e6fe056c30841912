"""The rows of article_companies: the companies an article mentions, as the store keeps them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.models import CompanyMention

MAX_NAME_CHARS = 200


def clean_name(name: str) -> str:
    """A company name as stored: one space between words, nothing PostgreSQL refuses."""
    # NUL and lone surrogates cannot be sent to PostgreSQL (or encoded at all).
    name = name.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    return " ".join(name.split())


def company_rows(
    article_id: int, mentions: list[CompanyMention], published_at: datetime | None
) -> list[dict[str, Any]]:
    """The article_companies rows of one article: one per cleaned name, the best mention."""
    rows: dict[str, dict[str, Any]] = {}
    for m in mentions:
        name = clean_name(m.name)[:MAX_NAME_CHARS]
        if name and (name not in rows or rows[name]["score"] < m.score):
            rows[name] = {
                "article_id": article_id,
                "company": name,
                "known": m.known,
                "mentions": m.count,
                "first_offset": m.first_offset,
                "in_title": m.in_title,
                "score": m.score,
                "published_at": published_at,
            }
    return list(rows.values())
