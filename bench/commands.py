"""Chat command latency: /company and /ask over a large store, against a naive full scan.

Data: --articles (default 100,000) news articles generated deterministically (seeded) from
realistic templates over the companies of config/companies.toml: events (results, launches,
deals, layoffs, fines, ...) each reported by 1-6 outlets, 4-8 sentences with companies, people,
numbers and places, spread over the last 60 days. They are stored through the store's write path
(Store.store_articles, in batches). Companies are found by the real Gazetteer; stories are the
generated events, written in bulk (the full StoryIndexer writes several transactions per article,
too slow for 100,000 articles: use --indexer real to time it anyway). PostgreSQL is ANALYZEd.

Ours: CommandCore.handle on parsed commands, in-process, with the extractive summarizer and no
LLM: `/company NAME` (names, aliases, lower case) and `/ask QUESTION` (built from the templates).
Baseline, same data, same run, interleaved: `/company` as text LIKE '%NAME%' ORDER BY published
DESC LIMIT 5; `/ask` as LIKE over each of the question's words (OR), newest first, LIMIT 10
(ILIKE on PostgreSQL, so both backends match case-insensitively, as SQLite's LIKE does).
Targets: /company p95 <= 50 ms, /ask p95 <= 200 ms, on SQLite and on PostgreSQL.

PostgreSQL: a scratch database newsbot_bench is created on the server of
NEWSBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) and dropped after.

Run: make bench   (or .venv/bin/python bench/commands.py [--articles N] [--backend B] ...)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import chat_fetcher_factory  # noqa: E402
from bot.chat.command import ChatContext, parse_command  # noqa: E402
from bot.chat.core import CommandCore  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.models import Article, TextSource  # noqa: E402
from bot.nlp.companies import CompanyMention, Gazetteer  # noqa: E402
from bot.nlp.indexer import StoryIndexer  # noqa: E402
from bot.store import Store, utcnow  # noqa: E402
from bot.store.news import NewsIndex, search_terms  # noqa: E402
from bot.store.news import company_rows as index_rows  # noqa: E402
from bot.store.schema import article_companies, articles, stories  # noqa: E402
from bot.summarize.embedded import ExtractiveSummarizer  # noqa: E402

COMPANIES = ROOT / "config" / "companies.toml"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
SCRATCH_DB = "newsbot_bench"
TARGETS = {"company": 50.0, "ask": 200.0}
DAYS = 60
BATCH = 1000
CONTEXT = ChatContext("bench", "bench-chat", "bench-user")

# -- generated news ----------------------------------------------------------------------------

OUTLETS = [
    ("Reuters", "reuters.example"),
    ("Bloomberg", "bloomberg.example"),
    ("Financial Times", "ft.example"),
    ("The Wall Street Journal", "wsj.example"),
    ("Nikkei Asia", "asia.nikkei.example"),
    ("South China Morning Post", "scmp.example"),
    ("The Verge", "theverge.example"),
    ("TechCrunch", "techcrunch.example"),
    ("CNBC", "cnbc.example"),
    ("Handelsblatt", "handelsblatt.example"),
    ("Les Echos", "lesechos.example"),
    ("The Korea Herald", "koreaherald.example"),
    ("Caixin", "caixin.example"),
    ("Ars Technica", "arstechnica.example"),
    ("The Guardian", "theguardian.example"),
    ("Associated Press", "apnews.example"),
]
PLACES = [
    "Shenzhen",
    "Shanghai",
    "Beijing",
    "Tokyo",
    "Seoul",
    "Taipei",
    "Singapore",
    "Mumbai",
    "Bangalore",
    "Berlin",
    "Munich",
    "Paris",
    "London",
    "Amsterdam",
    "Madrid",
    "Milan",
    "Warsaw",
    "Stockholm",
    "Dublin",
    "New York",
    "Austin",
    "Seattle",
    "Phoenix",
    "Detroit",
    "Toronto",
    "Mexico City",
    "Sao Paulo",
    "Dubai",
    "Riyadh",
    "Johannesburg",
    "Sydney",
    "Jakarta",
    "Hanoi",
    "Bangkok",
    "Istanbul",
    "Brussels",
]
REGIONS = [
    "Europe",
    "Asia",
    "Latin America",
    "the Middle East",
    "Africa",
    "North America",
    "India",
    "China",
    "Japan",
    "the United States",
    "Southeast Asia",
]
FIRST = [
    "Anna",
    "David",
    "Maria",
    "James",
    "Li",
    "Wei",
    "Sofia",
    "Daniel",
    "Yuki",
    "Hiroshi",
    "Min-jun",
    "Priya",
    "Rahul",
    "Elena",
    "Marco",
    "Claire",
    "Thomas",
    "Fatima",
    "Omar",
    "Laura",
    "Peter",
    "Chen",
    "Ingrid",
    "Lucas",
    "Nadia",
    "Sarah",
    "Kenji",
    "Ji-woo",
]
LAST = [
    "Schmidt",
    "Rossi",
    "Garcia",
    "Wang",
    "Zhang",
    "Tanaka",
    "Kim",
    "Park",
    "Sharma",
    "Patel",
    "Dubois",
    "Martin",
    "Novak",
    "Johansson",
    "Okafor",
    "Haddad",
    "Miller",
    "Brown",
    "Nakamura",
    "Silva",
    "Kowalski",
    "Larsen",
    "Chen",
    "Moreau",
    "Fischer",
]
FIRMS = [
    "Morningstar",
    "Bernstein",
    "Jefferies",
    "Counterpoint Research",
    "IDC",
    "Gartner",
    "Canalys",
    "TrendForce",
    "Moody's",
    "Evercore",
    "Wedbush",
    "UBS",
]
PRODUCTS = [
    "smartphone",
    "foldable phone",
    "AI chip",
    "data-centre processor",
    "electric SUV",
    "battery cell",
    "cloud platform",
    "language model",
    "laptop",
    "satellite service",
    "weight-loss drug",
    "payment app",
    "streaming service",
    "memory chip",
    "robotaxi",
    "5G base station",
    "smart glasses",
    "gaming console",
    "wind turbine",
    "vaccine",
]
SUFFIXES = ["Systems", "Labs", "Energy", "Semiconductor", "Bio"]
QUARTERS = ["first", "second", "third", "fourth"]
AGENCIES = [
    "the European Commission",
    "the US Federal Trade Commission",
    "China's SAMR",
    "Britain's CMA",
    "Japan's Fair Trade Commission",
    "India's CCI",
    "the US Department of Justice",
    "Germany's cartel office",
]

# Per event kind: (headlines, lead sentences, body sentences, questions). The fields a template
# uses are the event's, so every report of an event tells the same facts in other words.
KINDS: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "results": (
        [
            "{co} {verb_q} {quarter}-quarter profit as {product} sales {move}",
            "{co} revenue {move} {pct}% to ${bn} billion",
            "{co} results beat forecasts on {product} demand",
            "{co} shares {move_s} after {quarter}-quarter results",
        ],
        [
            "{co} said on {day} that revenue {move} {pct}% to ${bn} billion in the {quarter} "
            "quarter, helped by demand for its {product}.",
            "{co} reported {quarter}-quarter revenue of ${bn} billion on {day}, {pct}% "
            "{dir} a year earlier.",
        ],
        [
            "Net profit came to ${m} million, against ${m2} million a year ago.",
            "Analysts polled by {firm} had expected revenue of ${bn2} billion.",
            "Sales in {region} {move} {pct2}%, the company said.",
            "Chief financial officer {person2} told analysts the outlook for the {next} quarter "
            'was "{tone}".',
            "Shares of {co} {move_s} {pct3}% in early trading in {place}.",
        ],
        [
            "How did {co} do in the {quarter} quarter?",
            "What was {co}'s revenue last quarter?",
            "Why did {co} shares {move_base}?",
            "Did {co} beat forecasts?",
        ],
    ),
    "launch": (
        [
            "{co} unveils new {product} in {place}",
            "{co} launches {product} to take on {co2}",
            "{co} bets on {product} with {region} launch",
            "First look: {co}'s new {product}",
        ],
        [
            "{co} unveiled a new {product} at an event in {place} on {day}, its first since "
            "{person} outlined the plan last year.",
            "{co} on {day} launched a {product} aimed at {region}, stepping up competition with "
            "{co2}.",
        ],
        [
            "The {product} will cost about ${price} and go on sale in {n} markets next month.",
            '"This is the most important launch in our history," {person} said on stage.',
            "{co} expects to ship {k} million units in the first year, according to {firm}.",
            "The launch puts {co} in direct competition with {co2} in {region}.",
            "Production will take place at a plant near {place2}.",
        ],
        [
            "What did {co} launch in {place}?",
            "What did {co} announce?",
            "How much will the new {co} {product} cost?",
            "Is {co} competing with {co2}?",
        ],
    ),
    "deal": (
        [
            "{co} to buy {co2} unit for ${bn} billion",
            "{co} agrees ${bn} billion deal for {target}",
            "{co} wins approval for {target} takeover",
            "{co} deal for {target} faces scrutiny in {region}",
        ],
        [
            "{co} agreed on {day} to buy {target} for ${bn} billion in cash and shares, its "
            "largest acquisition since {year}.",
            "{co} said it would acquire {target}, a {product} maker based in {place}, for "
            "${bn} billion.",
        ],
        [
            "The deal values {target} at a premium of {pct}% to its last closing price.",
            "{person} said the acquisition would add to earnings within {n} years.",
            "The transaction needs approval from {agency} and is expected to close in {year2}.",
            "Advisers on the deal include {firm}, according to people familiar with the matter.",
            "{target} employs about {staff} people, mostly in {place}.",
        ],
        [
            "How much did {co} pay for {target}?",
            "Who is {co} buying?",
            "When will the {co} deal for {target} close?",
            "Why is {co} buying {target}?",
        ],
    ),
    "layoffs": (
        [
            "{co} to cut {staff} jobs in {region}",
            "{co} announces layoffs as {product} demand slows",
            "{co} job cuts hit {place} plant",
            "Unions protest {co} restructuring plan",
        ],
        [
            "{co} will cut about {staff} jobs, or {pct}% of its workforce, the company said on "
            "{day}, as demand for its {product} slows.",
            "{co} on {day} announced a restructuring that will eliminate {staff} positions, many "
            "of them at its site in {place}.",
        ],
        [
            "The cuts are expected to save ${m} million a year from {year2}.",
            '{person} said the decision was "painful but necessary".',
            'Union leader {person2} called the plan "a betrayal of the workers in {place}".',
            "{co} had already reduced its headcount by {pct2}% last year.",
            "Shares of {co} {move_s} {pct3}% after the announcement.",
        ],
        [
            "How many jobs is {co} cutting?",
            "Why is {co} laying off workers?",
            "Where will {co} cut jobs?",
            "What did unions say about {co} layoffs?",
        ],
    ),
    "fine": (
        [
            "{agency_t} fines {co} ${m} million",
            "{co} hit with ${m} million penalty over {issue}",
            "{co} to appeal {agency_t} ruling",
            "Regulators widen probe into {co}",
        ],
        [
            "{agency_u} fined {co} ${m} million on {day} over {issue}, the latest in a series of "
            "cases against the company.",
            "{co} was ordered to pay ${m} million after {agency} found it breached rules on "
            "{issue}.",
        ],
        [
            '{co} said it would appeal and that it had "always complied with the law".',
            "The investigation began in {year} after complaints from rivals including {co2}.",
            "{person2}, who led the inquiry, said the practices had harmed consumers in {region}.",
            "The fine equals about {pct}% of {co}'s annual revenue in the region.",
            "Lawyers expect the appeal to take {n} years.",
        ],
        [
            "Why was {co} fined?",
            "How much did regulators fine {co}?",
            "Will {co} appeal the fine?",
            "What did {agency} say about {co}?",
        ],
    ),
    "factory": (
        [
            "{co} to build ${bn} billion plant in {place}",
            "{co} picks {place} for new {product} factory",
            "{co} expands production in {region}",
            "{co} factory plan wins subsidies",
        ],
        [
            "{co} will invest ${bn} billion in a new {product} factory in {place}, creating "
            "about {staff} jobs, the company said on {day}.",
            "{co} chose {place} for a plant that will make {product}s from {year2}, it said on "
            "{day}.",
        ],
        [
            "The government of {country} will contribute ${m} million in subsidies.",
            "{person} said the site would supply customers across {region}.",
            "Construction starts next year and output should reach {k} million units a year.",
            "Local officials including mayor {person2} welcomed the investment.",
            "Rival {co2} opened a similar plant in {place2} last year.",
        ],
        [
            "Where is {co} building a factory?",
            "How much will {co} invest in {place}?",
            "When will the {co} plant open?",
            "How many jobs will the {co} factory create?",
        ],
    ),
    "ceo": (
        [
            "{co} names {newboss} chief executive",
            "{co} CEO steps down after {n} years",
            "{newboss} to lead {co} from {month}",
            "Shake-up at the top of {co}",
        ],
        [
            "{co} named {newboss} as chief executive on {day}, replacing {person}, who led the "
            "company for {n} years.",
            "{person} will step down as head of {co} in {month}, the company said on {day}, "
            "handing over to {newboss}.",
        ],
        [
            "{newboss} previously ran the company's business in {region}.",
            "The board said it had considered {k} candidates over six months.",
            '"{co} is in great shape," {person} said in a statement.',
            "Investors had pushed for change after shares fell {pct}% this year.",
            'Analyst {person2} of {firm} called the choice "a safe pair of hands".',
        ],
        [
            "Who is the new CEO of {co}?",
            "Why did the {co} chief executive step down?",
            "Who will lead {co}?",
            "When does {newboss} take over at {co}?",
        ],
    ),
    "outage": (
        [
            "{co} services restored after global outage",
            "{co} says {issue} caused outage",
            "{co} hit by cyberattack in {region}",
            "{co} data breach affects {k} million users",
        ],
        [
            "{co} said on {day} that it had restored its {product} after an outage of {n} hours "
            "that hit users in {region}.",
            "A breach at {co} exposed data of about {k} million customers, the company said on "
            "{day}.",
        ],
        [
            "Engineers traced the problem to a faulty update at a data centre in {place}.",
            "{person} apologised to customers and promised compensation.",
            "Security researcher {person2} said the attack bore hallmarks of a known group.",
            "Regulators in {region} said they were looking into the incident.",
            "Shares of {co} {move_s} {pct3}% on the news.",
        ],
        [
            "What caused the {co} outage?",
            "How many users were affected by the {co} breach?",
            "Did {co} restore its services?",
            "What happened to {co} in {region}?",
        ],
    ),
    "partnership": (
        [
            "{co} and {co2} team up on {product}",
            "{co} signs {product} deal with {co2}",
            "{co2} to supply {co} with {product}s",
            "{co} partners with {co2} in {region}",
        ],
        [
            "{co} and {co2} agreed on {day} to work together on {product}s for customers in "
            "{region}, in a deal worth about ${bn} billion.",
            "{co} signed a {n}-year agreement with {co2} to buy {product}s, the companies said "
            "on {day}.",
        ],
        [
            "The partnership will start with a pilot in {place}.",
            '{person} said the deal would "change how the industry works".',
            "{co2} shares rose {pct3}% after the announcement.",
            "Analysts at {firm} estimated the deal could add ${m} million in annual sales.",
            "The companies did not disclose financial details beyond the headline figure.",
        ],
        [
            "What did {co} agree with {co2}?",
            "Why are {co} and {co2} working together?",
            "How much is the {co} {co2} deal worth?",
            "What is {co} doing with {co2}?",
        ],
    ),
}
GENERIC = [
    "The company is based in {hq} and employs about {staff2} people worldwide.",
    "Its shares have {move_ytd} {pct4}% so far this year.",
    "{co} did not respond to a request for further comment.",
    "The news comes as competition in {region} intensifies.",
    'Analyst {analyst} of {firm} said the move was "{tone}".',
]
VERB_Q = {"rose": "beats forecasts with", "fell": "misses forecasts on"}


@dataclass(slots=True)
class Company:
    name: str
    aliases: list[str]
    people: list[str]


@dataclass(slots=True)
class Event:
    kind: str
    company: Company
    at: datetime
    facts: dict[str, str]
    reports: int
    ids: list[int] = field(default_factory=list)


def load_companies() -> list[Company]:
    with COMPANIES.open("rb") as handle:
        entries = tomllib.load(handle)["company"]
    return [Company(e["name"], list(e["aliases"]), list(e["people"])) for e in entries]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def make_event(rng: random.Random, companies: list[Company], at: datetime) -> Event:
    company = rng.choice(companies)
    other = rng.choice([c for c in companies if c is not company])
    kind = rng.choice(list(KINDS))
    up = rng.random() < 0.55
    move = "rose" if up else "fell"
    person = rng.choice(company.people) if company.people else _person(rng)
    agency = rng.choice(AGENCIES)
    place = rng.choice(PLACES)
    facts = {
        "co": company.name,
        "co2": other.name,
        "person": person,
        "person2": _person(rng),
        "analyst": _person(rng),
        "newboss": _person(rng),
        "place": place,
        "place2": rng.choice(PLACES),
        "hq": rng.choice(PLACES),
        "region": rng.choice(REGIONS),
        "country": rng.choice(
            [
                "Germany",
                "Hungary",
                "Mexico",
                "India",
                "Vietnam",
                "Poland",
                "Spain",
                "Japan",
                "the United States",
                "Malaysia",
            ]
        ),
        "product": rng.choice(PRODUCTS),
        "firm": rng.choice(FIRMS),
        "quarter": rng.choice(QUARTERS),
        "next": rng.choice(QUARTERS),
        "move": move,
        "move_s": move,
        "move_base": "rise" if up else "fall",
        "dir": "up from" if up else "down from",
        "verb_q": VERB_Q[move],
        "move_ytd": rng.choice(["gained", "lost"]),
        "tone": rng.choice(
            ["cautiously optimistic", "challenging", "a bold bet", "overdue", "encouraging"]
        ),
        "pct": str(rng.randint(2, 40)),
        "pct2": str(rng.randint(2, 30)),
        "pct3": f"{rng.uniform(0.5, 12):.1f}",
        "pct4": str(rng.randint(3, 60)),
        "bn": f"{rng.uniform(0.4, 95):.1f}",
        "bn2": f"{rng.uniform(0.4, 95):.1f}",
        "m": str(rng.randint(20, 4000)),
        "m2": str(rng.randint(20, 4000)),
        "price": str(rng.randint(199, 2499)),
        "n": str(rng.randint(2, 12)),
        "k": str(rng.randint(2, 90)),
        "staff": f"{rng.randint(3, 150) * 100:,}",
        "staff2": f"{rng.randint(5, 600) * 1000:,}",
        "year": str(rng.randint(2012, 2023)),
        "year2": str(rng.randint(2025, 2028)),
        "month": rng.choice(
            ["January", "March", "April", "June", "September", "October", "December"]
        ),
        "agency": agency,
        "agency_u": agency[0].upper() + agency[1:],
        "agency_t": agency.removeprefix("the ").split("'s ")[0].title()
        if "'s " in agency
        else agency.removeprefix("the "),
        "issue": rng.choice(
            [
                "data privacy",
                "app store rules",
                "misleading advertising",
                "competition law",
                "a software fault",
                "cloud licensing",
                "late payments to suppliers",
                "emissions reporting",
            ]
        ),
        "target": f"{other.name}'s {rng.choice(PRODUCTS)} business"
        if rng.random() < 0.5
        else f"{rng.choice(LAST)} {rng.choice(SUFFIXES)}",
        "day": at.strftime("%A"),
    }
    reports = min(6, max(1, int(rng.expovariate(0.45)) + 1))
    return Event(kind, company, at, facts, reports)


def write_article(rng: random.Random, event: Event, serial: int) -> tuple[Article, str]:
    headlines, leads, body, _ = KINDS[event.kind]
    facts = dict(event.facts)
    title = rng.choice(headlines).format(**facts)
    sentences = [rng.choice(leads).format(**facts)]
    count = rng.randint(3, 7)
    pool = body + GENERIC
    for template in rng.sample(pool, min(count, len(pool))):
        line = template.format(**facts)
        aliases = event.company.aliases
        if aliases and rng.random() < 0.3 and len(sentences) > 1:
            line = line.replace(event.company.name, rng.choice(aliases), 1)
        sentences.append(line)
    text_ = " ".join(sentences)
    outlet, domain = OUTLETS[rng.randrange(len(OUTLETS))]
    published = event.at + timedelta(minutes=rng.randint(0, 600))
    slug = "-".join(title.lower().split()[:6]).replace("'", "").replace("$", "")
    article = Article(
        url=f"https://{domain}/news/{serial}-{slug}",
        title=title,
        text=text_,
        source=outlet,
        text_source=TextSource.PAGE,
        content_hash=hashlib.sha256(text_.encode()).hexdigest(),
        language="en",
        published=published,
        fetched_at=published + timedelta(minutes=rng.randint(1, 30)),
    )
    return article, f"entry-{serial}"


@dataclass(slots=True)
class Corpus:
    events: list[Event]
    items: list[tuple[Article, str, int]]  # article, entry key, event index
    mentions: list[list[CompanyMention]]


def generate(count: int, seed: int, now: datetime, gazetteer: Gazetteer) -> Corpus:
    rng = random.Random(seed)
    companies = load_companies()
    start = now - timedelta(days=DAYS)
    events: list[Event] = []
    items: list[tuple[Article, str, int]] = []
    while len(items) < count:
        at = start + timedelta(seconds=rng.uniform(0, (DAYS * 86400) - 12 * 3600))
        event = make_event(rng, companies, at)
        events.append(event)
        for _ in range(min(event.reports, count - len(items))):
            article, key = write_article(rng, event, len(items))
            items.append((article, key, len(events) - 1))
    items.sort(key=lambda item: item[0].published)  # type: ignore[arg-type,return-value]
    mentions = [gazetteer.find(a.text, a.title) for a, _, _ in items]
    return Corpus(events, items, mentions)


# -- filling a store ----------------------------------------------------------------------------


async def fill(store: Store, corpus: Corpus, gazetteer: Gazetteer, indexer: str) -> str:
    """Store every article in batches; index companies and stories. Returns how."""
    feeds = {}
    for outlet, domain in OUTLETS:
        feed, _ = await store.add_feed(f"https://{domain}/feed.xml", outlet)
        feeds[outlet] = feed.id
    stored: list[Article] = []
    for start in range(0, len(corpus.items), BATCH):
        batch = [(a, k) for a, k, _ in corpus.items[start : start + BATCH]]
        for article, _ in batch:
            article.feed_id = feeds[article.source]
        new = await store.store_articles(batch)
        if len(new) != len(batch):
            raise SystemExit(f"bench: stored {len(new)} of a batch of {len(batch)}")
        stored.extend(new)
    index = NewsIndex(store)
    if indexer == "real":
        story_indexer = StoryIndexer(gazetteer)
        for start in range(0, len(stored), BATCH):
            await story_indexer.index(index, stored[start : start + BATCH])
        return "companies and stories by the real StoryIndexer"
    await _bulk_index(store, corpus, stored)
    return "companies by the real Gazetteer, stories = generated events, written in bulk"


async def _bulk_index(store: Store, corpus: Corpus, stored: list[Article]) -> None:
    """What StoryIndexer + NewsIndex.save_index write, in bulk: mentions, stories, story ids."""
    members: dict[int, list[Article]] = {}
    company_rows = []
    for (_, _, event), article, mentions in zip(corpus.items, stored, corpus.mentions, strict=True):
        members.setdefault(event, []).append(article)
        company_rows.extend(index_rows(article.id, mentions, article.published))
    now = utcnow()
    groups = list(members.values())
    async with store.engine.begin() as conn:
        for start in range(0, len(company_rows), 5000):
            await conn.execute(article_companies.insert(), company_rows[start : start + 5000])
        story_ids: list[int] = []
        for start in range(0, len(groups), 5000):
            rows = [
                {"created_at": now, "updated_at": now, "lead_article_id": g[0].id}
                for g in groups[start : start + 5000]
            ]
            result = await conn.execute(
                stories.insert().returning(stories.c.id, sort_by_parameter_order=True), rows
            )
            story_ids.extend(int(i) for (i,) in result)
        moves = [
            {"aid": a.id, "sid": sid} for sid, g in zip(story_ids, groups, strict=True) for a in g
        ]
        stmt = (
            update(articles)
            .where(articles.c.id == bindparam("aid"))
            .values(story_id=bindparam("sid"))
        )
        for start in range(0, len(moves), 5000):
            await conn.execute(stmt, moves[start : start + 5000])


# -- queries ------------------------------------------------------------------------------------


def company_queries(rng: random.Random, n: int) -> list[str]:
    companies = load_companies()
    queries = []
    for i in range(n):
        company = rng.choice(companies)
        kind = i % 4
        if kind == 1:
            queries.append(company.name.lower())
        elif kind == 2 and company.aliases:
            alias = rng.choice(company.aliases)
            queries.append(alias if rng.random() < 0.5 else alias.lower())
        else:
            queries.append(company.name)
    return queries


def ask_questions(rng: random.Random, corpus: Corpus, n: int) -> list[str]:
    questions = []
    for _ in range(n):
        event = rng.choice(corpus.events)
        template = rng.choice(KINDS[event.kind][3])
        questions.append(template.format(**event.facts))
    return questions


def _baseline_company(dialect: str, name: str) -> tuple[str, dict[str, Any]]:
    like = "ILIKE" if dialect == "postgresql" else "LIKE"
    sql = (
        f"SELECT id, title, published_at FROM articles WHERE text {like} :p "
        "ORDER BY published_at DESC LIMIT 5"
    )
    return sql, {"p": f"%{name}%"}


def _baseline_ask(dialect: str, question: str) -> tuple[str, dict[str, Any]] | None:
    words = search_terms(question)  # the words ours searches for: same question, naive engine
    if not words:
        return None
    like = "ILIKE" if dialect == "postgresql" else "LIKE"
    where = " OR ".join(f"text {like} :w{i}" for i in range(len(words)))
    sql = (
        f"SELECT id, title, published_at FROM articles WHERE {where} "
        "ORDER BY published_at DESC LIMIT 10"
    )
    return sql, {f"w{i}": f"%{w}%" for i, w in enumerate(words)}


@dataclass(slots=True)
class Timings:
    ours: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    answered: int = 0


async def measure(
    store: Store, core: CommandCore, name: str, queries: list[str], baseline_every: int
) -> Timings:
    timings = Timings()
    build = _baseline_company if name == "company" else _baseline_ask
    for i, query in enumerate(queries):
        command = parse_command(f"/{name} {query}")
        assert command is not None
        started = time.perf_counter()
        reply = await core.handle(command, CONTEXT)
        timings.ours.append((time.perf_counter() - started) * 1000)
        timings.answered += reply.ok and "Sources:" in _text(reply) if name == "ask" else reply.ok
        if i % baseline_every:
            continue
        naive = build(store.dialect, query)
        if naive is None:
            continue
        started = time.perf_counter()
        async with store.engine.connect() as conn:
            (await conn.execute(text(naive[0]), naive[1])).all()
        timings.base.append((time.perf_counter() - started) * 1000)
    return timings


def _text(reply: Any) -> str:
    return repr(reply)


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# -- backends -----------------------------------------------------------------------------------


async def run_backend(
    label: str, url: str, corpus: Corpus, gazetteer: Gazetteer, args: argparse.Namespace
) -> None:
    store = await Store.open(url)
    try:
        started = time.perf_counter()
        how = await fill(store, corpus, gazetteer, args.indexer)
        if store.dialect == "postgresql":
            async with store.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("ANALYZE"))
        fill_seconds = time.perf_counter() - started
        counts = [await store.count("articles")]
        async with store.engine.connect() as conn:
            for table in ("stories", "article_companies"):
                counts.append(
                    int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
                )
        settings = Settings(store={"url": url})
        core = CommandCore(
            store,
            ExtractiveSummarizer(gazetteer),
            gazetteer,
            settings,
            chat_fetcher_factory(settings),
        )
        try:
            rng = random.Random(args.seed + 1)
            companies = company_queries(rng, args.queries)
            questions = ask_questions(rng, corpus, args.queries)
            for warm in companies[:5]:  # first connections, first plans
                await core.handle(parse_command(f"/company {warm}"), CONTEXT)  # type: ignore[arg-type]
            for warm in questions[:5]:
                await core.handle(parse_command(f"/ask {warm}"), CONTEXT)  # type: ignore[arg-type]
            results = {
                "company": await measure(store, core, "company", companies, args.baseline_every),
                "ask": await measure(store, core, "ask", questions, args.baseline_every),
            }
        finally:
            await core.aclose()
    finally:
        await store.close()
    print(
        f"\n{label}: {counts[0]:,} articles, {counts[1]:,} stories, {counts[2]:,} company "
        f"mentions; fill {fill_seconds:.1f} s ({how}"
        f"{', then ANALYZE' if label == 'PostgreSQL' else ''})"
    )
    print(
        f"  {'command':<9} {'p50 ms':>8} {'p95 ms':>8} {'base p50':>9} {'base p95':>9} "
        f"{'target':>12}  result"
    )
    for name, t in results.items():
        p95 = _pct(t.ours, 95)
        verdict = "pass" if p95 <= TARGETS[name] else "FAIL"
        print(
            f"  /{name:<8} {_pct(t.ours, 50):8.1f} {p95:8.1f} {_pct(t.base, 50):9.1f} "
            f"{_pct(t.base, 95):9.1f} {'p95 <= ' + format(TARGETS[name], '.0f'):>12}  "
            f"{verdict}"
        )
    for name, t in results.items():
        print(
            f"  /{name}: {t.answered}/{len(t.ours)} answered with stories; baseline timed on "
            f"{len(t.base)} of them"
        )


async def postgres_scratch(server: str) -> str | None:
    """The URL of a fresh scratch database on the server, or None when it is unreachable."""
    import asyncpg

    try:
        conn = await asyncpg.connect(server, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        print(
            f"\nPostgreSQL: skipped, {make_url(server).render_as_string()} unreachable "
            f"({type(exc).__name__}: {exc}); set NEWSBOT_BENCH_POSTGRES_URL"
        )
        return None
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
        await conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
    finally:
        await conn.close()
    return make_url(server).set(database=SCRATCH_DB).render_as_string(hide_password=False)


async def drop_scratch(server: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server, timeout=5)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
    finally:
        await conn.close()


async def main_async(args: argparse.Namespace) -> None:
    gazetteer = Gazetteer.load(COMPANIES)
    started = time.perf_counter()
    corpus = generate(args.articles, args.seed, datetime.now(UTC), gazetteer)
    print(
        f"commands benchmark: {len(corpus.items):,} generated articles ({len(corpus.events):,} "
        f"events, {DAYS} days, seed {args.seed}), {args.queries} queries per command; "
        f"generation and gazetteer {time.perf_counter() - started:.1f} s"
    )
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            await run_backend("SQLite", f"sqlite:///{tmp}/bench.db", corpus, gazetteer, args)
    if args.backend in ("postgresql", "both"):
        server = os.environ.get("NEWSBOT_BENCH_POSTGRES_URL", DEFAULT_PG)
        server = server.replace("postgresql+asyncpg://", "postgresql://")
        url = await postgres_scratch(server)
        if url is not None:
            try:
                await run_backend("PostgreSQL", url, corpus, gazetteer, args)
            finally:
                await drop_scratch(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles to generate")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--queries", type=int, default=200, help="queries per command")
    parser.add_argument(
        "--baseline-every", type=int, default=1, help="time the baseline on every Nth query"
    )
    parser.add_argument("--indexer", choices=["bulk", "real"], default="bulk")
    parser.add_argument("--seed", type=int, default=20250101)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
