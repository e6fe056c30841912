"""Telegram updates in: messages and button presses become Commands for ``CommandCore``, and its
Replies go back to the chat and topic they came from.

The handlers hold Telegram's rules, not command logic: ``/cmd@OtherBot`` is not ours, only chat
administrators change a group, a button press is answered at once, and chats not on the
allowlists are stopped before any command runs. In a private chat, text without a slash is read
too ("company huawei", a question); in a group only commands and replies to the bot reach it
(privacy mode), and a reply is read only when it asks about a digest story with the core's
follow-up words ("summary", "quotes 2", "tell me more").
"""

from __future__ import annotations

import logging
import re

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.chat.access import ADMINS_ONLY, CHANGES, needs_admin
from bot.chat.command import (
    STORY_COMMANDS,
    ChatContext,
    make_command,
    parse_command,
    parse_follow_up,
    parse_plain,
    story_arg,
)
from bot.chat.core import COMMANDS, CommandCore
from bot.chat.telegram.menu import owner_menu
from bot.chat.telegram.reply import Replier
from bot.chat.telegram.send import PLATFORM
from bot.config import Settings
from bot.reply import Reply

log = logging.getLogger("newsbot.telegram")

_STORY_BUTTON = re.compile(r"^summary:(\d+)$")
_NUMBER = re.compile(r"^\w+ (\d+)$")  # a digest story's buttons: "Summary 2"


def _summary_buttons(message: Message | None) -> list[tuple[int | None, int]]:
    """(number in its digest or None, story id) of each Summary button under a message."""
    markup = message.reply_markup if message is not None else None
    found: list[tuple[int | None, int]] = []
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            match = _STORY_BUTTON.match(str(button.callback_data or ""))
            if match:
                number = _NUMBER.match(button.text)
                found.append((int(number[1]) if number else None, int(match[1])))
    return found


def message_stories(message: Message | None) -> dict[int, int]:
    """The digest stories a message of ours shows: story id by its number ("Summary 2")."""
    return {n: story for n, story in _summary_buttons(message) if n is not None}


def story_of_message(message: Message | None) -> int | None:
    """The story a message is about when it shows one (its Summary button says so); None
    when it shows none or several."""
    stories = {story for _, story in _summary_buttons(message)}
    return stories.pop() if len(stories) == 1 else None


def shows_several(message: Message | None) -> bool:
    """Whether a message of ours shows several stories, each with its buttons."""
    return len({story for _, story in _summary_buttons(message)}) > 1


def which_story(message: Message | None, verb: str) -> Reply:
    """The question back when a reply to a message of several stories says no number."""
    numbers = sorted(message_stories(message))
    if not numbers:
        return Reply.message(
            "Which story? Press the button under it, or send "
            f"/{verb} with its number in your latest digest.",
            ok=False,
        )
    example = numbers[1] if len(numbers) > 1 else numbers[0]
    return Reply.message(
        f"Which story? Reply “{verb} {example}” (its number), or press its {verb.capitalize()} "
        f"button. Stories in that message: {', '.join(map(str, numbers))}.",
        ok=False,
    )


def thread_of(message: object) -> int | None:
    """The forum topic a message was sent in; None outside topics (and for the General one)."""
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


