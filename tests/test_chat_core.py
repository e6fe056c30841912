"""The chat command core: parsing, /company, /summary, /ask and /help, driven like a chat.

The store is filled through the real ingest path from the sample site on 127.0.0.1 (see
tests/chatbot.py); /ask's LLM is the real openai client against tests/openai_server.py.
"""

from __future__ import annotations

import re

import pytest

from bot.chat.command import MAX_ARG_CHARS, command_from_action, parse_command
from bot.chat.console import render_reply
from bot.chat.core import COMMANDS
from bot.ingest.http.guard import MESSAGES
from bot.reply import Buttons, Heading, QuoteBlock, Reply, para
from bot.store import Store
from bot.summarize.answer import NOT_ANSWERED, check_citations, renumber
from tests.chatbot import ADMIN, ChatBot, make_core, testbot_fixture  # noqa: F401
from tests.fakes.loopback import Response
from tests.fakes.openai_server import Answer, OpenAIServer, completion, server_error

GENERIC_FAILURE = "something went wrong"


def story_ids(reply: Reply) -> list[int]:
    """The story numbers on a reply's "Longer summary" buttons."""
    return [
        int(button.action.split(":", 1)[1])
        for block in reply.blocks
        if isinstance(block, Buttons)
        for button in block.buttons
        if button.action.startswith("summary:")
    ]


# parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("/company huawei", "company", "huawei"),
        ("/COMPANY   Huawei  ", "company", "Huawei"),
        ("  /Company@newsbot_test_bot  Huawei Technologies ", "company", "Huawei Technologies"),
        ("/company@NEWSBOT_TEST_BOT huawei", "company", "huawei"),
        ("/ask  what\n did\tHuawei   say?", "ask", "what did Huawei say?"),
        ("/help", "help", ""),
        ("/", "", ""),
        ("/summary\x00 12\x1b[0m", "summary", "12 [0m"),
        ("/ask \u202eevil", "ask", "evil"),
    ],
)
def test_parse(text: str, name: str, args: str) -> None:
    command = parse_command(text, bot_name="newsbot_test_bot")
    assert command is not None
    assert (command.name, command.args, command.raw, command.too_long) == (name, args, text, False)


@pytest.mark.parametrize(
    "text", ["hello", "company huawei", "/company@OtherBot huawei", "", "   ", "//x"]
)
def test_not_a_command_for_this_bot(text: str) -> None:
    assert parse_command(text, bot_name="newsbot_test_bot") is None


def test_arguments_are_capped() -> None:
    exact = parse_command("/ask " + "x" * MAX_ARG_CHARS)
    assert exact is not None and not exact.too_long and len(exact.args) == MAX_ARG_CHARS
    longer = parse_command("/ask " + "x" * (MAX_ARG_CHARS + 1))
    assert longer is not None and longer.too_long and len(longer.args) == MAX_ARG_CHARS


def test_button_actions_are_commands_about_the_story_id() -> None:
    command = command_from_action("summary:42")
    assert command is not None and (command.name, command.args) == ("summary", "#42")
    company = command_from_action("company:Huawei")
    assert company is not None and (company.name, company.args) == ("company", "Huawei")
    assert command_from_action("nonsense") is None


# citations and rendering ---------------------------------------------------------------------


def test_citations_outside_the_sources_are_dropped_and_the_rest_renumbered() -> None:
    text, cited = check_citations("Huawei sells laptops [3] in Europe [9, 3][1] . Odd [0].", 3)
    assert text == "Huawei sells laptops [3] in Europe [3][1]. Odd."
    assert cited == [3, 1]
    assert renumber(text, cited) == "Huawei sells laptops [1] in Europe [1][2]. Odd."
    assert check_citations("No sources [4][5]", 3) == ("No sources", [])


def test_console_strips_control_characters() -> None:
    reply = Reply(
        [Heading("\x1b[2JTitle"), para("a\x07b"), QuoteBlock("hi\x1b]0;x\x07", "\u202eEve")]
    )
    out = render_reply(reply)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "Title" in out and "ab" in out and "— Eve" in out


# /help and unknown commands ------------------------------------------------------------------


async def test_help_lists_every_command_with_an_example(testbot: ChatBot) -> None:
    out = (await testbot.reply("/help", as_=ADMIN)).plain()
    for spec in COMMANDS.values():
        assert spec.usage in out and f"Example: {spec.example}" in out


async def test_unknown_command_points_to_help(testbot: ChatBot) -> None:
    reply = await testbot.reply("/frobnicate now")
    assert not reply.ok and "/frobnicate" in reply.plain() and "/help" in reply.plain()
    assert "/help" in await testbot.exec("/")


async def test_too_long_arguments_get_a_clear_reply(testbot: ChatBot) -> None:
    out = await testbot.exec("/ask " + "why " * 200)
    assert f"under {MAX_ARG_CHARS} characters" in out and "/ask" in out


# /company ------------------------------------------------------------------------------------


