"""The Slack adapter: a slack-bolt AsyncApp that converts and holds no business logic.

Slack payload → :class:`~bot.chat.command.Command` → ``CommandCore`` → :class:`Reply` →
Block Kit (bot/chat/slack/render.py) → chat.postMessage. What Slack users see:

* ``/news SUBCOMMAND ...``, one slash command for all of newsbot (``/news company huawei``,
  ``/news digest``, ``/news summary URL``, ``/news ask ...``, ``/news subscribe company huawei``,
  ``/news settings time 07:30``, ``/news help``). One command, because slash command names are
  workspace-wide and ``/summary`` or ``/settings`` would clash with other apps.
* What only informs the asker (help, feeds, the settings or subscriptions shown) is
  ephemeral, seen by the asker alone (:func:`~bot.chat.slack.words.is_private`); stories,
  answers, digests, ``start``/``stop`` and changes are posted for the channel.
* ``@newsbot company huawei``: a mention works like ``/news``, answered in its thread.
* The buttons of a digest (Summary, Quotes, Sources): the answer goes into the digest's thread.
* ``summary``, ``quotes`` or ``sources`` (or ``summary 3``) replied in the thread of a digest:
  answered in that thread.

Every listener acks at once and does the work in a Bolt lazy listener, alike over Socket Mode
and HTTP (bot/chat/slack/service.py runs either). Answers are posted by
bot/chat/slack/post.py at about one message per second per channel; a 429 is retried after its
Retry-After by slack_sdk's retry handler, which holds up that channel only. A Slack error
(``ok: false``) is logged with its code; the user sees a short message, never a trace.
Settings and subscriptions change only for ``[slack] admins`` (user ids, or channel ids whose
members may change that channel) and in a direct message with the bot.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.access import Access
from bot.chat.command import ChatContext, Command, make_command
from bot.chat.core import CommandCore
from bot.chat.slack.client import web_client
from bot.chat.slack.once import Answered
from bot.chat.slack.post import SlackPoster
from bot.chat.slack.render import ACTION_PREFIX
from bot.chat.slack.send import SlackSender
from bot.chat.slack.words import (
    FOLLOW_UP_WORDS,
    PLATFORM,
    SLASH,
    follow_up,
    for_slack,
    help_reply,
    is_change,
    is_private,
    message_stories,
    parse_news,
    slack_ids,
    story_numbers,
    thread_command,
)
from bot.config import Settings
from bot.delivery.shared_pacing import slack_pacing
from bot.reply import Reply

__all__ = [
    "PLATFORM",
    "SLASH",
    "SlackBot",
    "for_slack",
    "help_reply",
    "message_stories",
    "parse_news",
    "slack_ids",
    "story_numbers",
    "web_client",
]

log = logging.getLogger("newsbot.slack")


class SlackBot:
    """The Bolt app around a CommandCore, and the one way newsbot posts to Slack."""

    def __init__(
        self,
        core: CommandCore,
        settings: Settings,
        *,
        client: AsyncWebClient | None = None,
        pace_seconds: float = 1.0,
    ) -> None:
        slack = settings.slack
        token = settings.secret("slack", "bot_token")
        if client is None:
            if not token:
                raise ValueError("[slack] needs a bot token: set NEWSBOT_SLACK__BOT_TOKEN")
            client = web_client(settings, token)
        self.core = core
        self.settings = settings
        self.client = client
        # Who may change a channel: the core's one admin policy ([slack] admins, DMs).
        self.access = Access.from_settings(settings)
        # One pacer for replies and digest parts: about one message per second per channel.
        # With workers, shared through the store with every process of the app.
        store = core.store if core is not None else None
        self.pacer = slack_pacing(settings, store, pace_seconds)
        self.poster = SlackPoster(client, self.pacer, core.store if core is not None else None)
        self.posted = self.poster.posted
        self.sender = SlackSender(
            AsyncWebClient(token=client.token, base_url=client.base_url, retry_handlers=[]),
            self.pacer,
        )
        self.tasks: set[asyncio.Task[Any]] = set()
        self.answered = Answered()  # each event and message answered once
        secret = settings.secret("slack", "signing_secret")
        self.app = AsyncApp(
            client=client,
            signing_secret=secret or "",
            request_verification_enabled=slack.mode == "http",
            # The ack goes out before any lazy work runs (Bolt otherwise polls for it while the
            # work already has the loop).
            process_before_response=True,
            raise_error_for_unhandled_request=False,
            logger=logging.getLogger("newsbot.slack.bolt"),
        )
        self._listen()

    # -- Bolt listeners -------------------------------------------------------------------------

    def _listen(self) -> None:
        app = self.app

        async def ack_now(ack: Callable[..., Awaitable[None]]) -> None:
            await ack()

        app.command(SLASH)(ack=ack_now, lazy=[self._track(self._on_command)])
        app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(
            ack=ack_now, lazy=[self._track(self._on_action)]
        )
        app.event("app_mention")(ack=ack_now, lazy=[self._track(self._on_mention)])
        app.message(FOLLOW_UP_WORDS)(ack=ack_now, lazy=[self._track(self._on_thread_message)])

        async def ignore(ack: Callable[..., Awaitable[None]]) -> None:
            await ack()  # other messages: nothing to do, but acknowledged

        app.event("message")(ignore)

    def _track(self, work: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """The lazy listener, remembered until done so that :meth:`idle` can wait for it."""

        async def lazy(body: dict[str, Any]) -> None:
            if not self.answered.first_event(body):
                log.debug("slack retried an event", extra={"event_id": body.get("event_id")})
                return
            task = asyncio.current_task()
            if task is not None:
                self.tasks.add(task)
            try:
                if await self._admitted(body):
                    await work(body)
            except Exception:
                log.exception("slack listener failed")
            finally:
                if task is not None:
                    self.tasks.discard(task)

        lazy.__name__ = work.__name__
        return lazy

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until the work that listeners started is done (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        await asyncio.sleep(0)
        while self.tasks and time.monotonic() < deadline:
            await asyncio.wait(set(self.tasks), timeout=max(0.0, deadline - time.monotonic()))
            await asyncio.sleep(0)

    def context(self, channel: str, user: str, team: str = "") -> ChatContext:
        """Where a command comes from; admins are configured, and a DM is the user's own."""
        admin = self.access.configured_admin(channel, user)
        return ChatContext(PLATFORM, channel, user, is_admin=admin, team_key=team)

    async def _admitted(self, body: dict[str, Any]) -> bool:
        """Whether the workspace, channel and user may use the bot ([slack] allowed_workspaces,
        allowed_channels). If not, nothing runs; a slash command, button or mention gets the
        refusal (at most once an hour per channel), a thread message none."""
        team, channel, user = slack_ids(body)
        event = body.get("event") or {}
        response_url = body.get("response_url")
        addressed = bool(response_url) or event.get("type") == "app_mention"
        refusal = self.core.gate.admit(self.context(channel, user, team), notify=addressed)
        if refusal is None:
            return True
        if refusal.blocks and response_url:
            await self.poster.respond(response_url, refusal, ephemeral=True)
        elif refusal.blocks:
            thread = event.get("thread_ts") or event.get("ts")
            await self.send(channel, refusal, thread_ts=thread, quiet=True)
        return False

    async def _on_command(self, body: dict[str, Any]) -> None:
        team, channel, user = slack_ids(body)
        command = parse_news(body.get("text", ""))
        reply = await self.answer(command, self.context(channel, user, team))
        await self.deliver(
            reply,
            channel,
            body.get("response_url"),
            private=is_private(command),
            by=user if is_change(command) else None,
        )

    async def _on_mention(self, body: dict[str, Any]) -> None:
        event = body.get("event", {})
        team, channel, user = slack_ids(body)
        thread = event.get("thread_ts")
        if thread and follow_up(event.get("text", "")) is not None:
            await self._thread_summary(event)
            return
        if not self.answered.first_answer(event):
            return
        command = parse_news(event.get("text", ""))
        reply = await self.answer(command, self.context(channel, user, team))
        await self.deliver(
            reply,
            channel,
            None,
            thread_ts=thread or event.get("ts"),
            by=user if is_change(command) else None,
        )

    async def _on_thread_message(self, body: dict[str, Any]) -> None:
        event = body.get("event", {})
        if event.get("thread_ts") and event.get("bot_id") is None:
            await self._thread_summary(event)

    async def _thread_summary(self, event: dict[str, Any]) -> None:
        channel, thread = event.get("channel", ""), event["thread_ts"]
        known = await self.poster.known(channel, thread)
        asked = thread_command(known, event.get("text", "")) if known is not None else None
        if asked is None:
            return  # a thread of someone else's message, or no follow-up: not for us
        if not self.answered.first_answer(event):
            return  # the same message came as app_mention and as message: answered once
        team, _, user = slack_ids({"event": event})
        if isinstance(asked, Reply):  # which story? Only the asker needs to see the question.
            await self.poster.ephemeral(channel, user, asked, thread_ts=thread)
            return
        reply = await self.answer(asked, self.context(channel, user, team))
        await self.send(channel, reply, thread_ts=thread, quiet=True)

    async def _on_action(self, body: dict[str, Any]) -> None:
        team, channel, user = slack_ids(body)
        message_ts = body.get("container", {}).get("message_ts")
        context = self.context(channel, user, team)
        for action in body.get("actions", []):
            value = str(action.get("value", ""))
            story_action = getattr(self.core, "story_action", None)
            if story_action is not None:
                reply = for_slack(await story_action(value, context))
            else:
                name, _, arg = value.partition(":")
                reply = await self.answer(make_command(name, arg, raw=value), context)
            thread = (body.get("message") or {}).get("thread_ts") or message_ts
            await self.deliver(reply, channel, body.get("response_url"), thread_ts=thread)

    # -- answering ------------------------------------------------------------------------------

    async def answer(self, command: Command, context: ChatContext) -> Reply:
        """The core's reply, in Slack's words (the core refuses changes from non-admins)."""
        if command.name == "help" and not command.args:
            return help_reply()
        return for_slack(await self.core.handle(command, context))

    async def deliver(
        self,
        reply: Reply,
        channel: str,
        response_url: str | None,
        *,
        thread_ts: str | None = None,
        private: bool = False,
        by: str | None = None,
    ) -> None:
        """See :meth:`SlackPoster.deliver`."""
        await self.poster.deliver(
            reply, channel, response_url, thread_ts=thread_ts, private=private, by=by
        )

    async def send(
        self, channel: str, reply: Reply, *, thread_ts: str | None = None, quiet: bool = False
    ) -> list[str]:
        """See :meth:`SlackPoster.send`."""
        return await self.poster.send(channel, reply, thread_ts=thread_ts, quiet=quiet)

    async def respond(self, response_url: str, reply: Reply, *, ephemeral: bool) -> None:
        """See :meth:`SlackPoster.respond`."""
        await self.poster.respond(response_url, reply, ephemeral=ephemeral)
