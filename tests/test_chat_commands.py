"""The chat's own commands in the core: /start, /settings, /subscribe, /digest, the buttons."""

from __future__ import annotations

from bot.chat.command import ChatContext
from bot.chat.commands.settings import parse_days
from bot.reply import Buttons, Reply
from bot.store.chats import ChatStore
from tests.chatbot import BOT_NAME, ChatBot, testbot_fixture  # noqa: F401

ADMIN = ChatContext("test", "chat-9", "user-1", is_admin=True)
MEMBER = ChatContext("test", "group-1", "user-2", is_admin=False)


def actions(reply: Reply) -> list[str]:
    return [b.action for block in reply.blocks if isinstance(block, Buttons) for b in block.buttons]


def test_days_are_read_in_every_common_way() -> None:
    assert parse_days("mon-fri") == ("mon", "tue", "wed", "thu", "fri")
    assert parse_days("Mon,Wed,friday") == ("mon", "wed", "fri")
    assert parse_days("fri-mon") == ("mon", "fri", "sat", "sun")
    assert parse_days("weekends") == ("sat", "sun")
    assert parse_days("someday") is None


async def test_a_new_chat_starts_sets_subscribes_and_gets_its_digest(testbot: ChatBot) -> None:
    started = await testbot.reply("/start", as_=ADMIN)
    assert started.ok and "08:00 (UTC)" in started.plain() and "/subscribe" in started.plain()

    saved = await testbot.reply("/settings time 7:30 tz europe/berlin days mon-fri", as_=ADMIN)
    assert saved.ok, saved.plain()
    assert "07:30 (Europe/Berlin)" in saved.plain() and "Monday to Friday" in saved.plain()
    shown = await testbot.reply("/settings", as_=ADMIN)
    assert "07:30 (Europe/Berlin)" in shown.plain()

    bad = await testbot.reply("/settings tz Mars/Olympus", as_=ADMIN)
    assert not bad.ok and "IANA" in bad.plain()

    unknown = await testbot.reply("/subscribe company huawai", as_=ADMIN)
    assert not unknown.ok and "Huawei" in unknown.plain()
    sub = await testbot.reply("/subscribe company huawei", as_=ADMIN)
    assert sub.ok and "Huawei" in sub.plain()
    again = await testbot.reply("/subscribe company Huawei", as_=ADMIN)
    assert "Already" in again.plain()
    listed = await testbot.reply("/subscribe", as_=ADMIN)
    assert "company Huawei" in listed.plain()

    digest = await testbot.reply("/digest", as_=ADMIN)
    assert digest.ok, digest.plain()
    ids = [a.split(":")[1] for a in actions(digest) if a.startswith("summary:")]
    assert ids, digest.plain()
    assert "Huawei" in digest.plain()
    assert {f"quotes:{ids[0]}", f"sources:{ids[0]}"} <= set(actions(digest))

    for kind in ("summary", "quotes", "sources"):
        answer = await testbot.core.story_action(f"{kind}:{ids[0]}", ADMIN)
        assert answer.ok, (kind, answer.plain())

    nothing = await testbot.reply("/digest", as_=ADMIN)
    assert "No new stories" in nothing.plain()

    assert (await testbot.reply("/unsubscribe company huawei", as_=ADMIN)).ok
    assert not (await testbot.reply("/unsubscribe company huawei", as_=ADMIN)).ok


async def test_only_admins_change_a_group(testbot: ChatBot) -> None:
    refused = await testbot.reply("/settings time 09:00", as_=MEMBER)
    assert not refused.ok and "administrators" in refused.plain()
    assert not (await testbot.reply("/subscribe keyword 5g", as_=MEMBER)).ok
    assert (await testbot.reply("/settings", as_=MEMBER)).ok  # looking is fine


async def test_keywords_and_exclusions_filter_the_digest(testbot: ChatBot) -> None:
    assert (await testbot.reply("/subscribe keyword zzzunlikelyword", as_=ADMIN)).ok
    empty = await testbot.reply("/digest", as_=ADMIN)
    assert "No new stories for your subscriptions" in empty.plain()

    everything = await testbot.reply(
        "/digest", as_=ChatContext("test", "chat-2", "u", is_admin=True)
    )
    assert everything.ok and actions(everything)


