"""/company NAME: the latest stories about a company, or the closest names when unknown.

A name resolves, in order, through the gazetteer (name, alias, native name, ticker), then the
names the news index holds (organisations found in the text that nobody configured). Fuzzy
suggestions leave out a company that the query names only in another sense: "apple pie"
contains "apple", and the gazetteer itself says that phrase is not Apple.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process, utils

from bot.digest.views import UTC_ZONE, StoryView, story_blocks, zone_named
from bot.nlp.companies import Gazetteer
from bot.reply import Button, Buttons, Divider, Heading, Reply, para
from bot.store import utcnow
from bot.summarize.stored import summaries_for

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

log = logging.getLogger("newsbot.chat")

MAX_NAME_CHARS = 100
MAX_NGRAM = 4
MIN_PREFIX_CHARS = 4  # a prefix that ends inside a word ("Northw") names a company from here
MAX_CHOICES = 5
FOLLOW_HINT = "To get a company in your digest: /subscribe company NAME"


@dataclass(slots=True)
class CompanyResult:
    """What /company found: the canonical name and its stories, or suggestions."""

    query: str
    company: str | None = None
    stories: list[StoryView] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    choices: bool = False  # the suggestions are the companies the query begins, not guesses
    problem: str | None = None  # why the query was not looked up at all
    zone: ZoneInfo = UTC_ZONE  # the asking chat's time zone, for the stories' times
    now: datetime | None = None  # when it was looked up: which year is "this year"

    def to_json(self) -> dict[str, Any]:
        """The `newsbot company --json` contract, exactly: {"company": canonical name, or null
        when unknown, "stories": [StoryView.to_json()]}. Suggestions go to standard error."""
        return {"company": self.company, "stories": [view.to_json() for view in self.stories]}


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def _ngrams(query: str) -> list[str]:
    words = query.split()
    return [
        " ".join(words[i : i + n])
        for n in range(min(MAX_NGRAM, len(words)), 0, -1)
        for i in range(len(words) - n + 1)
    ]


def _names_in_another_sense(query: str, gazetteer: Gazetteer) -> set[str]:
    """Companies a multi-word query names only in a sense the gazetteer rejects ("apple pie").

    Each word run that is a company's form is written as the company's own name, and the
    gazetteer judges the phrase as it would a headline: "Apple pie" is no mention of Apple,
    "Apple stock" is.
    """
    if len(query.split()) < 2:
        return set()
    rejected = set()
    for gram in _ngrams(query):
        company = gazetteer.lookup(gram)
        if company is None or gram == query:
            continue
        phrase = query.replace(gram, company, 1)
        if company not in {m.name for m in gazetteer.find(phrase, phrase)}:
            rejected |= gazetteer.family(company)  # nor its units ("Amazon Web Services")
    return rejected


def _begins(query: str, form: str) -> bool:
    """Whether ``query`` is the start of a company's name or alias: whole words ("Northwind" of
    "Northwind Robotics"), or a longer start that ends inside a word ("Northw")."""
    if not form.startswith(query) or form == query:
        return False
    return not form[len(query)].isalnum() or len(query) >= MIN_PREFIX_CHARS


def prefix_matches(query: str, gazetteer: Gazetteer | None, indexed: list[str]) -> list[str]:
    """The companies (canonical names, alphabetically) whose name or alias ``query`` begins."""
    wanted = _fold(query)
    if len(wanted) < 2:
        return []
    forms = gazetteer.forms() if gazetteer is not None else []
    forms += [(name, name) for name in indexed]
    found = {company for form, company in forms if _begins(wanted, _fold(form))}
    return sorted(found, key=str.casefold)


def resolve_choices(
    query: str, gazetteer: Gazetteer | None, indexed: list[str], limit: int = 3
) -> tuple[str | None, list[str], bool]:
    """(canonical name, [], False) for a known name or alias, or for the one company whose
    name the query begins ("Northwind" → "Northwind Robotics"); (None, those companies, True)
    when it begins several; else (None, the closest names, best first, False)."""
    if gazetteer is not None and (found := gazetteer.lookup(query)):
        return found, [], False
    folded = {_fold(name): name for name in indexed}
    if (found := folded.get(_fold(query))) is not None:
        return found, [], False
    begun = prefix_matches(query, gazetteer, indexed)
    if len(begun) == 1:
        return begun[0], [], False
    if begun:
        return None, begun[:MAX_CHOICES], True
    return None, _closest(query, gazetteer, indexed, limit), False


def resolve(
    query: str, gazetteer: Gazetteer | None, indexed: list[str], limit: int = 3
) -> tuple[str | None, list[str]]:
    """(canonical name, []) for a known name (see :func:`resolve_choices`), else (None, the
    names to offer, best first)."""
    company, names, _ = resolve_choices(query, gazetteer, indexed, limit)
    return company, names


def _closest(query: str, gazetteer: Gazetteer | None, indexed: list[str], limit: int) -> list[str]:
    """The names closest to a misspelt or unknown one, best first."""
    known = set(gazetteer.names()) if gazetteer else set()
    others = [name for name in indexed if name not in known]
    close = process.extract(
        query, others, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=80
    )
    strong = [name for name, score, _ in close if score >= 90]
    suggestions = strong + (gazetteer.suggest(query, limit) if gazetteer else [])
    suggestions += [name for name, _, _ in close]
    if gazetteer is not None:
        rejected = _names_in_another_sense(query, gazetteer)
        suggestions = [name for name in suggestions if name not in rejected]
    return list(dict.fromkeys(suggestions))[:limit]


async def find_company(core: Core, query: str, context: ChatContext) -> CompanyResult:
    """Resolve the name and fetch its latest stories with summaries and new-since marks."""
    query = query.strip()
    if not query:
        return CompanyResult(query, problem="Which company? For example: /company Huawei")
    if len(query) > MAX_NAME_CHARS:
        return CompanyResult(
            query[:MAX_NAME_CHARS],
            problem=f"That's too long for a company name ({MAX_NAME_CHARS} characters at most). "
            "For example: /company Huawei",
        )
    # A name the gazetteer knows needs no read of the indexed names. The stories, their stored
    # summaries and the chat (its time zone, the end of its last digest) are read together.
    known = core.gazetteer.lookup(query) if core.gazetteer is not None else None
    if known is None:
        indexed = await core.index.company_names()
        company, suggestions, choices = resolve_choices(query, core.gazetteer, indexed)
        if company is None:
            log.info("company not found", extra={"query": query[:100], "suggestions": suggestions})
            return CompanyResult(query, suggestions=suggestions, choices=choices)
    else:
        company = known
    page = await core.index.company_page(
        company, (context.platform, context.chat_key), limit=core.company_limit
    )
    chat, since = page.chat, page.last_digest_end
    zone = zone_named(chat.timezone if chat else core.settings.digest.default_timezone)
    sentences = core.settings.digest.summary_sentences
    summaries = await summaries_for(core.store, core.summarizer, page.stories, sentences)
    views = []
    for (story, _), summary in zip(page.stories, summaries, strict=True):
        fetched = [a.fetched_at for a in story.articles if a.fetched_at is not None]
        new = since is not None and bool(fetched) and min(fetched) > since
        views.append(StoryView(story, summary, new))
    return CompanyResult(query, company, views, zone=zone, now=utcnow())


def _shown(query: str) -> str:
    return query if len(query) <= 60 else query[:59] + "…"


def company_reply(result: CompanyResult) -> Reply:
    """The chat reply for a /company result. Every line of text comes before the buttons, so a
    platform that ends a message at its buttons sends the answer as one message."""
    if result.problem:
        return Reply.message(result.problem, ok=False)
    if result.company is None:
        return _not_found(result)
    name = result.company
    follow = f"To get {name} in your digest: /subscribe company {name}"
    if not result.stories:
        return Reply.message(f"No stories about {name} yet.", follow)
    count = len(result.stories)
    latest = "the latest story" if count == 1 else f"the latest {count} stories"
    reply = Reply([Heading(f"{name}: {latest}")])
    new = sum(view.new for view in result.stories)
    if new:
        reply.add(para(f"{new} new since your last digest, marked [new]. {follow}"))
    else:
        reply.add(para(follow))
    now = result.now or utcnow()
    for i, view in enumerate(result.stories):  # unnumbered: a typed number is a digest's story
        reply.add(*([Divider()] if i else []), *story_blocks(view, zone=result.zone, now=now))
    return reply


def _not_found(result: CompanyResult) -> Reply:
    """Which company, when the name begins several; the closest names to an unknown one."""
    shown = _shown(result.query)
    if result.choices:
        return Reply(ok=False).add(
            para(f"Several companies begin with “{shown}”: which one? "
                 f"For example: /company {result.suggestions[0]}"),
            Buttons(tuple(Button(name, f"company:{name}") for name in result.suggestions)),
        )  # fmt: skip
    reply = Reply(ok=False).add(para(f"I don't know a company called “{shown}”."))
    if not result.suggestions:
        return reply.add(para(f"To search all stored news for it: /ask {shown}"), para(FOLLOW_HINT))
    return reply.add(
        para(f"Did you mean one of these? For example: /company {result.suggestions[0]}"),
        para(FOLLOW_HINT),
        Buttons(tuple(Button(name, f"company:{name}") for name in result.suggestions)),
    )
