"""The LLM summarizer: the real openai client against an OpenAI-compatible server on 127.0.0.1,
the cache and the token budget in the store on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from bot.config_sections import LLMSettings
from bot.models import Article, Story, Summary, TextSource
from bot.store import Store
from bot.store.cache import CacheKey, SummaryCache
from bot.summarize.embedded import ExtractiveSummarizer
from bot.summarize.llm import Limits, LLMSummarizer, retry_after
from bot.summarize.prompts import CURRENT, approx_tokens, cut_to_tokens
from tests.fakes.openai_server import (
    OpenAIServer,
    completion,
    json_answer,
    rate_limited,
    rejects_json_mode,
    server_error,
    slow,
)

KEY = "sk-test-SECRET-0123456789abcdef"
DAY = date(2026, 11, 23)

LEAD = (
    "Acme Robotics said on Tuesday it would buy Nordlicht Systems for $2.1 billion.\n"
    "“This deal doubles our factory footprint,” said Jane Okafor, Acme’s chief executive. "
    "The company expects the deal to close in the spring.\n"
    'Analysts at Brightline Capital called the price "steep but defensible".'
)
SECOND = (
    "Nordlicht Systems agreed to be acquired by Acme Robotics on Tuesday.\n"
    "“We were not looking to sell,” Nordlicht founder Lars Berg said, “but the offer was\n"
    "too good to refuse.”"
)


class CountingExtractive(ExtractiveSummarizer):
    """The real embedded fallback, counting how often the LLM summarizer fell back to it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    async def summarize(self, story: Story, *, sentences: int = 3) -> Summary:
        self.calls.append(sentences)
        return await super().summarize(story, sentences=sentences)


def article(
    text: str, source: str, content_hash: str, title: str = "Acme buys Nordlicht"
) -> Article:
    return Article(
        url=f"https://{source.lower().replace(' ', '-')}.test/{content_hash}",
        title=title,
        text=text,
        source=source,
        text_source=TextSource.PAGE,
        content_hash=content_hash,
    )


STORY = Story([article(LEAD, "Harbor Wire", "h1"), article(SECOND, "Circuit Ledger", "h2")], id=7)
VALID = json_answer(
    ["Acme Robotics is buying Nordlicht Systems for $2.1 billion.", "Second.", "Third.", "Fourth."],
    [
        {"text": "This deal doubles our factory footprint,", "speaker": "Jane Okafor"},
        {"text": "We were not looking to sell,", "speaker": "Lars Berg"},
    ],
    ["Acme Robotics", "Nordlicht Systems"],
)


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(VALID) as running:
        yield running


@pytest.fixture
async def make(store: Store, server: OpenAIServer) -> AsyncIterator[Callable[..., LLMSummarizer]]:
    """Builds summarizers on the test store and server, with fast retries; closes them."""
    made: list[LLMSummarizer] = []

    def build(
        *, timeout: float = 5.0, budget: int = 100_000, today: date = DAY, **limits: Any
    ) -> LLMSummarizer:
        settings = LLMSettings(
            base_url=server.url,
            model="test-model",
            timeout_seconds=timeout,
            daily_token_budget=budget,
        )
        tuned = Limits(**{"backoff_seconds": 0.01, "max_retry_after_seconds": 1.0, **limits})
        summarizer = LLMSummarizer(
            settings,
            KEY,
            SummaryCache(store),
            CountingExtractive(),
            limits=tuned,
            today=lambda: today,
        )
        made.append(summarizer)
        return summarizer

    yield build
    for summarizer in made:
        await summarizer.aclose()


async def test_valid_answer_is_verified_summary(make, server: OpenAIServer, store: Store) -> None:
    summary = await make().summarize(STORY, sentences=2)
    assert summary.summarizer == "llm" and summary.note is None
    assert summary.sentences == [
        "Acme Robotics is buying Nordlicht Systems for $2.1 billion.",
        "Second.",
    ]
    # The quote's words come from the article, curly marks and all; offsets in the lead only.
    assert [(q.text, q.speaker) for q in summary.quotes] == [
        ("This deal doubles our factory footprint,", "Jane Okafor"),
        ("We were not looking to sell,", "Lars Berg"),
    ]
    assert summary.quotes[0].start == LEAD.index("This deal")
    assert summary.quotes[1].start == -1
    assert summary.companies == ["Acme Robotics", "Nordlicht Systems"]
    request = server.requests[0]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "test-model"
    assert request.body["response_format"] == {"type": "json_object"}
    assert (
        "source: Harbor Wire" in request.user_text and "source: Circuit Ledger" in request.user_text
    )
    assert "summarize it as one story" in request.user_text
    assert await SummaryCache(store).tokens_used(DAY) == 123  # the server's usage.total_tokens


