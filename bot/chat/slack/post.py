"""How the Slack adapter answers: chat.postMessage paced per channel and in order, a
response_url where the asker alone should see it (or where the bot may not post), and the
memory of which posted messages carry which digest stories (for "summary" in their thread)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.mrkdwn import Message
from bot.chat.slack.render import MAX_BLOCKS, render_messages
from bot.chat.slack.send import decode_stories
from bot.chat.slack.words import PLATFORM, Posted, message_stories, story_numbers
from bot.delivery.pacing import Pacing
from bot.reply import Image, Reply, para
from bot.store import Store
from bot.store.outbox import part_of_message

log = logging.getLogger("newsbot.slack")

MAX_REMEMBERED = 2000  # digest messages whose threads can ask "summary"
RESPONSE_URL_USES = 5  # Slack takes up to five posts to one response_url
# Where the bot cannot post in the channel, a slash command's answer can still go to its asker.
_NOT_POSTABLE = ("not_in_channel", "channel_not_found", "is_archived")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")  # a Slack user id, safe inside <@…>


def _name_changer(messages: list[Message], user: str) -> None:
    """Name who changed the channel above the first message (a message of its own when that
    one already holds all the blocks Slack takes)."""
    said = f"<@{user}> set this for the channel:"
    line = {"type": "context", "elements": [{"type": "mrkdwn", "text": said}]}
    first = messages[0]
    if len(first["blocks"]) < MAX_BLOCKS:
        first["blocks"].insert(0, line)
        first["text"] = f"{said} {first['text']}"
    else:
        messages.insert(0, {"text": said, "blocks": [line]})


def slack_error(exc: SlackApiError) -> str:
    """The ``error`` code of a Slack API error ("" when there is none)."""
    return str(exc.response.get("error", "") or "") if exc.response is not None else ""


class SlackPoster:
    """Posts replies to Slack and remembers the digest messages it posted."""

    def __init__(self, client: AsyncWebClient, pacer: Pacing, store: Store | None) -> None:
        self.client = client
        self.pacer = pacer
        self.store = store
        self.posted: OrderedDict[tuple[str, str], Posted] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

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
        """An answer: refusals, errors and ``private`` answers only to the asker (ephemeral,
        through the response_url), the rest into the channel; where the bot may not post,
        through the response_url. ``by``: the user who changed the channel, named above a
        public answer ("<@U…> set this for the channel:")."""
        if (private or not reply.ok) and response_url:
            await self.respond(response_url, reply, ephemeral=True)
            return
        try:
            await self.send(channel, reply, thread_ts=thread_ts, by=by if reply.ok else None)
        except SlackApiError as exc:
            error = slack_error(exc)
            if response_url and error in _NOT_POSTABLE:
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
        by: str | None = None,
    ) -> list[str]:
        """Post a reply to a channel in order, paced; returns the messages' ts. A Slack error is
        logged and raised as SlackApiError (unless ``quiet``) after what was already sent.
        ``by`` (a user id) is named at the top: who changed the channel."""
        messages = render_messages(reply)
        if by is not None and _USER_ID.fullmatch(by) and messages:
            _name_changer(messages, by)
        ids, numbers = story_numbers(reply)
        sent: list[str] = []
        async with self._locks.setdefault(channel, asyncio.Lock()):  # parts stay in order
            for picture in (b for b in reply.blocks if isinstance(b, Image)):
                await self._upload(channel, picture, thread_ts, quiet=quiet)
            for message in messages:
                try:
                    async with self.pacer.turn(channel, urgent=True):
                        response = await self.client.chat_postMessage(
                            channel=channel,
                            text=message["text"],
                            blocks=message["blocks"] or None,
                            thread_ts=thread_ts,
                            unfurl_links=False,
                            unfurl_media=False,
                        )
                except SlackApiError as exc:
                    log.warning(
                        "slack refused a message",
                        extra={
                            "channel": channel,
                            "error": slack_error(exc) or None,
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
                    self.remember(channel, ts, Posted(mine, mine_numbers or dict(numbers)))
        return sent

    async def _upload(
        self, channel: str, picture: Image, thread_ts: str | None, *, quiet: bool
    ) -> None:
        """Share a picture (a /trend chart) in the channel or thread: Slack's upload flow
        (files.getUploadURLExternal, the upload, files.completeUploadExternal)."""
        try:
            async with self.pacer.turn(channel, urgent=True):
                await self.client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread_ts,
                    file=picture.png,
                    filename=picture.filename,
                    title=picture.alt,
                    alt_txt=picture.alt,
                )
        except SlackApiError as exc:
            log.warning(
                "slack refused a picture",
                extra={"channel": channel, "error": slack_error(exc) or None},
            )
            if not quiet:
                raise

    async def ephemeral(
        self, channel: str, user: str, reply: Reply, *, thread_ts: str | None = None
    ) -> None:
        """Show a reply to one user of a channel (in a thread) only: chat.postEphemeral. A
        Slack error is logged; the user then sees nothing, as with any lost ephemeral."""
        for message in render_messages(reply):
            try:
                await self.client.chat_postEphemeral(
                    channel=channel,
                    user=user,
                    text=message["text"],
                    blocks=message["blocks"] or None,
                    thread_ts=thread_ts,
                )
            except SlackApiError as exc:
                log.warning(
                    "slack refused an ephemeral message",
                    extra={"channel": channel, "error": slack_error(exc) or None},
                )
                return

    async def respond(self, response_url: str, reply: Reply, *, ephemeral: bool) -> None:
        """Post to a slash command's or button's response_url. Slack takes five posts there:
        a longer answer ends with a fifth message that says how much is missing and where to
        get all of it, never silently cut."""
        from slack_sdk.webhook.async_client import AsyncWebhookClient

        hook = AsyncWebhookClient(response_url)
        if any(isinstance(b, Image) for b in reply.blocks):  # a response_url takes no files
            note = para("I can't share the chart here: /invite me to this channel to see it.")
            reply = Reply([*reply.blocks, note], ok=reply.ok)
        messages = render_messages(reply)
        if len(messages) > RESPONSE_URL_USES:
            left = len(messages) - (RESPONSE_URL_USES - 1)
            log.warning("slack response cut", extra={"messages": len(messages), "left": left})
            note = Reply.message(
                f"…and {left} more messages that Slack won't take as a reply here.",
                "For all of it, ask me in a direct message, or /invite me to this channel.",
                ok=False,
            )
            messages = messages[: RESPONSE_URL_USES - 1] + render_messages(note)[:1]
        for message in messages:
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

    def remember(self, channel: str, ts: str, posted: Posted) -> None:
        """Keep which stories the message ``ts`` carries (the newest MAX_REMEMBERED)."""
        self.posted[(channel, ts)] = posted
        while len(self.posted) > MAX_REMEMBERED:
            self.posted.popitem(last=False)

    async def known(self, channel: str, ts: str) -> Posted | None:
        """The stories of a message of ours: one this process posted, or a digest part the
        outbox delivered (before a restart, or by another process)."""
        posted = self.posted.get((channel, ts))
        if posted is not None or self.store is None:
            return posted
        body = await part_of_message(self.store, PLATFORM, channel, ts)
        if body is None:
            return None
        stories, numbers = decode_stories(body)
        return Posted(stories, numbers) if stories else None
