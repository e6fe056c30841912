"""A generated month of news about one company, for /trend's tests and the README's pictures.

Each event draws its own place, product, made-up partner and sentences, so that events share
nothing but the company (a shared template would read as one syndicated story); each is told by
one to three outlets a few hours apart. Pure: articles out, nothing stored.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.ingest.poll import content_hash
from bot.models import Article, TextSource

OUTLETS = ("Daily Ledger", "Circuit Wire", "Harbour Times")
WORDS = json.loads((Path(__file__).parent / "month_words.json").read_text(encoding="utf-8"))
PEAK_DAY = 20  # days ago: the day eight stories break at once


def _word(rng: random.Random) -> str:
    """A made-up name (a project, a partner): what makes one real event unlike another."""
    return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))


def _event(rng: random.Random, n: int, company: str) -> tuple[str, str]:
    place = WORDS["places"][n % len(WORDS["places"])]
    thing, deed = rng.choice(WORDS["things"]), rng.choice(WORDS["deeds"])
    project, partner, chief = _word(rng).capitalize(), _word(rng).capitalize(), _word(rng)
    sentences = [
        f"{company} {deed} its {thing} business in {place} on {rng.choice(WORDS['when'])}.",
        f"The {project} project is run with {partner}, a local {thing} maker.",
    ]
    for _ in range(3):
        who, felt = rng.choice(WORDS["who"]), rng.choice(WORDS["felt"])
        about = rng.sample(WORDS["about"], 2)
        sentences.append(
            f"{who.capitalize()} in {place} were {felt} about {about[0]} and {about[1]}, "
            f"{chief.capitalize()} of {partner} said of {project}."
        )
    return f"{company} {deed} {thing} business in {place} with {partner}", " ".join(sentences)


def _last_noon(now: datetime) -> datetime:
    """The latest 12:00 UTC not after ``now``."""
    return (now - timedelta(hours=12)).replace(hour=12, minute=0, second=0, microsecond=0)


def news_day(now: datetime, ago: int) -> date:
    """The date of the news :func:`month_of_articles` tells ``ago`` days back: each day's news
    falls between 03:00 and 11:20 UTC, the same date from UTC-3 to UTC+12 (a day's stories stay
    on one day on a chat's clock, whatever the hour is now)."""
    return (_last_noon(now) - timedelta(days=ago)).date()


def month_of_articles(
    now: datetime, company: str = "Huawei", *, seed: int = 7, peak_day: int = PEAK_DAY
) -> list[Article]:
    """About a month of news about `company`: one or two stories most days, eight on the day
    `peak_day` days ago."""
    rng = random.Random(seed)
    out: list[Article] = []
    n = 0
    for ago in range(29, -1, -1):
        for _ in range(8 if ago == peak_day else rng.choice((0, 1, 1, 2))):
            n += 1
            title, body = _event(rng, n, company)
            noon = _last_noon(now) - timedelta(days=ago)
            when = noon - timedelta(hours=rng.randint(2, 9))
            for k, outlet in enumerate(OUTLETS[: rng.randint(1, 3)]):
                at = when + timedelta(minutes=40 * k)
                out.append(
                    Article(
                        url=f"https://{outlet.split()[0].lower()}.test/{company.lower()}/{n}",
                        title=title if k == 0 else f"{title}, {outlet} reports",
                        text=body,
                        source=outlet,
                        text_source=TextSource.PAGE,
                        content_hash=content_hash(body + outlet),
                        published=at,
                        fetched_at=at,
                    )
                )
    return out