async def test_company_by_name(testbot: ChatBot) -> None:
    reply = await testbot.reply("/company huawei")
    out = render_reply(reply)
    assert reply.ok and "Huawei: the latest" in out
    assert "Huawei brings HarmonyOS laptops to Europe" in out
    assert any(isinstance(b, QuoteBlock) and b.speaker for b in reply.blocks)
    assert re.search(r"\d+ sources?: ", out) and testbot.site.base_url in out
    assert story_ids(reply)


async def test_company_by_alias_native_name_and_ticker(testbot: ChatBot) -> None:
    google = await testbot.exec("/company google")
    # the article names Google's cloud unit: filed under Google (and its parent Alphabet)
    assert "Google: the latest" in google and "Google Cloud" in google
    assert "Google Cloud" in await testbot.exec("/company alphabet")
    assert "Huawei: the latest" in await testbot.exec("/company 华为")
    assert "Nvidia: the latest" in await testbot.exec("/company NVDA")
    assert "Nvidia: the latest" in await testbot.exec("/company $nvda")


async def test_company_not_in_the_gazetteer_is_found_from_the_text(testbot: ChatBot) -> None:
    out = await testbot.exec("/company aurelia labs")
    assert "Aurelia Labs: the latest" in out
    assert "Nvidia leads $600 million round in Paris AI startup Aurelia Labs" in out


async def test_unknown_company_gets_suggestions_and_how_to_follow(testbot: ChatBot) -> None:
    reply = await testbot.reply("/company huawai")
    assert not reply.ok
    out = render_reply(reply)
    assert "I don't know a company called “huawai”" in out
    assert "[Huawei: /company Huawei]" in out  # a button; the console shows its command
    assert "/subscribe company" in out


@pytest.mark.parametrize("query", ["apple pie", "Apple Pie", "honor roll", "amazon rainforest"])
async def test_ambiguous_phrases_are_not_the_company(testbot: ChatBot, query: str) -> None:
    reply = await testbot.reply(f"/company {query}")
    out = render_reply(reply)
    assert not reply.ok and "I don't know a company called" in out
    assert not story_ids(reply)
    company = query.split()[0].capitalize()
    assert f"/company {company}" not in out


async def test_company_marks_stories_new_since_the_last_digest(testbot: ChatBot) -> None:
    assert "[new]" not in await testbot.exec("/company huawei")  # no digest yet
    await testbot.record_digest()
    await testbot.publish(
        "huawei-paris-store",
        "Huawei opens its largest European flagship store on the Champs-Élysées",
        [
            "Huawei Technologies opened its largest flagship store outside China on the "
            "Champs-Élysées in Paris on Saturday, a bet that shoppers will queue for its "
            "foldable phones and HarmonyOS laptops.",
            "“Paris is where European customers decide what is premium,” said Camille Roux, "
            "Huawei's head of retail for France. “We want them to touch the products first.”",
            "The three-storey shop has a repair centre and a café, and will host developer "
            "evenings for HarmonyOS app makers every month, the company said.",
        ],
    )
    reply = await testbot.reply("/company huawei")
    out = render_reply(reply)
    new_lines = [line for line in out.splitlines() if line.endswith("[new]")]
    assert len(new_lines) == 1 and "Champs-Élysées" in new_lines[0]
    assert "1 new since your last digest" in out
    assert "[new]" not in await testbot.exec("/company huawei", chat="other-chat")


async def test_company_name_problems(testbot: ChatBot) -> None:
    assert "Which company?" in await testbot.exec("/company")
    assert "too long for a company name" in await testbot.exec("/company " + "h" * 500)
    assert f"under {MAX_ARG_CHARS} characters" in await testbot.exec("/company " + "h" * 501)


# /summary ------------------------------------------------------------------------------------


async def test_summary_of_a_story_by_its_id(testbot: ChatBot) -> None:
    [first, *_] = story_ids(await testbot.reply("/company huawei"))
    reply = await testbot.reply(f"/summary #{first}")
    out = render_reply(reply)
    assert reply.ok and "Huawei brings HarmonyOS laptops to Europe" in out
    assert "Sources: " in out and "[Huawei: /company Huawei]" in out
    for missing in ("#999999", "#99999999999999999", "#0"):
        assert "That story is no longer available." in await testbot.exec(f"/summary {missing}")


