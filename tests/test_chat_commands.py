"""The chat's own commands in the core: /start, /settings, /subscribe, /digest, the buttons."""

from __future__ import annotations

from bot.chat.command import ChatContext, parse_command
from bot.chat.commands.settings import parse_days
from bot.reply import Buttons, Reply
from bot.store.chats import ChatStore
from tests.chatbot import BOT_NAME, ChatBot, testbot_fixture  # noqa: F401

ADMIN = ChatContext("test", "chat-9", "user-1", is_admin=True)
MEMBER = ChatContext("test", "group-1", "user-2", is_admin=False)


async def say(testbot: ChatBot, text: str, context: ChatContext = ADMIN) -> Reply:
    command = parse_command(text, bot_name=BOT_NAME)
    assert command is not None
    return await testbot.core.handle(command, context)


def actions(reply: Reply) -> list[str]:
    return [b.action for block in reply.blocks if isinstance(block, Buttons) for b in block.buttons]


def test_days_are_read_in_every_common_way() -> None:
    assert parse_days("mon-fri") == ("mon", "tue", "wed", "thu", "fri")
    assert parse_days("Mon,Wed,friday") == ("mon", "wed", "fri")
    assert parse_days("fri-mon") == ("mon", "fri", "sat", "sun")
    assert parse_days("weekends") == ("sat", "sun")
    assert parse_days("someday") is None


async def test_a_new_chat_starts_sets_subscribes_and_gets_its_digest(testbot: ChatBot) -> None:
    started = await say(testbot, "/start")
    assert started.ok and "08:00 (UTC)" in started.plain() and "/subscribe" in started.plain()

    saved = await say(testbot, "/settings time 7:30 tz europe/berlin days mon-fri")
    assert saved.ok, saved.plain()
    assert "07:30 (Europe/Berlin)" in saved.plain() and "Monday to Friday" in saved.plain()
    shown = await say(testbot, "/settings")
    assert "07:30 (Europe/Berlin)" in shown.plain()

    bad = await say(testbot, "/settings tz Mars/Olympus")
    assert not bad.ok and "IANA" in bad.plain()

    unknown = await say(testbot, "/subscribe company huawai")
    assert not unknown.ok and "Huawei" in unknown.plain()
    sub = await say(testbot, "/subscribe company huawei")
    assert sub.ok and "Huawei" in sub.plain()
    again = await say(testbot, "/subscribe company Huawei")
    assert "Already" in again.plain()
    listed = await say(testbot, "/subscribe")
    assert "company Huawei" in listed.plain()

    digest = await say(testbot, "/digest")
    assert digest.ok, digest.plain()
    ids = [a.split(":")[1] for a in actions(digest) if a.startswith("summary:")]
    assert ids, digest.plain()
    assert "Huawei" in digest.plain()
    assert {f"quotes:{ids[0]}", f"sources:{ids[0]}"} <= set(actions(digest))

    for kind in ("summary", "quotes", "sources"):
        answer = await testbot.core.story_action(f"{kind}:{ids[0]}", ADMIN)
        assert answer.ok, (kind, answer.plain())

    nothing = await say(testbot, "/digest")
    assert "No new stories" in nothing.plain()

    assert (await say(testbot, "/unsubscribe company huawei")).ok
    assert not (await say(testbot, "/unsubscribe company huawei")).ok


async def test_only_admins_change_a_group(testbot: ChatBot) -> None:
    refused = await say(testbot, "/settings time 09:00", MEMBER)
    assert not refused.ok and "administrators" in refused.plain()
    assert not (await say(testbot, "/subscribe keyword 5g", MEMBER)).ok
    assert (await say(testbot, "/settings", MEMBER)).ok  # looking is fine


async def test_keywords_and_exclusions_filter_the_digest(testbot: ChatBot) -> None:
    assert (await say(testbot, "/subscribe keyword zzzunlikelyword")).ok
    empty = await say(testbot, "/digest")
    assert "No new stories for your subscriptions" in empty.plain()

    everything = await say(testbot, "/digest", ChatContext("test", "chat-2", "u", is_admin=True))
    assert everything.ok and actions(everything)


async def test_sources_and_pause_and_migration(testbot: ChatBot) -> None:
    feeds = await say(testbot, "/sources")
    assert feeds.ok and "feed" in feeds.plain()
    chats = ChatStore(testbot.store)
    await say(testbot, "/start")
    assert await chats.set_paused("test", "chat-9", True)
    assert (await chats.get("test", "chat-9")).paused  # type: ignore[union-attr]
    await chats.migrate("test", "chat-9", "chat-10")
    assert await chats.get("test", "chat-9") is None
    moved = await chats.get("test", "chat-10")
    assert moved is not None and moved.paused


