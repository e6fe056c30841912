"""/digest: this chat's digest now (built by bot/digest/build.py, as the scheduled ones are)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.commands.common import chat_for
from bot.reply import Reply

if TYPE_CHECKING:
    from bot.chat.command import ChatContext
    from bot.chat.services import Core


async def digest(core: Core, args: str, context: ChatContext) -> Reply:
    """This chat's digest now: the stories since its last digest, ranked and filtered by its
    subscriptions; the digest is recorded. Asked for, an empty digest always says so."""
    chat, _ = await chat_for(core, context)
    built = await core.digests.digest_now(chat)
    assert built.reply is not None
    return built.reply
