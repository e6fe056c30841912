"""Time budgets of a polling round: each feed's poll, and each host's share of the round."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bot.ingest.http.fetch import Fetcher, FetchResult
from bot.ingest.http.urls import host_of


class OutOfTime(Exception):
    """A time budget ran out: the feed's ("feed") or its host's in this round ("host")."""

    def __init__(self, budget: str, host: str) -> None:
        super().__init__(f"{budget} time budget spent")
        self.budget = budget
        self.host = host


def loop_time() -> float:
    """The running event loop's clock."""
    return asyncio.get_running_loop().time()


class Round:
    """The hosts' time budgets in one polling round, each counted from its first request."""

    def __init__(self, host_budget: float) -> None:
        self.host_budget = host_budget
        self.started: dict[str, float] = {}  # loop time of each host's first request
        self.put_off: dict[str, int] = {}  # feeds not started because their host's time ran out

    def host_deadline(self, host: str) -> float:
        """When the host's time runs out; its clock starts now if this is its first request."""
        return self.started.setdefault(host, loop_time()) + self.host_budget

    def host_spent(self, host: str) -> bool:
        """Whether the host has used up its time in this round."""
        started = self.started.get(host)
        return started is not None and loop_time() >= started + self.host_budget


@dataclass(slots=True)
class Budget:
    """What one feed's poll may still spend: its own time, and its hosts' in the round."""

    started: float
    feed_deadline: float
    round: Round

    async def fetch(self, fetcher: Fetcher, url: str, **options: Any) -> FetchResult:
        """The fetch, or OutOfTime when the feed's or the host's time runs out first."""
        host = host_of(url)
        host_deadline = self.round.host_deadline(host)
        budget = "feed" if self.feed_deadline <= host_deadline else "host"
        try:
            async with asyncio.timeout_at(min(self.feed_deadline, host_deadline)) as limit:
                return await fetcher.fetch(url, **options)
        except TimeoutError:
            if limit.expired():
                raise OutOfTime(budget, host) from None
            raise

    def seconds_spent(self, cut: OutOfTime) -> float:
        """Seconds since the clock of the budget that ran out started."""
        started = self.started
        if cut.budget == "host":
            started = self.round.started.get(cut.host, started)
        return round(loop_time() - started, 1)