async def test_unknown_button_is_answered(testbot: ChatBot) -> None:
    reply = await testbot.core.story_action("nonsense", ADMIN)
    assert not reply.ok


# /stop, /subscribe WORD, keywords, settings without a value, plain text -----------------------


async def test_stop_pauses_and_start_resumes(testbot: ChatBot) -> None:
    refused = await say(testbot, "/stop", MEMBER)
    assert not refused.ok and "administrators" in refused.plain()
    stopped = await say(testbot, "/stop")
    assert stopped.ok and stopped.plain().startswith("Digests paused. /start brings them back.")
    chat = await ChatStore(testbot.store).get("test", "chat-9")
    assert chat is not None and chat.paused
    shown = await say(testbot, "/settings")
    assert "Deliveries: paused — /start resumes them" in shown.plain()
    assert "already paused" in (await say(testbot, "/stop")).plain()

    member = ChatContext("test", "chat-9", "user-2", is_admin=False)
    welcomed = await say(testbot, "/start", member)  # a member cannot undo an admin's pause
    assert "Digests are paused" in welcomed.plain()
    assert (await ChatStore(testbot.store).get("test", "chat-9")).paused  # type: ignore[union-attr]
    resumed = await say(testbot, "/start")
    assert "Digests are on again" in resumed.plain()
    chat = await ChatStore(testbot.store).get("test", "chat-9")
    assert chat is not None and not chat.paused
    assert "Deliveries: on" in (await say(testbot, "/settings")).plain()


async def test_subscribe_a_bare_word(testbot: ChatBot) -> None:
    known = await say(testbot, "/subscribe huawei")
    assert known.ok and known.plain().startswith(
        "Subscribed: Huawei (company). For a keyword instead: /subscribe keyword huawei"
    )
    assert "company Huawei" in (await say(testbot, "/subscribe")).plain()
    unknown = await say(testbot, "/subscribe zorblax")
    assert not unknown.ok and unknown.plain() == (
        "Is “zorblax” a company or a keyword? /subscribe company zorblax or "
        "/subscribe keyword zorblax"
    )
    assert (
        "Which keyword? For example: /subscribe keyword 5G"
        in (await say(testbot, "/subscribe keyword")).plain()
    )
    assert (await say(testbot, "/unsubscribe huawei")).ok


async def test_keywords_keep_their_spelling_and_match_any_case(testbot: ChatBot) -> None:
    added = await say(testbot, "/subscribe keyword 5G")
    assert "“5G”" in added.plain() and "5g" not in added.plain()
    assert "Already subscribed: keyword 5G" in (await say(testbot, "/subscribe keyword 5g")).plain()
    assert "keyword 5G" in (await say(testbot, "/subscribe")).plain()
    assert (await say(testbot, "/unsubscribe keyword 5g")).ok
    assert "follows everything" in (await say(testbot, "/subscribe")).plain()


async def test_settings_without_a_value_say_what_is_missing(testbot: ChatBot) -> None:
    expected = {
        "/settings time": "Which time? For example: /settings time 07:30",
        "/settings days": "Which days? For example: /settings days mon-fri",
        "/settings tz": "Which time zone? For example: /settings tz Europe/Berlin",
        "/settings empty": "Silent or notice? For example: /settings empty silent",
    }
    for line, answer in expected.items():
        reply = await say(testbot, line)
        assert not reply.ok and reply.plain().startswith(answer), (line, reply.plain())
        assert "“”" not in reply.plain()


async def test_plain_text_is_a_command_a_question_or_a_hint(testbot: ChatBot) -> None:
    from bot.chat.command import parse_plain

    async def plain(text: str) -> Reply:
        return await testbot.core.handle(parse_plain(text), ADMIN)

    company = await plain("company huawei")
    assert company.ok and "Huawei: the latest" in company.plain()
    asked = await plain("what did huawei announce?")
    assert asked.ok and "Sources:" in asked.plain() and "/what" not in asked.plain()
    hint = await plain("hello there")
    assert not hint.ok and hint.plain() == (
        "I didn't catch that. Try /company huawei, ask a question, or /help."
    )
    explicit = await say(testbot, "/what did huawei announce?")  # a slash: a command we lack
    assert explicit.plain().startswith("I don't know /what.")
