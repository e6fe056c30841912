"""Slack as a delivery target: digest parts encoded as Block Kit when planned, posted with
chat.postMessage, Slack's errors turned into outcomes, and unknown sends looked up.

Each part is posted with message metadata carrying its idempotency key, so a part whose outcome
is unknown after a crash is looked for in conversations.history before it is sent again: on
Slack a part arrives exactly once even across a crash.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.render import render_messages
from bot.chat.slack.words import for_slack, message_stories, story_numbers
from bot.delivery.pacing import Pacing
from bot.delivery.sender import Outcome
from bot.reply import Reply
from bot.store.deliveries import Delivery

log = logging.getLogger("newsbot.slack")

PLATFORM = "slack"
EVENT_TYPE = "newsbot_digest_part"
# Errors that mean the channel will not take messages from us until someone acts.
GONE = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "account_inactive",
    "token_revoked",
    "team_access_not_granted",
    "restricted_action",
}


def encode_parts(reply: Reply) -> list[str]:
    """The reply as Slack messages, each stored as JSON with the stories its buttons show."""
    reply = for_slack(reply)
    ids, numbers = story_numbers(reply)
    encoded = []
    for message in render_messages(reply):
        mine = message_stories(message, ids)
        mine_numbers = {n: s for n, s in numbers.items() if s in mine}
        encoded.append(
            json.dumps(
                {
                    "text": message["text"],
                    "blocks": message["blocks"],
                    "stories": mine,
                    "numbers": {str(n): s for n, s in mine_numbers.items()},
                },
                ensure_ascii=False,
            )
        )
    return encoded


def decode_stories(body: str) -> tuple[list[int], dict[int, int]]:
    """The stories of a stored part and their numbers in the digest."""
    data = json.loads(body)
    return list(data.get("stories", [])), {int(n): s for n, s in data.get("numbers", {}).items()}


class SlackSender:
    """Posts stored parts; its client leaves 429s to the worker, which holds that channel only."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, pacer: Pacing) -> None:
        self.client = client
        self.pacer = pacer

    def is_group(self, chat_key: str) -> bool:
        """Slack paces every channel alike."""
        return False

    async def send_part(self, delivery: Delivery) -> Outcome:
        """Post one part with its idempotency key as message metadata."""
        data = json.loads(delivery.body)
        try:
            response = await self.client.chat_postMessage(
                channel=delivery.chat_key,
                text=data["text"],
                blocks=data["blocks"] or None,
                thread_ts=delivery.thread_id,
                unfurl_links=False,
                unfurl_media=False,
                metadata={
                    "event_type": EVENT_TYPE,
                    "event_payload": {"key": delivery.idempotency_key},
                },
            )
        except SlackApiError as exc:
            return _outcome(exc)
        return Outcome("sent", message_id=str(response.get("ts", "")))

    async def find_part(self, delivery: Delivery) -> str | None:
        """The ts of our message carrying this part's key in the channel's recent history."""
        try:
            response = await self.client.conversations_history(
                channel=delivery.chat_key, include_all_metadata=True, limit=200
            )
        except SlackApiError as exc:
            log.warning(
                "slack history unavailable: cannot look for an unknown part",
                extra={"channel": delivery.chat_key, "error": _error(exc)},
            )
            return None
        for message in response.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == delivery.idempotency_key:
                return str(message.get("ts"))
        return None


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "")) if exc.response is not None else ""


def _outcome(exc: SlackApiError) -> Outcome:
    error = _error(exc)
    status = getattr(exc.response, "status_code", None)
    if status == 429 or error == "ratelimited":
        headers: Any = getattr(exc.response, "headers", {}) or {}
        wait = headers.get("Retry-After") or headers.get("retry-after") or 1
        return Outcome("retry", retry_after=float(wait), error=error or "ratelimited")
    if error in GONE:
        return Outcome("gone", error=error)
    return Outcome("failed", error=error or f"HTTP {status}")
