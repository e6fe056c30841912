"""A company's place in the news over a period: stories and sources per day, and the peak days.

Pure: the articles naming the company in, a `Trend` out. A story counts once, on the day (in the
reader's time zone) of its first article in the period that names the company; a day's sources
are the distinct outlets that published such an article that day. A peak is a day standing well
above the company's usual day (see `_peak_days`), labelled with its top story: the one most
outlets covered that day.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.models import CompanyArticle

PERIODS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_PERIOD = "30d"
MAX_PEAKS = 3
MAX_COMPANIES = 4
_PERIOD = re.compile(r"^(\d{1,3})\s*(d|days?|w|weeks?)$", re.IGNORECASE)


def parse_period(text: str) -> int | None:
    """Days in a period such as "30d", "7 days" or "2w"; None when it is not one of 7, 30, 90."""
    match = _PERIOD.match(text.strip())
    if not match:
        return None
    days = int(match.group(1)) * (7 if match.group(2).lower().startswith("w") else 1)
    return days if days in PERIODS.values() else None


@dataclass(frozen=True, slots=True)
class TrendDay:
    """One day of the period: stories first reported that day, distinct outlets that day."""

    day: date
    stories: int
    sources: int


@dataclass(frozen=True, slots=True)
class Peak:
    """A peak day and its top story."""

    day: date
    story_id: int | None
    title: str
    url: str | None
    stories: int


@dataclass(slots=True)
class Trend:
    """A company's stories per day over `len(days)` days ending today (the reader's today)."""

    company: str
    zone: ZoneInfo
    days: list[TrendDay]
    peaks: list[Peak] = field(default_factory=list)
    top: Peak | None = None  # the period's most covered story
    previous: int | None = None  # stories in the period before, when the store still holds it

    @property
    def total(self) -> int:
        """Stories in the period."""
        return sum(d.stories for d in self.days)

    def to_json(self) -> dict[str, Any]:
        """The `newsbot trend --json` contract, exactly: {"company", "days": [{"date",
        "stories", "sources"}], "peaks": [{"date", "story_id", "title"}]}."""
        return {
            "company": self.company,
            "days": [
                {"date": d.day.isoformat(), "stories": d.stories, "sources": d.sources}
                for d in self.days
            ],
            "peaks": [
                {"date": p.day.isoformat(), "story_id": p.story_id, "title": p.title}
                for p in self.peaks
            ],
        }


def period_bounds(days: int, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The period's start (midnight, `days - 1` days before today, in `zone`) and end (now)."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    return datetime.combine(first, time(), tzinfo=zone), now


def build_trend(
    company: str,
    articles: list[CompanyArticle],
    *,
    days: int,
    zone: ZoneInfo,
    now: datetime,
    previous: int | None = None,
) -> Trend:
    """The trend of `company` from the articles that name it (any order, any period: articles
    outside the period are ignored)."""
    start, end = period_bounds(days, zone, now)
    first_day = start.date()
    story_day: dict[int, date] = {}
    story_sources: dict[int, set[str]] = defaultdict(set)
    story_lead: dict[int, CompanyArticle] = {}
    day_sources: dict[date, set[str]] = defaultdict(set)
    for article in sorted(articles, key=lambda a: (a.published, a.article_id)):
        if not start <= article.published < end:
            continue
        day = article.published.astimezone(zone).date()
        key = story_key(article)
        story_day.setdefault(key, day)
        story_lead.setdefault(key, article)
        story_sources[key].add(article.source)
        day_sources[day].add(article.source)
    per_day: dict[date, list[int]] = defaultdict(list)
    for key, day in story_day.items():
        per_day[day].append(key)
    calendar = [first_day + timedelta(days=i) for i in range(days)]
    trend = Trend(
        company=company,
        zone=zone,
        days=[TrendDay(d, len(per_day[d]), len(day_sources[d])) for d in calendar],
        previous=previous,
    )

    def peak(day: date, keys: list[int]) -> Peak:
        lead = story_lead[_best(keys, story_sources, story_lead)]
        return Peak(day, lead.story_id, lead.title, lead.url, len(per_day[day]))

    if story_day:
        best = _best(list(story_day), story_sources, story_lead)
        trend.top = peak(story_day[best], [best])
    trend.peaks = [peak(d.day, per_day[d.day]) for d in _peak_days(trend.days)]
    return trend


def story_key(article: CompanyArticle) -> int:
    """The article's story id, or minus its id while it is in no story."""
    return article.story_id if article.story_id is not None else -article.article_id


def _best(keys: list[int], sources: dict[int, set[str]], leads: dict[int, CompanyArticle]) -> int:
    return max(keys, key=lambda k: (len(sources[k]), -leads[k].article_id))


def _peak_days(days: list[TrendDay]) -> list[TrendDay]:
    """Days standing out of the company's usual day: at least two stories, twice the median day
    and three median absolute deviations above it. The highest MAX_PEAKS, in date order."""
    if not days:
        return []
    counts = [d.stories for d in days]
    median = statistics.median(counts)
    spread = statistics.median(abs(c - median) for c in counts)
    floor = max(2.0, 2 * median, median + 3 * spread)
    high = [d for d in days if d.stories >= floor]
    high.sort(key=lambda d: (-d.stories, d.day))
    return sorted(high[:MAX_PEAKS], key=lambda d: d.day)


def change_text(trend: Trend) -> str:
    """How the period compares with the one before it: "up 40% on the 30 days before"."""
    if trend.previous is None:
        return ""
    now, before, days = trend.total, trend.previous, len(trend.days)
    if before == 0:
        return f"none in the {days} days before" if now else ""
    pct = round(100 * (now - before) / before)
    if pct == 0:
        return f"about as many as in the {days} days before"
    return f"{'up' if pct > 0 else 'down'} {abs(pct)}% on the {days} days before"
