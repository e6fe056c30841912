"""The Slack adapter: a slack-bolt AsyncApp that converts and holds no business logic.

Slack payload → :class:`~bot.chat.commands.Command` → ``CommandCore`` → :class:`Reply` →
Block Kit (bot/chat/slack_render.py) → chat.postMessage. What Slack users see:

* ``/news SUBCOMMAND ...``, one slash command for all of newsbot (``/news company huawei``,
  ``/news digest``, ``/news summary URL``, ``/news ask ...``, ``/news subscribe company huawei``,
  ``/news settings time 07:30``, ``/news help``). One command, because slash command names are
  workspace-wide and ``/summary`` or ``/settings`` would clash with other apps.
* ``@newsbot company huawei``: a mention works like ``/news``.
* The buttons of a digest (Summary, Quotes, Sources): the answer goes into the digest's thread.
* ``summary`` (or ``summary 3``) replied in the thread of a digest: answered in that thread.

Every listener acks at once and does the work in a Bolt lazy listener. Answers are posted with
chat.postMessage at about one message per second per channel; a 429 is retried after its
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
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.commands import Command, make_command
from bot.chat.core import COMMANDS, ChatContext, CommandCore
from bot.chat.reply import Bold, Buttons, Paragraph, Reply, Text, bullets, para
from bot.chat.slack_render import ACTION_PREFIX, render_messages
from bot.chat.slack_send import SlackSender, decode_stories
from bot.config import Settings
from bot.delivery.pacing import Limit, Pacer
from bot.store import Store
from bot.store.outbox import part_of_message
from bot.summarize.base import Summarizer

log = logging.getLogger("newsbot.slack")

PLATFORM = "slack"
SLASH = "/news"
EVENTS_PATH = "/slack/events"
MAX_REMEMBERED = 2000  # digest messages whose threads can ask "summary"
_THREAD_ASK = re.compile(r"^\s*(?:<@[A-Z0-9]+>\s*)?summary\b\s*#?(\d{1,3})?\s*[.!?]?\s*$", re.I)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_NUMBERED = re.compile(r"^\s*(\d{1,3})\.\s")
_COMMAND_WORD = re.compile(r"(?<![\w/])/([a-z]+)\b")


def _news(text: str) -> str:
    """Core hints name commands Telegram-style (/company); in Slack they are /news company."""
    return _COMMAND_WORD.sub(lambda m: f"{SLASH} {m[1]}" if m[1] in COMMANDS else m[0], text)


def for_slack(reply: Reply) -> Reply:
    """The reply with its command hints rewritten for /news (plain text spans only)."""
    blocks = []
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            block = Paragraph(
                tuple(Text(_news(s.text)) if type(s) is Text else s for s in block.spans)
            )
        blocks.append(block)
    return Reply(blocks, ok=reply.ok)


def help_reply() -> Reply:
    """Every /news subcommand with an example."""
    items = [
        [
            Bold(f"{SLASH} {spec.usage.lstrip('/')}"),
            f" — {spec.about}. Example: {_news(spec.example)}",
        ]
        for spec in COMMANDS.values()
    ]
    return Reply().add(
        para("Here is what I can do — type ", Bold(f"{SLASH}"), " and one of these:"),
        bullets(items),
        para("You can also mention me (@newsbot company huawei), press the buttons under a "
             "digest, or reply “summary” in a digest story's thread."),
    )  # fmt: skip


def slack_ids(body: dict[str, Any]) -> tuple[str, str, str]:
    """(workspace, channel, user) of a slash command, button press or event. The workspace is
    the user's own where Slack says it (a guest from another organisation in a shared channel
    writes from theirs), else the one the request came from."""
    event = body.get("event")
    if isinstance(event, dict):
        team = event.get("user_team") or event.get("team") or body.get("team_id")
        return str(team or ""), str(event.get("channel", "")), str(event.get("user", ""))
    user = body.get("user")
    if isinstance(user, dict):  # an interactive payload (block_actions)
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        team = user.get("team_id") or (body.get("team") or {}).get("id")
        return str(team or ""), str(channel or ""), str(user.get("id", ""))
    return (
        str(body.get("team_id", "")),
        str(body.get("channel_id", "")),
        str(body.get("user_id", "")),
    )


def parse_news(text: str) -> Command:
    """``/news company huawei`` → Command("company", "huawei"); empty text → help."""
    text = _MENTION.sub(" ", text or "").strip()
    name, _, args = text.partition(" ")
    name = name.lstrip("/") or "help"
    return make_command(name, args, raw=f"{SLASH} {text}".strip())


@dataclass(slots=True)
class _Posted:
    """A message of ours with story buttons: its stories by their number in the digest."""

    stories: list[int]
    numbers: dict[int, int] = field(default_factory=dict)


def story_numbers(reply: Reply) -> tuple[list[int], dict[int, int]]:
    """The story ids of a reply's Summary buttons in order, and the digest numbers they have
    ("3. Title" before the buttons)."""
    ids: list[int] = []
    numbers: dict[int, int] = {}
    current: int | None = None
    for block in reply.blocks:
        if isinstance(block, Paragraph) and block.spans and isinstance(block.spans[0], Bold):
            match = _NUMBERED.match(block.spans[0].text)
            current = int(match[1]) if match else current
        elif isinstance(block, Buttons):
            for button in block.buttons:
                name, _, arg = button.action.partition(":")
                if name == "summary" and arg.isdigit():
                    ids.append(int(arg))
                    numbers[current if current is not None else len(ids)] = int(arg)
                    current = None
    return ids, numbers


def web_client(settings: Settings, token: str, *, max_retries: int = 3) -> AsyncWebClient:
    """The Web API client: the configured base URL, 429 Retry-After honoured, one retry of a
    dropped connection."""
    return AsyncWebClient(
        token=token,
        base_url=settings.slack.base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
        ],
    )


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
        self.admins = frozenset(slack.admins)
        # One pacer for replies and digest parts: about one message per second per channel.
        self.pacer = Pacer(None, Limit(1, pace_seconds))
        self.sender = SlackSender(
            AsyncWebClient(token=client.token, base_url=client.base_url, retry_handlers=[]),
            self.pacer,
        )
        self.posted: OrderedDict[tuple[str, str], _Posted] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        secret = settings.secret("slack", "signing_secret")
        http = slack.mode == "http"
        self.app = AsyncApp(
            client=client,
            signing_secret=secret or "",
            request_verification_enabled=http,
            process_before_response=False,
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
        app.message(re.compile(r"(?i)^\s*summary\b"))(
            ack=ack_now, lazy=[self._track(self._on_thread_message)]
        )

        async def ignore(ack: Callable[..., Awaitable[None]]) -> None:
            await ack()  # other messages: nothing to do, but acknowledged

        app.event("message")(ignore)

    def _track(self, work: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """The lazy listener, remembered until done so that :meth:`idle` can wait for it."""

        async def lazy(body: dict[str, Any]) -> None:
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
        admin = user in self.admins or channel in self.admins or channel.startswith("D")
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
            await self.respond(response_url, refusal, ephemeral=True)
        elif refusal.blocks:
            thread = event.get("thread_ts") or event.get("ts")
            await self.send(channel, refusal, thread_ts=thread, quiet=True)
        return False

    async def _on_command(self, body: dict[str, Any]) -> None:
        team, channel, user = slack_ids(body)
        command = parse_news(body.get("text", ""))
        reply = await self.answer(command, self.context(channel, user, team))
        await self.deliver(reply, channel, body.get("response_url"))

    async def _on_mention(self, body: dict[str, Any]) -> None:
        event = body.get("event", {})
        team, channel, user = slack_ids(body)
        thread = event.get("thread_ts")
        if thread and _THREAD_ASK.match(event.get("text", "")):
            await self._thread_summary(event)
            return
        command = parse_news(event.get("text", ""))
        reply = await self.answer(command, self.context(channel, user, team))
        await self.deliver(reply, channel, None, thread_ts=thread or event.get("ts"))

    async def _on_thread_message(self, body: dict[str, Any]) -> None:
        event = body.get("event", {})
        if event.get("thread_ts") and event.get("bot_id") is None:
            await self._thread_summary(event)

    async def _thread_summary(self, event: dict[str, Any]) -> None:
        channel, thread = event.get("channel", ""), event["thread_ts"]
        match = _THREAD_ASK.match(event.get("text", ""))
        known = self.posted.get((channel, thread)) or await self._stored_post(channel, thread)
        if match is None or known is None:
            return  # a thread of someone else's message: not for us
        number = int(match[1]) if match[1] else None
        if number is not None:
            story = known.numbers.get(number)
        elif len(known.stories) == 1:
            story = known.stories[0]
        else:
            story = None
        if story is None:
            shown = ", ".join(str(n) for n in sorted(known.numbers)) or "none"
            reply = Reply.message(
                "Which story? Reply “summary” and its number, for example “summary "
                f"{min(known.numbers, default=1)}”.",
                f"Stories in this message: {shown}.",
                ok=False,
            )
        else:
            team, _, user = slack_ids({"event": event})
            reply = await self.answer(
                make_command("summary", str(story)), self.context(channel, user, team)
            )
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
    ) -> None:
        """An answer: refusals and errors only to the asker (response_url), the rest into the
        channel; where the bot may not post, through the response_url."""
        if not reply.ok and response_url:
            await self.respond(response_url, reply, ephemeral=True)
            return
        try:
            await self.send(channel, reply, thread_ts=thread_ts)
        except SlackApiError as exc:
            error = exc.response.get("error", "") if exc.response is not None else ""
            if response_url and error in ("not_in_channel", "channel_not_found", "is_archived"):
                await self.respond(response_url, reply, ephemeral=False)
            elif response_url:
                await self.respond(
                    response_url,
                    Reply.message(
                        f"Slack did not take my answer ({error or 'error'}).",
                        "Please try again in a minute.",
                        ok=False,
                    ),
                    ephemeral=True,
                )

    async def send(
        self,
        channel: str,
        reply: Reply,
        *,
        thread_ts: str | None = None,
        quiet: bool = False,
    ) -> list[str]:
        """Post a reply to a channel in order, paced; returns the messages' ts. A Slack error is
        logged and raised as SlackApiError (unless ``quiet``) after what was already sent."""
        messages = render_messages(reply)
        ids, numbers = story_numbers(reply)
        sent: list[str] = []
        async with self._locks.setdefault(channel, asyncio.Lock()):  # parts stay in order
            for message in messages:
                try:
                    async with self.pacer.turn(channel):
                        response = await self.client.chat_postMessage(
                            channel=channel,
                            text=message["text"],
                            blocks=message["blocks"] or None,
                            thread_ts=thread_ts,
                            unfurl_links=False,
                            unfurl_media=False,
                        )
                except SlackApiError as exc:
                    error = exc.response.get("error") if exc.response is not None else None
                    log.warning(
                        "slack refused a message",
                        extra={
                            "channel": channel,
                            "error": error,
                            "status": getattr(exc.response, "status_code", None),
                            "sent": len(sent),
                            "of": len(messages),
                        },
                    )
                    if quiet:
                        return sent
                    raise
                ts = str(response.get("ts", ""))
                sent.append(ts)
                mine = message_stories(message, ids)
                if mine:
                    mine_numbers = {n: s for n, s in numbers.items() if s in mine}
                    self._remember(channel, ts, _Posted(mine, mine_numbers or dict(numbers)))
        return sent

    async def _stored_post(self, channel: str, ts: str) -> _Posted | None:
        """A digest part the outbox delivered (before a restart, or by another process)."""
        body = await part_of_message(self.core.store, PLATFORM, channel, ts)
        if body is None:
            return None
        stories, numbers = decode_stories(body)
        return _Posted(stories, numbers) if stories else None

    def _remember(self, channel: str, ts: str, posted: _Posted) -> None:
        self.posted[(channel, ts)] = posted
        while len(self.posted) > MAX_REMEMBERED:
            self.posted.popitem(last=False)

    async def respond(self, response_url: str, reply: Reply, *, ephemeral: bool) -> None:
        """Post to a slash command's or button's response_url (up to five times)."""
        from slack_sdk.webhook.async_client import AsyncWebhookClient

        hook = AsyncWebhookClient(response_url)
        for message in render_messages(reply)[:5]:
            response = await hook.send(
                text=message["text"],
                blocks=message["blocks"] or None,
                response_type="ephemeral" if ephemeral else "in_channel",
                replace_original=False,
                unfurl_links=False,
                unfurl_media=False,
            )
            if response.status_code != 200:
                log.warning(
                    "slack refused a response",
                    extra={"status": response.status_code, "body": str(response.body)[:200]},
                )
                return


def message_stories(message: dict[str, Any], ids: list[int]) -> list[int]:
    """The story ids whose Summary button is in this message."""
    found = []
    for block in message["blocks"]:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            name, _, arg = str(element.get("value", "")).partition(":")
            if name == "summary" and arg.isdigit() and int(arg) in ids:
                found.append(int(arg))
    return found


# --- running inside `newsbot run` ---------------------------------------------------------------


class SlackService:
    """The Slack side of `newsbot run`: Socket Mode (default) or the HTTP Events API."""

    def __init__(self, bot: SlackBot, settings: Settings) -> None:
        self.bot = bot
        self.settings = settings
        self._socket: Any = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, *, host: str = "0.0.0.0") -> None:
        slack = self.settings.slack
        if slack.mode == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            app_token = self.settings.secret("slack", "app_token")
            if not app_token:
                raise ValueError(
                    '[slack] mode = "socket" needs an app-level token (xapp-...): set '
                    'NEWSBOT_SLACK__APP_TOKEN, or use mode = "http" with a signing secret'
                )
            self._socket = AsyncSocketModeHandler(self.bot.app, app_token)
            await self._socket.connect_async()
            log.info("slack connected (socket mode)")
            return
        if not self.settings.secret("slack", "signing_secret"):
            raise ValueError(
                '[slack] mode = "http" needs the signing secret: set NEWSBOT_SLACK__SIGNING_SECRET'
            )
        self._runner = web.AppRunner(self.bot.app.web_app(path=EVENTS_PATH, port=slack.port))
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, slack.port)
        await site.start()
        self.port = self._runner.addresses[0][1] if self._runner.addresses else slack.port
        log.info("slack listening (http)", extra={"port": self.port, "path": EVENTS_PATH})

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.bot.idle(timeout=5.0)


def slack_configured(settings: Settings) -> bool:
    """Whether `newsbot run` should start Slack: a bot token is set."""
    return bool(settings.secret("slack", "bot_token"))


@asynccontextmanager
async def slack_service(
    store: Store, summarizer: Summarizer, settings: Settings
) -> AsyncIterator[SlackService | None]:
    """The running Slack app for `newsbot run` when a bot token is configured (else None),
    in the caller's event loop; stopped on exit."""
    if not slack_configured(settings):
        yield None
        return
    from bot.chat.wiring import make_core

    core = make_core(store, summarizer, settings)
    service = SlackService(SlackBot(core, settings), settings)
    try:
        await service.start()
        yield service
    finally:
        await service.stop()
        await core.aclose()
