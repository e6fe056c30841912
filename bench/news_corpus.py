"""Generated news for the command benchmarks (bench/commands.py, bench/cost_curves.py,
bench/index.py): events about the companies of config/companies.toml, each reported by 1-6
outlets in words of their own (bench/commands_corpus.json's templates), and the /company names
and /ask questions one can ask of them, each with stored stories that answer it."""

from __future__ import annotations

import hashlib
import json
import random
import string
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.models import Article, TextSource
from bot.nlp.companies import CompanyMention, Gazetteer

ROOT = Path(__file__).resolve().parents[1]
COMPANIES = ROOT / "config" / "companies.toml"
DAYS = 60

# -- generated news ----------------------------------------------------------------------------

CORPUS = ROOT / "bench" / "commands_corpus.json"


def _load_corpus_data(path: Path) -> dict[str, Any]:
    """The generator's word lists and per-kind templates (bench/commands_corpus.json)."""
    return json.loads(path.read_text(encoding="utf-8"))


_DATA = _load_corpus_data(CORPUS)
OUTLETS: list[tuple[str, str]] = [(o["name"], o["domain"]) for o in _DATA["outlets"]]
PLACES: list[str] = _DATA["places"]
REGIONS: list[str] = _DATA["regions"]
FIRST: list[str] = _DATA["first_names"]
LAST: list[str] = _DATA["last_names"]
FIRMS: list[str] = _DATA["firms"]
PRODUCTS: list[str] = _DATA["products"]
SUFFIXES: list[str] = _DATA["suffixes"]
QUARTERS: list[str] = _DATA["quarters"]
AGENCIES: list[str] = _DATA["agencies"]
# Per event kind: (headlines, lead sentences, body sentences, questions). The fields a template
# uses are the event's, so every report of an event tells the same facts in other words.
KINDS: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    kind: (t["headlines"], t["leads"], t["body"], t["questions"])
    for kind, t in _DATA["kinds"].items()
}
GENERIC: list[str] = _DATA["generic"]
VERB_Q: dict[str, str] = _DATA["verb_q"]


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


def generate(count: int, seed: int, now: datetime, gazetteer: Gazetteer | None) -> Corpus:
    """`count` articles of generated events, oldest first, with the companies the gazetteer
    finds in each (none without one)."""
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
    mentions = [gazetteer.find(a.text, a.title) for a, _, _ in items] if gazetteer else []
    return Corpus(events, items, mentions)


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


ASKED_IN = {"move_base", "verb_q"}


def ask_questions(rng: random.Random, corpus: Corpus, n: int) -> tuple[list[str], list[Event]]:
    """Questions about generated events, and the event each one asks about. A question is
    asked only when the event's stored reports tell every fact it names: a report tells a
    sample of the event's sentences, and "Is SAP competing with Juniper Networks?" has no
    answer when none of them names Juniper Networks."""
    texts: dict[int, str] = {}
    for article, _, e in corpus.items:
        texts[e] = texts.get(e, "") + f"\n{article.title}\n{article.text}"
    questions, events = [], []
    while len(questions) < n:
        e = rng.randrange(len(corpus.events))
        event = corpus.events[e]
        template = rng.choice(KINDS[event.kind][3])
        # The facts a question names, not the forms it asks in ("rise" of "rose").
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f and f not in ASKED_IN]
        if all(event.facts[f] in texts.get(e, "") for f in fields):
            questions.append(template.format(**event.facts))
            events.append(event)
    return questions, events