async def test_summary_of_a_url_on_an_allowed_site(testbot: ChatBot, store: Store) -> None:
    core = make_core(store, testbot.settings, allow=["127.0.0.0/8"])
    bot = ChatBot(core, store, testbot.site, testbot.settings)
    path = next(p for p in testbot.site.routes if "huawei" in p and p.endswith(".html"))
    out = await bot.exec(f"/summary {testbot.site.url(path)}")
    assert "Huawei brings HarmonyOS laptops to Europe" in out and "Sources: " in out
    assert "“" in out  # a key quote
    # Each redirect hop is vetted again: an allowed site cannot bounce the fetch elsewhere.
    testbot.site.routes["/go/metadata"] = lambda _h: Response(
        302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}, conditional=False
    )
    assert MESSAGES["private"] in await bot.exec(f"/summary {testbot.site.url('/go/metadata')}")
    assert "couldn't fetch" in await bot.exec(f"/summary {testbot.site.url('/nowhere')}")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://127.0.0.1:{port}/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "private"),
        ("http://localhost:{port}/", "private"),
        ("http://[::1]/", "private"),
        ("http://2130706433/", "private"),
        ("file:///etc/passwd", "scheme"),
        ("not a url", "malformed"),
    ],
)
async def test_summary_refuses_links_inside_our_network(
    testbot: ChatBot, target: str, reason: str
) -> None:
    port = testbot.site.base_url.rsplit(":", 1)[1]
    reply = await testbot.reply(f"/summary {target.format(port=port)}")
    assert not reply.ok and MESSAGES[reason] in reply.plain()
    assert "/summary https://" in reply.plain()  # and what to send instead


# /ask ----------------------------------------------------------------------------------------

QUESTION = "What did Huawei announce about laptops in Europe?"


async def test_ask_without_llm_cites_stored_sources_only(testbot: ChatBot) -> None:
    answer = await testbot.core.ask(QUESTION)
    assert answer.answered and answer.answerer == "extractive" and answer.sources
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert numbers == {s.n for s in answer.sources} == set(range(1, len(answer.sources) + 1))
    stored = {a.url for a in await testbot.store.articles_since(None)}
    assert all(s.url in stored for s in answer.sources)
    assert "HarmonyOS" in answer.text
    out = await testbot.exec(f"/ask {QUESTION}")
    assert "Sources:" in out and "[1] " in out


async def test_ask_with_nothing_stored_about_it(testbot: ChatBot) -> None:
    assert NOT_ANSWERED in await testbot.exec("/ask zyxxyq qwrtzp")


async def test_ask_with_llm_drops_citations_to_sources_that_do_not_exist(
    testbot: ChatBot, store: Store
) -> None:
    with OpenAIServer(
        completion("Huawei will sell HarmonyOS laptops in Europe [1], from €999 [2][17] [42].")
    ) as server:
        core = make_core(store, testbot.settings, llm_url=server.url)
        try:
            answer = await core.ask(QUESTION)
        finally:
            await core.aclose()
        offered = server.requests[0].user_text
    assert "[1] " in offered and "Question: " + QUESTION in offered
    assert answer.answerer == "llm" and answer.answered
    assert answer.text == "Huawei will sell HarmonyOS laptops in Europe [1], from €999 [2]."
    assert [s.n for s in answer.sources] == [1, 2]
    stored = {a.url for a in await store.articles_since(None)}
    assert all(s.url in stored for s in answer.sources)


@pytest.mark.parametrize(
    "content", ["NOT ANSWERED", "The excerpts don't say.", "It is sunny [8].", "[0] [99]"]
)
async def test_ask_with_llm_not_answered(testbot: ChatBot, store: Store, content: str) -> None:
    with OpenAIServer(completion(content)) as server:
        core = make_core(store, testbot.settings, llm_url=server.url)
        try:
            bot = ChatBot(core, store, testbot.site, testbot.settings)
            out = await bot.exec(f"/ask {QUESTION}")
            answer = await core.ask(QUESTION)
        finally:
            await core.aclose()
    assert NOT_ANSWERED in out and "Sources" not in out
    assert answer.answerer == "llm" and not answer.answered and not answer.sources


@pytest.mark.parametrize("failure", [server_error(500), completion("  ")])
async def test_ask_falls_back_to_sentences_when_the_llm_fails(
    testbot: ChatBot, store: Store, failure: Answer
) -> None:
    with OpenAIServer(failure) as server:
        core = make_core(store, testbot.settings, llm_url=server.url)
        try:
            answer = await core.ask(QUESTION)
        finally:
            await core.aclose()
        assert server.count == 1  # no retries while a chat user waits
    assert answer.answerer == "extractive" and answer.answered and answer.sources
    assert answer.note and answer.note.startswith("llm fell back")


# hostile input -------------------------------------------------------------------------------

HOSTILE = [
    "'; DROP TABLE articles; --",
    'huawei" OR 1=1 --',
    "NEAR(huawei europe)",
    "title:huawei*",
    "^huawei",
    '"unbalanced',
    "AND OR NOT",
    "huawei AND",
    "(((",
    "*",
    "-",
    "%s %n %x",
    "{}[]",
    "😀🔥",
    "华为 ✨ 🚀",
    "\x00\x01",
    "\u202e\u2066",
    "ﷺ" * 40,
    "a" * 500,
]


@pytest.mark.parametrize("command", ["company", "ask", "summary"])
async def test_hostile_input_gets_a_clear_reply(testbot: ChatBot, command: str) -> None:
    for text in HOSTILE:
        out = await testbot.exec(f"/{command} {text}")
        assert out.strip() and GENERIC_FAILURE not in out, (command, text, out)
        assert "Traceback" not in out and "sqlalchemy" not in out.lower()