async def test_fabricated_quote_unknown_speaker_and_company_dropped(
    make, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.answer(
        json_answer(
            ["Acme buys Nordlicht."],
            [
                {"text": "We will crush the competition", "speaker": "Jane Okafor"},
                {"text": "This deal doubles our factory footprint", "speaker": "Elon Musk"},
                # Quote marks and a line break differ from the article; the words do not.
                {"text": "“but the offer was too good to refuse.”", "speaker": "lars berg"},
                {"text": "steep but defensible", "speaker": None},
            ],
            ["Acme Robotics", "Globex", "brightline capital"],
        )
    )
    caplog.set_level(logging.INFO, logger="bot.summarize.llm")
    summary = await make().summarize(STORY)
    assert summary.summarizer == "llm"
    assert [(q.text, q.speaker) for q in summary.all_quotes] == [
        ("This deal doubles our factory footprint", None),
        ("steep but defensible", None),
        ("but the offer was\ntoo good to refuse.", "Lars Berg"),  # the article's spelling
    ]
    assert summary.companies == ["Acme Robotics", "Brightline Capital"]
    record = next(r for r in caplog.records if r.getMessage() == "llm answer failed checks")
    assert record.dropped_quotes == ["We will crush the competition"]
    assert record.dropped_speakers == ["Elon Musk"]
    assert record.dropped_companies == ["Globex"]


@pytest.mark.parametrize(
    ("content", "note"),
    [
        ("Here is the summary: {summary: Acme buys", "invalid JSON"),
        ('{"summary": [], "quotes": [], "companies": []}', "JSON does not match the schema"),
    ],
)
async def test_invalid_json_falls_back_with_note(
    make, server: OpenAIServer, content: str, note: str
) -> None:
    server.answer(completion(content))
    summarizer = make()
    summary = await summarizer.summarize(STORY, sentences=2)
    assert summary.summarizer == "extractive"
    assert summary.note == f"llm fell back: {note}"
    assert summarizer._fallback.calls == [2]
    await summarizer.summarize(STORY)  # a fallback is not cached: the LLM is asked again
    assert server.count == 2


async def test_json_fences_are_accepted(make, server: OpenAIServer) -> None:
    server.answer(
        completion('```json\n{"summary": ["Acme buys."], "quotes": [], "companies": []}\n```')
    )
    assert (await make().summarize(STORY)).sentences == ["Acme buys."]


async def test_rate_limit_waits_retry_after_then_falls_back(make, server: OpenAIServer) -> None:
    server.answer(rate_limited(0.3))
    started = time.monotonic()
    summary = await make().summarize(STORY)
    assert time.monotonic() - started >= 0.3
    assert server.count == 2  # the call and one retry after Retry-After
    assert summary.note == "llm fell back: rate limited (HTTP 429)"


async def test_rate_limit_then_success(make, server: OpenAIServer) -> None:
    server.answer(rate_limited(0.05), VALID)
    summary = await make().summarize(STORY)
    assert summary.summarizer == "llm" and server.count == 2


async def test_long_retry_after_falls_back_at_once(make, server: OpenAIServer) -> None:
    server.answer(rate_limited(30))
    summary = await make(max_retry_after_seconds=1.0).summarize(STORY)
    assert server.count == 1
    assert summary.note == "llm fell back: rate limited (HTTP 429)"


async def test_server_error_bounded_retries_then_fallback(make, server: OpenAIServer) -> None:
    server.answer(server_error(500))
    summary = await make(server_error_retries=2).summarize(STORY)
    assert server.count == 3
    assert summary.summarizer == "extractive"
    assert summary.note == "llm fell back: server error (HTTP 500)"


async def test_server_error_then_success(make, server: OpenAIServer) -> None:
    server.answer(server_error(503), VALID)
    assert (await make().summarize(STORY)).summarizer == "llm"
    assert server.count == 2


async def test_slow_reply_times_out_and_falls_back(make, server: OpenAIServer) -> None:
    server.answer(slow(3.0, VALID))
    started = time.monotonic()
    summary = await make(timeout=0.4).summarize(STORY)
    assert time.monotonic() - started < 2.0
    assert summary.note == "llm fell back: timeout"
    assert server.count == 1  # a timeout is not retried: the next one would likely time out too


async def test_json_mode_rejected_is_retried_without_it(make, server: OpenAIServer) -> None:
    server.answer(rejects_json_mode(VALID))
    summarizer = make()
    assert (await summarizer.summarize(STORY)).summarizer == "llm"
    assert ["response_format" in r.body for r in server.requests] == [True, False]
    other = Story([article(LEAD, "Harbor Wire", "h9")])
    assert (await summarizer.summarize(other)).summarizer == "llm"
    assert "response_format" not in server.requests[-1].body  # remembered


async def test_cache_prevents_second_call(make, server: OpenAIServer, store: Store) -> None:
    first = await make().summarize(STORY, sentences=3)
    assert server.count == 1
    again = await make().summarize(STORY, sentences=1)  # a new instance, the same store
    assert server.count == 1
    assert again.summarizer == "llm" and again.sentences == first.sentences[:1]
    # The same articles in another order are the same story.
    reordered = Story(list(reversed(STORY.articles)))
    assert (await make().summarize(reordered)).summarizer == "llm"
    assert server.count == 1
    key = CacheKey.for_story(STORY, "test-model", CURRENT.version)
    assert (await SummaryCache(store).get(key)) is not None
    assert await SummaryCache(store).get(CacheKey(key.content_hash, "other-model", "v1")) is None


async def test_concurrent_requests_for_one_story_make_one_call(make, server: OpenAIServer) -> None:
    server.answer(slow(0.3, VALID))
    summarizer = make()
    results = await asyncio.gather(*(summarizer.summarize(STORY) for _ in range(4)))
    assert {s.summarizer for s in results} == {"llm"} and server.count == 1


async def test_budget_spent_makes_no_call(make, server: OpenAIServer, store: Store) -> None:
    await SummaryCache(store).add_tokens(DAY, 50_000)
    summary = await make(budget=50_000).summarize(STORY)
    assert server.count == 0
    assert summary.summarizer == "extractive"
    assert summary.note == "llm fell back: budget spent"
    # A new UTC day has a new budget.
    assert (await make(budget=50_000, today=DAY + timedelta(days=1)).summarize(STORY)).note is None
    assert server.count == 1


async def test_usage_accumulates_per_day(store: Store) -> None:
    cache = SummaryCache(store)
    await cache.add_tokens(DAY, 100)
    await cache.add_tokens(DAY, 23)
    await cache.add_tokens(DAY + timedelta(days=1), 5)
    assert await cache.tokens_used(DAY) == 123
    assert await cache.tokens_used(DAY + timedelta(days=1)) == 5
    assert await cache.tokens_used(DAY - timedelta(days=1)) == 0


async def test_long_article_is_cut_on_sentence_boundaries(
    make, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    sentences = [f"Sentence number {i} tells more about the Acme deal." for i in range(400)]
    long = Story(
        [
            article(
                "\n".join(" ".join(sentences[i : i + 5]) for i in range(0, 400, 5)),
                "Harbor Wire",
                "long",
            )
        ]
    )
    caplog.set_level(logging.INFO, logger="bot.summarize.llm")
    await make(max_input_tokens=300).summarize(long)
    sent = server.requests[0].user_text
    body = sent.split("Title: Acme buys Nordlicht\n\n", 1)[1].split("\n<<<END ARTICLE", 1)[0]
    assert 250 < approx_tokens(body) <= 300
    assert body.endswith("Acme deal.") and body in long.articles[0].text
    assert any(r.getMessage() == "llm input cut to fit" for r in caplog.records)


def test_cut_to_tokens() -> None:
    text = "One two three. Four five six.\nSeven eight nine."
    assert cut_to_tokens(text, 100) == (text, False)
    assert cut_to_tokens(text, 9) == ("One two three. Four five six.", True)
    assert cut_to_tokens(text, 8) == ("One two three.", True)
    assert cut_to_tokens(text, 4) == ("One two", True)  # no whole sentence fits: cut at words
    assert cut_to_tokens("a b c d e f g h", 3) == ("a b c", True)
    assert approx_tokens("Internationalization, again.") == 5 + 1 + 2 + 1


def test_retry_after_header_forms() -> None:
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({}) is None
    assert retry_after({"retry-after": "Wed, 21 Oct 2099 07:28:00 GMT"}) > 0  # type: ignore[operator]


async def test_api_key_never_logged(
    make, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, the openai client's and httpx2's too
    server.answer(rate_limited(0.01), server_error(500), completion("not json"), VALID)
    summarizer = make(server_error_retries=0)
    for n in range(4):
        await summarizer.summarize(Story([article(LEAD, "Harbor Wire", f"k{n}")]))
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert caplog.records
    for record in caplog.records:
        shown = logging.Formatter().format(record) + repr(vars(record))
        assert KEY not in shown and KEY[3:] not in shown


async def test_migration_creates_the_cache_tables_as_declared(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.store.schema import metadata

    def diff(conn: Any) -> list[Any]:
        return compare_metadata(MigrationContext.configure(conn), metadata)

    async with store.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert [c for c in changes if "summaries" in repr(c) or "llm_usage" in repr(c)] == []


async def test_falls_back_to_the_embedded_extractive_summarizer(
    store: Store, server: OpenAIServer
) -> None:
    server.answer(completion("not json"))
    settings = LLMSettings(base_url=server.url, model="test-model", timeout_seconds=5.0)
    summarizer = LLMSummarizer(
        settings, KEY, SummaryCache(store), ExtractiveSummarizer(), today=lambda: DAY
    )
    try:
        summary = await summarizer.summarize(STORY, sentences=2)
    finally:
        await summarizer.aclose()
    assert summary.summarizer == "extractive" and len(summary.sentences) == 2
    assert summary.note == "llm fell back: invalid JSON"
