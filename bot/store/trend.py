"""The articles that name a company over a period: what /trend counts per day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select

from bot.models import CompanyArticle
from bot.store.schema import article_companies, articles
from bot.store.store import Store

# A company in the news every hour of 90 days is about 2,000 articles; far beyond that the
# chart's shape is known and only memory would grow.
MAX_ROWS = 50_000


async def company_articles(
    store: Store, company: str, since: datetime, until: datetime
) -> list[CompanyArticle]:
    """Articles naming `company` (its canonical name) published in [since, until), oldest first.

    Reads at most MAX_ROWS articles, the newest ones when there are more.
    """
    mention = article_companies.c
    query = (
        select(
            articles.c.id,
            articles.c.story_id,
            articles.c.title,
            articles.c.source,
            articles.c.url,
            mention.published_at,
        )
        .select_from(article_companies.join(articles, articles.c.id == mention.article_id))
        .where(
            and_(
                mention.company == company,
                mention.published_at >= since,
                mention.published_at < until,
            )
        )
        .order_by(mention.published_at.desc(), mention.article_id.desc())
        .limit(MAX_ROWS)
    )
    async with store.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    found = [
        CompanyArticle(
            article_id=row.id,
            story_id=row.story_id,
            title=row.title,
            source=row.source,
            url=row.url,
            published=row.published_at,
        )
        for row in rows
    ]
    found.reverse()
    return found
