"""/trend COMPANY [7d|30d|90d], /trend A vs B: a company's stories per day, as a chart.

The names resolve as /company resolves them; the counting is bot/digest/trend.py's, the
drawing bot/digest/chart.py's, run in the CPU pool so that the event loop never draws.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot import cpu
from bot.chat.commands.common import chat_zone
from bot.chat.commands.company import MAX_NAME_CHARS, resolve
from bot.digest.chart import render_png
from bot.digest.trend import (
    DEFAULT_PERIOD,
    MAX_COMPANIES,
    PERIODS,
    Trend,
    build_trend,
    change_text,
    parse_period,
    period_bounds,
    story_key,
)
from bot.digest.views import UTC_ZONE
from bot.reply import Bold, Button, Buttons, Image, Link, Reply, para
from bot.store import utcnow
from bot.store.trend import company_articles

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core

log = logging.getLogger("newsbot.chat")

USAGE = "For example: /trend Huawei 30d, or /trend Huawei vs TSMC"
_VS = re.compile(r"\s+(?:vs\.?|versus)\s+|\s*,\s*", re.IGNORECASE)


@dataclass(slots=True)
class TrendResult:
    """What /trend found: a trend per company, or why there is none."""

    names: list[str]
    days: int = PERIODS[DEFAULT_PERIOD]
    trends: list[Trend] = field(default_factory=list)
    problem: str | None = None
    unknown: str | None = None  # the first name no company matched
    suggestions: list[str] = field(default_factory=list)
    zone: ZoneInfo = UTC_ZONE

    def to_json(self) -> Any:
        """The `newsbot trend --json` contract: one trend's object for one company, a list of
        them for several."""
        shaped = [trend.to_json() for trend in self.trends]
        return shaped[0] if len(shaped) == 1 else shaped


def parse_trend_args(args: str) -> tuple[list[str], int] | str:
    """(company names, days) from "huawei 30d" or "huawei vs tsmc 7d"; a message when wrong."""
    words = args.split()
    days = PERIODS[DEFAULT_PERIOD]
    if words and (parsed := parse_period(words[-1])) is not None:
        days, words = parsed, words[:-1]
    elif len(words) >= 2 and (parsed := parse_period(" ".join(words[-2:]))) is not None:
        days, words = parsed, words[:-2]
    elif words and re.fullmatch(r"\d+\s*[dw]", words[-1], re.IGNORECASE):
        return f"I can chart 7, 30 or 90 days. {USAGE}"
    names = [n.strip() for n in _VS.split(" ".join(words)) if n and n.strip()]
    if not names:
        return f"Which company? {USAGE}"
    if len(names) > MAX_COMPANIES:
        return f"I can compare up to {MAX_COMPANIES} companies in one chart. {USAGE}"
    if any(len(n) > MAX_NAME_CHARS for n in names):
        return f"That's too long for a company name ({MAX_NAME_CHARS} characters at most). {USAGE}"
    return names, days


async def find_trends(
    core: Core, args: str, context: ChatContext, *, now: datetime | None = None
) -> TrendResult:
    """Resolve the names and count each company's stories per day in the chat's time zone."""
    parsed = parse_trend_args(args)
    if isinstance(parsed, str):
        return TrendResult([], problem=parsed)
    names, days = parsed
    result = TrendResult(names, days, zone=await chat_zone(core, context))
    now = now or utcnow()
    indexed = await core.index.company_names()
    companies: list[str] = []
    for name in names:
        company, suggestions = resolve(name, core.gazetteer, indexed)
        if company is None:
            result.unknown, result.suggestions = name, suggestions
            return result
        if company not in companies:
            companies.append(company)
    start, _ = period_bounds(days, result.zone, now)
    # The period before is compared only when the store still keeps all of it.
    keeps_before = core.settings.store.retention_days >= 2 * days
    since = start - timedelta(days=days) if keeps_before else start
    for company in companies:
        rows = await company_articles(core.store, company, since, now)
        previous = None
        if keeps_before:
            earlier = {story_key(r) for r in rows if r.published < start}
            previous = len(earlier - {story_key(r) for r in rows if r.published >= start})
        result.trends.append(
            build_trend(company, rows, days=days, zone=result.zone, now=now, previous=previous)
        )
    return result


async def trend_reply(result: TrendResult, *, draw: bool = True) -> Reply:
    """The chart and its caption (the caption alone without ``draw``); a sentence instead when
    there is nothing to draw."""
    if result.problem:
        return Reply.message(result.problem, ok=False)
    if result.unknown is not None:
        reply = Reply.message(f"I don't know a company called “{result.unknown}”.", ok=False)
        if result.suggestions:
            reply.add(para("Did you mean one of these?"))
            reply.add(Buttons(tuple(Button(s, f"trend:{s}") for s in result.suggestions)))
        return reply
    trends = result.trends
    if all(trend.total == 0 for trend in trends):
        names = " or ".join(t.company for t in trends)
        return Reply.message(
            f"No stories about {names} in the last {result.days} days. "
            "Try a longer period, for example: /trend "
            f"{trends[0].company} 90d",
            ok=True,
        )
    reply = Reply()
    if draw:
        png = await cpu.pool().run(render_png, trends)
        reply.add(Image(png, _alt(result), filename=f"trend-{result.days}d.png"))
    for trend in trends:
        reply.add(_caption(trend, result.days))
    return reply


def _alt(result: TrendResult) -> str:
    names = " vs ".join(t.company for t in result.trends)
    return f"{names}: stories per day, last {result.days} days"


def _caption(trend: Trend, days: int) -> Any:
    stories = f"{trend.total} {'story' if trend.total == 1 else 'stories'}"
    change = change_text(trend)
    head = f"{stories} in {days} days" + (f", {change}" if change else "")
    parts: list[Any] = [Bold(trend.company), f": {head}."]
    if trend.top is not None:
        title = trend.top.title
        parts += [" Top: ", Link(title, trend.top.url) if trend.top.url else title]
    return para(*parts)
