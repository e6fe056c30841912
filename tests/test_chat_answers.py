"""Chat answers a reader can trust (issue #16, "Both platforms"): sources counted as a reader
counts them, /company that finds a company by the start of its name, /ask that cites only what
answers the question, a longer summary that shows each quote once, quotes without a speaker,
and /help."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.chat.command import ChatContext, parse_plain
from bot.chat.console import render_reply
from bot.models import Article, TextSource
from bot.nlp.companies import CompanyMention
from bot.reply import Buttons, Link
from bot.store import utcnow
from bot.store.news import NewsIndex
from tests.chatbot import (  # noqa: F401
    ADMIN,
    LOOPBACK,
    MEMBER,
    ChatBot,
    make_core,
    reply_to,
    testbot_fixture,
)

GROUP_MEMBER = ChatContext("test", "group-1", "user-2", is_admin=False)


async def _story_of_one_outlet(testbot: ChatBot) -> int:
    """A story told by two articles of the Daily Ledger, stored as one story."""
    feed, _ = await testbot.store.add_feed("https://ledger.example/feed.xml")
    index, story = NewsIndex(testbot.store), None
    for n, title in enumerate(("Acme opens a plant in Ohio", "Acme's Ohio plant hires 400")):
        article = Article(
            url=f"https://ledger.example/acme-{n}",
            title=title,
            text=f"{title}. Acme said the plant would open in March.",
            source="Daily Ledger",
            text_source=TextSource.PAGE,
            content_hash=f"acme-{n}",
            feed_id=feed.id,
            published=utcnow() - timedelta(minutes=30 - n),
            fetched_at=utcnow() - timedelta(minutes=20),
        )
        [stored] = await testbot.store.store_articles([(article, f"acme-{n}")])
        assert stored.id is not None
        story = story if story is not None else await index.new_story(stored.id)
        await index.save_index(stored.id, [CompanyMention("Acme", 2, 0, True, True, 4.0)], story)
    assert story is not None
    return story


async def test_two_articles_of_one_outlet_are_one_source_with_both_links(testbot: ChatBot) -> None:
    story = await _story_of_one_outlet(testbot)
    shown = (await testbot.reply("/company Acme")).plain()  # a story as the digest shows it
    assert "1 source, 2 articles: Daily Ledger (1, 2)" in shown, shown
    assert "Daily Ledger, Daily Ledger" not in shown
    longer = await testbot.reply(f"/summary #{story}")
    assert "Sources: Daily Ledger (1, 2)" in longer.plain(), longer.plain()
    links = {s.url for b in longer.blocks for s in getattr(b, "spans", ()) if isinstance(s, Link)}
    assert {"https://ledger.example/acme-0", "https://ledger.example/acme-1"} <= links
    sources = (await testbot.reply(f"/sources #{story}")).plain()
    assert "1 source, 2 articles:" in sources
    assert sources.count("Daily Ledger") == 1, sources
    assert "Acme opens a plant in Ohio" in sources and "Acme's Ohio plant hires 400" in sources


NORTHWIND = [
    "Northwind Robotics Inc. said on Tuesday it would open a warehouse-robot factory in Ohio, "
    "its first outside Sweden, creating 400 jobs.",
    "The company's chief executive, Ingrid Holm, said the plant would make 5,000 robots a year.",
    "“Ohio gives us the workers and the suppliers we need,” Holm said at the opening.",
]


async def test_company_is_found_by_the_start_of_its_name(testbot: ChatBot) -> None:
    await testbot.publish("northwind-ohio", "Northwind Robotics to build robots in Ohio", NORTHWIND)
    for name in ("Northwind", "northwind robo"):
        out = await testbot.exec(f"/company {name}")
        assert out.startswith("Northwind Robotics: the latest story"), out
        assert "I don't know" not in out
    several = await testbot.reply("/company Micro")
    assert "which one?" in several.plain() and "I don't know" not in several.plain()
    [row] = [b for b in several.blocks if isinstance(b, Buttons)]
    assert {b.label for b in row.buttons} == {"Micron", "Microsoft"}
    assert "I don't know a company called “Zzyzx”" in await testbot.exec("/company Zzyzx")


async def test_company_heading_counts_like_a_reader_and_the_hint_comes_first(
    testbot: ChatBot,
) -> None:
    one = await testbot.exec("/company Larchmont Partners")
    assert one.startswith("Larchmont Partners: the latest story\n"), one
    many = await testbot.reply("/company huawei")
    assert re.match(r"Huawei: the latest [2-9] stories\n", many.plain()), many.plain()
    # Nothing after the last buttons: a platform that ends a message at buttons sends one.
    assert isinstance(many.blocks[-1], Buttons), many.plain()
    assert "To get Huawei in your digest: /subscribe company Huawei" in many.plain()
    unknown = await testbot.reply("/company huawai")
    assert isinstance(unknown.blocks[-1], Buttons), unknown.plain()


BIDEN = [
    "Huawei founder Ren Zhengfei gave a rare interview on Monday, speaking about trade, chips "
    "and American politics.",
    "Asked about the U.S. president, Ren was generous. “Joe Biden is a wise man who "
    "understands the value of trade,” Ren said.",
    "Huawei remains on the U.S. entity list, which restricts its access to American chips.",
]
HARVEST = [
    "Farmers in Normandy are selling more apples than ever after the best harvest in a decade.",
    "Prices for cider apples fell 12% as supply rose, the regional farm office said.",
]


def _cited(answer: str) -> list[str]:
    """The titles an /ask reply cites, in order."""
    return [line.split("] ", 1)[1] for line in answer.splitlines() if line.startswith("  • [")]


async def test_ask_cites_only_what_answers_and_prefers_the_quote(testbot: ChatBot) -> None:
    await testbot.publish("ren-biden", "Huawei founder Ren Zhengfei praises Joe Biden", BIDEN)
    await testbot.publish("harvest", "Normandy apple harvest is the best in a decade", HARVEST)
    for question in (
        "What did Huawei's founder say about Joe Biden?",
        "What did Ren Zhengfei think of Biden?",
        "what does the founder of Huawei say about president Biden",
    ):
        out = await testbot.exec(f"/ask {question}")
        assert "“Joe Biden is a wise man who understands the value of trade,” Ren said." in out
        cited = _cited(out)
        assert len(cited) == 1 and cited[0].startswith("Huawei founder Ren Zhengfei"), out
    out = await testbot.exec("/ask How much did Siemens pay for Kestrel?")
    assert "$48 a share" in out and len(_cited(out)) == 1, out
    recall = await testbot.exec("/ask Why is Tesla recalling cars?")
    assert all("Tesla" in title for title in _cited(recall)) and _cited(recall), recall


ZEPHYR_CEO = [
    "Zephyr Robotics named Ana Lima chief executive on Monday, replacing its founder.",
    "Lima ran the company's warehouse business for six years.",
]
ZEPHYR_SHARES = [
    "Zephyr Robotics shares rose 12% after orders for its warehouse robots doubled.",
    "The company raised its forecast for the year.",
]


async def test_ask_meets_a_question_in_other_words_than_the_story(testbot: ChatBot) -> None:
    # "CEO" of "chief executive", "rise" of "rose": the stored story answers, in its words.
    await testbot.publish("zephyr-ceo", "Zephyr Robotics names Ana Lima to lead it", ZEPHYR_CEO)
    await testbot.publish("zephyr-up", "Zephyr Robotics orders double", ZEPHYR_SHARES)
    await testbot.publish("harvest", "Normandy apple harvest is the best in a decade", HARVEST)
    out = await testbot.exec("/ask Who is the new CEO of Zephyr Robotics?")
    assert _cited(out) and _cited(out)[0].startswith("Zephyr Robotics names Ana Lima"), out
    out = await testbot.exec("/ask Why did Zephyr Robotics shares rise?")
    assert _cited(out) and _cited(out)[0].startswith("Zephyr Robotics orders double"), out
    assert all("Normandy" not in title for title in _cited(out)), out


async def test_ask_puts_the_story_about_who_it_names_before_a_passing_mention(
    testbot: ChatBot,
) -> None:
    # The appeal story holds every word of the question, but names the two only in passing;
    # the story whose headline names them answers it.
    passing = [
        "Juniper Networks will appeal the ruling, it said on Monday.",
        "Lucas Schmidt, who led the inquiry, said rivals including Boeing had complained.",
        "Lawyers expect the appeal to take two years.",
    ]
    about = [
        "Boeing named Lucas Schmidt as chief executive on Monday, replacing its founder.",
        "Schmidt previously ran the company's business in Europe.",
    ]
    await testbot.publish("juniper", "Juniper Networks to appeal Japan ruling", passing)
    await testbot.publish("boeing", "Boeing names Lucas Schmidt chief executive", about)
    out = await testbot.exec("/ask When does Lucas Schmidt take over at Boeing?")
    cited = _cited(out)
    assert cited and cited[0].startswith("Boeing names Lucas Schmidt chief executive"), out


async def test_ask_says_when_nothing_stored_answers(testbot: ChatBot) -> None:
    await testbot.publish("harvest", "Normandy apple harvest is the best in a decade", HARVEST)
    for question in (
        "Will Tesla build a factory on Mars?",
        "What did Huawei say about selling apples in Normandy to Tesla?",
        "Who won the football world cup?",
    ):
        reply = await testbot.reply(f"/ask {question}")
        assert "The stored news doesn't answer that." in reply.plain(), reply.plain()
        assert "Sources:" not in reply.plain()


async def test_a_question_in_any_script_is_asked(testbot: ChatBot) -> None:
    questions = (
        "ماذا قال مؤسس هواوي عن جو بايدن؟",
        "华为创始人对拜登说了什么？",
        "¿Qué dijo Huawei",
    )
    for question in questions:
        reply = await testbot.core.handle(parse_plain(question), testbot.context(as_=MEMBER))
        assert "I didn't catch that" not in reply.plain(), question
        assert "The stored news doesn't answer that." in reply.plain(), reply.plain()
    hello = await testbot.core.handle(parse_plain("hello there"), testbot.context())
    assert "I didn't catch that" in hello.plain()


HOLM = [
    "Northwind Robotics Inc. will open a factory in Ohio, its first outside Sweden, the "
    "company's chief executive, Ingrid Holm, said on Tuesday.",
    "“We will build where our customers need us,” she said.",
    "The plant will make 5,000 warehouse robots a year and employ 400 people.",
    "The company said it was “confident that Ohio has the workers and suppliers we need.”",
]


async def test_the_longer_summary_shows_each_quote_once_with_its_speaker(testbot: ChatBot) -> None:
    url = await testbot.publish("holm", "Northwind Robotics picks Ohio for its first plant", HOLM)
    core = make_core(testbot.store, testbot.settings, allow=LOOPBACK)
    try:
        out = render_reply(await reply_to(core, f"/summary {url}", testbot.context()))
    finally:
        await core.aclose()
    assert out.count("We will build where our customers need us") == 1, out
    assert "she said" not in out, out  # no sentence whose speaker is a dangling pronoun
    assert out.count("confident that Ohio has the workers") == 1, out
    # The page names no site: the source is the feed's title, not the host.
    assert "Sources: Loopback Tribune" in out and "127.0.0.1 ·" not in out, out


async def test_a_quote_without_a_speaker_says_so_without_a_dash(testbot: ChatBot) -> None:
    reply = await testbot.reply("/quotes #1")
    found = render_reply(reply)
    for story_id in range(2, 30):
        if "(speaker not named)" in found:
            break
        found = await testbot.exec(f"/quotes #{story_id}")
    assert "(speaker not named)" in found and "unattributed" not in found, found
    assert "” — (speaker not named)" not in found


async def test_help_starts_with_start_and_shows_admin_commands_to_admins(
    testbot: ChatBot,
) -> None:
    member = (await testbot.reply("/help", as_=GROUP_MEMBER)).plain()
    lines = [line for line in member.splitlines() if line.startswith("- /")]
    assert lines[0].startswith("- /start"), member
    assert "/feeds [add URL" not in member and "for chat admins" not in member
    assert "admins can also" in member and "/feeds" in member
    admin = (await testbot.reply("/help", as_=ADMIN)).plain()
    assert "For this chat's admins:" in admin and "/feeds [add URL | remove NUMBER]" in admin
    head = admin.split("For this chat's admins:")[0]
    assert "/feeds" not in head and "/stop" not in head


def test_slack_help_starts_with_start_and_sets_admin_commands_apart() -> None:
    from bot.chat.slack.words import help_reply

    out = help_reply().plain()
    everyone, admins = out.split("For this channel's admins:")
    assert everyone.splitlines()[1].startswith("- /news start"), out
    assert "/news feeds" in admins and "/news feeds" not in everyone
    assert "/news stop" in admins and "/news ask" in everyone


async def test_the_llm_is_offered_only_the_stories_that_answer(testbot: ChatBot) -> None:
    from tests.fakes.openai_server import OpenAIServer, completion

    await testbot.publish("ren-biden", "Huawei founder Ren Zhengfei praises Joe Biden", BIDEN)
    await testbot.publish("harvest", "Normandy apple harvest is the best in a decade", HARVEST)
    with OpenAIServer(completion("Ren called Joe Biden a wise man [1].")) as server:
        core = make_core(testbot.store, testbot.settings, llm_url=server.url)
        try:
            answer = await core.ask("What did Huawei's founder say about Joe Biden?")
            nothing = await core.ask("Will Tesla build a factory on Mars?")
        finally:
            await core.aclose()
    [request] = server.requests  # nothing answers the second question: no LLM call
    assert "[1] " in request.user_text and "[2] " not in request.user_text, request.user_text
    assert "Joe Biden is a wise man" in request.user_text
    assert answer.answered and [s.title for s in answer.sources] == [
        "Huawei founder Ren Zhengfei praises Joe Biden"
    ]
    assert not nothing.answered
