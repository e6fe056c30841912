"""One daily token budget for every LLM call: what /ask spends, the summarizer can no longer
spend, and a spent budget turns /ask into the extractive answer without a call. The real openai
client against the OpenAI-compatible server on 127.0.0.1; the count lives in the store."""

from __future__ import annotations

from datetime import date, timedelta

from bot.config_sections import LLMSettings
from bot.models import Article, Story, Summary, TextSource
from bot.store import Store
from bot.store.cache import SummaryCache
from bot.summarize.client import utc_today
from bot.summarize.embedded import ExtractiveSummarizer
from bot.summarize.llm import Limits, LLMSummarizer
from bot.summarize.prompts import build_request
from tests.chatbot import ChatBot, make_core, testbot_fixture  # noqa: F401
from tests.fakes.openai_server import OpenAIServer, completion

QUESTION = "What did Huawei announce about laptops in Europe?"
ASKED = 100 + 23  # the server's usage for one completion: prompt + completion tokens
STORY = Story(
    [
        Article(
            url="https://wire.test/1",
            title="Acme buys Nordlicht",
            text="Acme Robotics said on Tuesday it would buy Nordlicht Systems for $2.1 billion.",
            source="Wire",
            text_source=TextSource.PAGE,
            content_hash="h1",
        )
    ],
    id=1,
)


async def summarize_on(store: Store, settings: LLMSettings, day: date) -> Summary:
    """STORY summarized by the LLM summarizer as on ``day``."""
    summarizer = LLMSummarizer(
        settings, None, SummaryCache(store), ExtractiveSummarizer(), today=lambda: day
    )
    try:
        return await summarizer.summarize(STORY)
    finally:
        await summarizer.aclose()


async def test_ask_spends_the_budget_the_summarizer_checks(testbot: ChatBot, store: Store) -> None:
    with OpenAIServer(completion("Huawei will sell HarmonyOS laptops in Europe [1].")) as server:
        core = make_core(store, testbot.settings, llm_url=server.url)
        try:
            answer = await core.ask(QUESTION)
        finally:
            await core.aclose()
        assert answer.answerer == "llm" and server.count == 1
        assert await SummaryCache(store).tokens_used(utc_today()) == ASKED

        # A budget with room for one summary, less what /ask spent today: no call today, and
        # the same summary is asked for tomorrow, when the budget is new.
        limits = Limits()
        request = build_request(
            STORY, max_input_tokens=limits.max_input_tokens, max_articles=limits.max_articles
        )
        summary_tokens = request.prompt_tokens + (limits.max_output_tokens or 0)
        budget = summary_tokens + ASKED - 1
        settings = LLMSettings(base_url=server.url, model="m", daily_token_budget=budget)
        today = await summarize_on(store, settings, utc_today())
        assert today.note == "llm fell back: budget spent" and server.count == 1
        tomorrow = await summarize_on(store, settings, utc_today() + timedelta(days=1))
        assert tomorrow.note != "llm fell back: budget spent" and server.count == 2


async def test_a_spent_budget_makes_ask_answer_from_sentences(
    testbot: ChatBot, store: Store
) -> None:
    await SummaryCache(store).add_tokens(utc_today(), LLMSettings().daily_token_budget)
    with OpenAIServer(completion("Huawei will sell HarmonyOS laptops in Europe [1].")) as server:
        core = make_core(store, testbot.settings, llm_url=server.url)
        try:
            answer = await core.ask(QUESTION)
        finally:
            await core.aclose()
        assert server.count == 0
    assert answer.answerer == "extractive" and answer.answered and answer.sources
    assert answer.note == "llm fell back: budget spent"