class UpdateHandlers:
    """The PTB handlers of one bot: ``register()`` adds them to its Application."""

    def __init__(
        self, core: CommandCore, app: Application, replier: Replier, settings: Settings
    ) -> None:
        self.core = core
        self.app = app
        self.replier = replier
        self.settings = settings  # the bot's: its owners get their menu on /start

    def register(self) -> None:
        """Add the handlers; the allowlist gate runs before every other one."""
        app = self.app
        app.add_handler(TypeHandler(Update, self._gate), group=-1)
        app.add_handler(CommandHandler(list(COMMANDS), self._on_command))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(
            MessageHandler(
                filters.TEXT & ~filters.COMMAND & (filters.REPLY | filters.ChatType.PRIVATE),
                self._on_text,
            )
        )
        app.add_handler(
            MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, self._on_unknown)
        )
        app.add_error_handler(self._on_error)

    async def _answer(self, message: Message, reply: Reply) -> None:
        """Send the reply to the message's chat and topic, as a reply to it."""
        await self.replier.send_reply(
            message.chat_id, reply, thread_id=thread_of(message), reply_to=message.message_id
        )

    async def _gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop an update from a chat and user not allowed ([telegram] allowed_chats,
        allowed_users): no command runs. One meant for the bot gets the refusal, at most once
        an hour per chat."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        who = ChatContext(PLATFORM, str(chat.id), str(user.id) if user else "")
        refusal = self.core.gate.admit(who, notify=self._addressed(update))
        if refusal is None:
            return
        if update.callback_query is not None:
            await update.callback_query.answer()  # the button stops spinning
        message = update.effective_message
        if refusal.blocks:
            await self.replier.send_reply(
                chat.id,
                refusal,
                thread_id=thread_of(message),
                reply_to=message.message_id if message is not None else None,
            )
        raise ApplicationHandlerStop

    def _addressed(self, update: Update) -> bool:
        """Whether the update is meant for the bot: a button, a private message, or one of
        our commands (a group's talk and other bots' commands get no refusal)."""
        chat, message = update.effective_chat, update.effective_message
        if update.callback_query is not None or (chat and chat.type == ChatType.PRIVATE):
            return True
        text = message.text if message is not None else None
        command = parse_command(text or "", bot_name=self.app.bot.username)
        return command is not None and command.name in COMMANDS

    async def _context(self, update: Update, *, admin_only: bool) -> ChatContext:
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None
        admin = chat.type == ChatType.PRIVATE
        message = update.effective_message
        if not admin and admin_only:
            if message is not None and message.sender_chat and message.sender_chat.id == chat.id:
                admin = True  # an anonymous administrator writes as the group itself
            elif user is not None:
                member = await self.app.bot.get_chat_member(chat.id, user.id)
                admin = member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
        topic = thread_of(message)
        return ChatContext(
            PLATFORM,
            str(chat.id),
            str(user.id) if user else "",
            is_admin=admin,
            thread_key=str(topic) if topic is not None else "",
        )

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        command = parse_command(message.text, bot_name=self.app.bot.username)
        if command is None:
            return
        if command.name in STORY_COMMANDS and not command.args:
            replied = message.reply_to_message
            story_id = story_of_message(replied)
            if story_id is not None:  # /summary as a reply to a digest story
                command = make_command(command.name, story_arg(story_id))
            elif shows_several(replied):
                await self._answer(message, which_story(replied, command.name))
                return
        chat_context = await self._context(
            update, admin_only=needs_admin(command.name, command.args)
        )
        user = update.effective_user
        if command.name == "start" and message.chat.type == ChatType.PRIVATE and user:
            # An owner who first opens the chat now gets /feeds in the menu without a restart.
            await owner_menu(self.app.bot, self.settings, user.id)
        await self._answer(message, await self.core.handle(command, chat_context))

    async def _on_unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        command = parse_command(message.text, bot_name=self.app.bot.username)
        if command is None or command.name in COMMANDS:
            return
        reply = await self.core.handle(command, await self._context(update, admin_only=False))
        await self._answer(message, reply)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await query.answer()  # at once: the client stops its spinner
        message = query.message
        if not isinstance(message, Message) or not query.data:
            return
        name = query.data.partition(":")[0]
        chat_context = await self._context(update, admin_only=name in CHANGES | ADMINS_ONLY)
        await self._answer(message, await self.core.story_action(query.data, chat_context))

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Text without a slash: a reply to a digest story ("summary", "quotes", "sources");
        in a private chat, anything else too (the core reads it). A group's other talk is not
        for the bot."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or not message.text or chat is None:
            return
        replied = message.reply_to_message
        to_bot = (
            replied is not None
            and replied.from_user is not None
            and replied.from_user.id == self.app.bot.id
        )
        asked = parse_follow_up(message.text)
        if asked is not None and to_bot:
            verb = asked.name
            shown = message_stories(replied)
            story_id = story_of_message(replied)
            if asked.number is not None and asked.number in shown:  # story 2 of that digest
                chat_context = await self._context(update, admin_only=False)
                reply = await self.core.handle(
                    make_command(verb, story_arg(shown[asked.number])), chat_context
                )
            elif asked.number is not None:  # "quotes 2": story 2 of the latest digest
                chat_context = await self._context(update, admin_only=False)
                reply = await self.core.handle(make_command(verb, str(asked.number)), chat_context)
            elif story_id is None and shows_several(replied):
                reply = which_story(replied, verb)
            elif story_id is None:
                reply = Reply.message(
                    f"Reply “{verb}” to a story of a digest, or send /{verb} with the story's "
                    "number in your latest digest.",
                    ok=False,
                )
            else:
                chat_context = await self._context(update, admin_only=False)
                reply = await self.core.handle(
                    make_command(verb, story_arg(story_id)), chat_context
                )
        elif chat.type == ChatType.PRIVATE:
            command = parse_plain(message.text)
            chat_context = await self._context(update, admin_only=False)  # private: admin
            reply = await self.core.handle(command, chat_context)
        else:
            return
        await self._answer(message, reply)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed", exc_info=context.error)
