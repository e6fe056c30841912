"""What a command may use: the services the core holds, as the commands see them.

The commands take the core as an argument and type it with this protocol, so that no command
module imports the core (which imports the commands' registry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.chat.access import AccessGate
from bot.config import Settings
from bot.digest.build import DigestBuilder
from bot.ingest.http.fetch import Fetcher
from bot.nlp.companies import Gazetteer
from bot.store import Store
from bot.summarize.answer import Answerer
from bot.summarize.base import Summarizer
from bot.summarize.retrieve import Index

FetcherFactory = Callable[[], Fetcher]


class Core(Protocol):
    """The command core as a command uses it."""

    store: Store
    settings: Settings
    summarizer: Summarizer
    gazetteer: Gazetteer | None
    index: Index
    answerer: Answerer
    digests: DigestBuilder
    gate: AccessGate
    fetcher_factory: FetcherFactory
    company_limit: int
    long_sentences: int