async def test_sources_and_pause_and_migration(testbot: ChatBot) -> None:
    feeds = await testbot.reply("/sources", as_=ADMIN)
    assert feeds.ok and "feed" in feeds.plain()
    chats = ChatStore(testbot.store)
    await testbot.reply("/start", as_=ADMIN)
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
    refused = await testbot.reply("/stop", as_=MEMBER)
    assert not refused.ok and "administrators" in refused.plain()
    stopped = await testbot.reply("/stop", as_=ADMIN)
    assert stopped.ok and stopped.plain().startswith("Digests paused. /start brings them back.")
    chat = await ChatStore(testbot.store).get("test", "chat-9")
    assert chat is not None and chat.paused
    shown = await testbot.reply("/settings", as_=ADMIN)
    assert "Deliveries: paused — /start resumes them" in shown.plain()
    assert "already paused" in (await testbot.reply("/stop", as_=ADMIN)).plain()

    member = ChatContext("test", "chat-9", "user-2", is_admin=False)
    welcomed = await testbot.reply("/start", as_=member)  # a member cannot undo an admin's pause
    assert "Digests are paused" in welcomed.plain()
    assert (await ChatStore(testbot.store).get("test", "chat-9")).paused  # type: ignore[union-attr]
    resumed = await testbot.reply("/start", as_=ADMIN)
    assert "Digests are on again" in resumed.plain()
    chat = await ChatStore(testbot.store).get("test", "chat-9")
    assert chat is not None and not chat.paused
    assert "Deliveries: on" in (await testbot.reply("/settings", as_=ADMIN)).plain()


async def test_subscribe_a_bare_word(testbot: ChatBot) -> None:
    known = await testbot.reply("/subscribe huawei", as_=ADMIN)
    assert known.ok and known.plain().startswith(
        "Subscribed: Huawei (company). For a keyword instead: /subscribe keyword huawei"
    )
    assert "company Huawei" in (await testbot.reply("/subscribe", as_=ADMIN)).plain()
    unknown = await testbot.reply("/subscribe zorblax", as_=ADMIN)
    assert not unknown.ok and unknown.plain() == (
        "Is “zorblax” a company or a keyword? /subscribe company zorblax or "
        "/subscribe keyword zorblax"
    )
    assert (
        "Which keyword? For example: /subscribe keyword 5G"
        in (await testbot.reply("/subscribe keyword", as_=ADMIN)).plain()
    )
    assert (await testbot.reply("/unsubscribe huawei", as_=ADMIN)).ok


async def test_keywords_keep_their_spelling_and_match_any_case(testbot: ChatBot) -> None:
    added = await testbot.reply("/subscribe keyword 5G", as_=ADMIN)
    assert "“5G”" in added.plain() and "5g" not in added.plain()
    assert (
        "Already subscribed: keyword 5G"
        in (await testbot.reply("/subscribe keyword 5g", as_=ADMIN)).plain()
    )
    assert "keyword 5G" in (await testbot.reply("/subscribe", as_=ADMIN)).plain()
    assert (await testbot.reply("/unsubscribe keyword 5g", as_=ADMIN)).ok
    assert "follows everything" in (await testbot.reply("/subscribe", as_=ADMIN)).plain()


async def test_settings_without_a_value_say_what_is_missing(testbot: ChatBot) -> None:
    expected = {
        "/settings time": "Which time? For example: /settings time 07:30",
        "/settings days": "Which days? For example: /settings days mon-fri",
        "/settings tz": "Which time zone? For example: /settings tz Europe/Berlin",
        "/settings empty": "Silent or notice? For example: /settings empty silent",
    }
    for line, answer in expected.items():
        reply = await testbot.reply(line, as_=ADMIN)
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
    explicit = await testbot.reply(
        "/what did huawei announce?", as_=ADMIN
    )  # a slash: a command we lack
    assert explicit.plain().startswith("I don't know /what.")
