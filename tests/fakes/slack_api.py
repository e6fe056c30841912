"""A Slack Web API server on 127.0.0.1, so the real slack_sdk / slack_bolt clients run in tests.

It speaks the documented HTTP shapes (https://api.slack.com/web): ``POST /api/<method>`` with a
JSON, form or query body and the token as ``Authorization: Bearer`` (or a ``token`` parameter);
success is ``{"ok": true, ...}``, a refusal is HTTP 200 ``{"ok": false, "error": "..."}``, and a
rate limit is HTTP 429 with a ``Retry-After`` header and ``{"ok": false, "error": "ratelimited"}``.

    with SlackAPIServer() as server:
        client = AsyncWebClient(token=server.token, base_url=server.base_url)
        await client.chat_postMessage(channel="C0NEWS", text="hello")
        assert server.posted["C0NEWS"][0]["text"] == "hello"

Messages are validated against Block Kit's documented limits (at most 50 blocks; a section's
text at most 3000 characters, its fields 10 × 2000; a header 150; ...), answering
``invalid_blocks`` with the ``errors`` list Slack sends. Slash commands and button presses are
built here too, with :func:`sign` for the request signature a Bolt app verifies, and a
``response_url`` on this server that records what the app posts back.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.loopback import AiohttpLoopback, wait_until

JSONDict = dict[str, Any]

MAX_BLOCKS = 50  # per message (100 in a modal or Home tab)
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_MESSAGE_TEXT = 40_000
RESPONSE_URL_USES = 5  # "up to five times within 30 minutes"

TEAM_ID = "T0NEWSBOT"
TEAM_DOMAIN = "newsbot-test"
BOT_USER_ID = "U0NEWSBOT"
BOT_ID = "B0NEWSBOT"
APP_ID = "A0NEWSBOT"


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack signs a request with: ``v0=HMAC-SHA256(secret, "v0:{ts}:{body}")``."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = f"v0:{ts}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def signed_headers(
    body: bytes,
    secret: str,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    timestamp: int | None = None,
    retry: int = 0,
) -> dict[str, str]:
    """:func:`sign` plus the Content-Type, ready for a Bolt request; ``retry`` > 0 adds the
    headers of Slack's redelivery after a slow or lost ack (``X-Slack-Retry-Num``, and
    ``X-Slack-Retry-Reason: http_timeout``)."""
    headers = {"Content-Type": content_type, **sign(body, secret, timestamp)}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers


class SlackError(Exception):
    """An ``ok: false`` answer (HTTP 200 unless ``status`` says otherwise)."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        extra: JSONDict | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> web.Response:
        body = {"ok": False, "error": self.error, **self.extra}
        return web.json_response(body, status=self.status, headers=self.headers)


def ratelimited(retry_after: int) -> SlackError:
    """HTTP 429 with ``Retry-After``, as the Web API answers a rate-limited call."""
    return SlackError("ratelimited", status=429, headers={"Retry-After": str(int(retry_after))})


# --- Block Kit ----------------------------------------------------------------------------------

_BLOCK_TYPES = frozenset(
    {
        "section",
        "header",
        "divider",
        "context",
        "actions",
        "image",
        "rich_text",
        "markdown",
        "video",
        "file",
        "input",
        "table",
    }
)


def validate_blocks(blocks: Any, *, max_blocks: int = MAX_BLOCKS) -> list[str]:
    """Block Kit problems in Slack's wording (``... [json-pointer:/blocks/0/text/text]``)."""
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors: list[str] = []

    def err(message: str, pointer: str) -> None:
        errors.append(f"{message} [json-pointer:{pointer}]")

    def text_object(obj: Any, pointer: str, limit: int, kinds: tuple[str, ...]) -> None:
        if not isinstance(obj, dict) or obj.get("type") not in kinds:
            err(f"must be a text object of type {' or '.join(kinds)}", pointer)
            return
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            err("must be more than 0 characters", f"{pointer}/text")
        elif len(text) > limit:
            err(f"must be less than {limit + 1} characters", f"{pointer}/text")

    def element(obj: Any, pointer: str) -> None:
        if not isinstance(obj, dict):
            err("must be an object", pointer)
            return
        if obj.get("type") == "button":
            text_object(obj.get("text"), f"{pointer}/text", 75, ("plain_text",))
            if len(str(obj.get("value", ""))) > 2000:
                err("must be less than 2001 characters", f"{pointer}/value")
            if len(str(obj.get("url", ""))) > 3000:
                err("must be less than 3001 characters", f"{pointer}/url")
        if len(str(obj.get("action_id", ""))) > 255:
            err("must be less than 256 characters", f"{pointer}/action_id")

    if len(blocks) > max_blocks:
        err(f"no more than {max_blocks} items allowed", "/blocks")
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        at = f"/blocks/{index}"
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            err("unsupported type or missing type", at)
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > 255:
                err("must be less than 256 characters", f"{at}/block_id")
            if block_id in seen_ids:
                err(f"duplicate block_id {block_id!r}", f"{at}/block_id")
            seen_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                err("must provide either text or fields", at)
            if "text" in block:
                kinds = ("plain_text", "mrkdwn")
                text_object(block["text"], f"{at}/text", MAX_SECTION_TEXT, kinds)
            fields = block.get("fields", [])
            if len(fields) > 10:
                err("no more than 10 items allowed", f"{at}/fields")
            for n, field in enumerate(fields):
                text_object(field, f"{at}/fields/{n}", MAX_FIELD_TEXT, ("plain_text", "mrkdwn"))
            if "accessory" in block:
                element(block["accessory"], f"{at}/accessory")
        elif kind == "header":
            text_object(block.get("text"), f"{at}/text", MAX_HEADER_TEXT, ("plain_text",))
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                err("must contain between 1 and 10 items", f"{at}/elements")
            for n, item in enumerate(elements):
                if isinstance(item, dict) and item.get("type") in ("plain_text", "mrkdwn"):
                    text_object(item, f"{at}/elements/{n}", MAX_SECTION_TEXT, (item["type"],))
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                err("must contain between 1 and 25 items", f"{at}/elements")
            for n, item in enumerate(elements):
                element(item, f"{at}/elements/{n}")
        elif kind == "image":
            if not block.get("image_url") and not block.get("slack_file"):
                err("must provide image_url or slack_file", at)
            elif len(str(block.get("image_url", ""))) > 3000:
                err("must be less than 3001 characters", f"{at}/image_url")
            if not block.get("alt_text"):
                err("must be more than 0 characters", f"{at}/alt_text")
        elif kind == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or not text:
                err("must be more than 0 characters", f"{at}/text")
            elif len(text) > 12_000:
                err("must be less than 12001 characters", f"{at}/text")
    return errors


def _blocks_error(errors: list[str]) -> SlackError:
    return SlackError(
        "invalid_blocks",
        extra={
            "errors": errors,
            "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]},
        },
    )


# --- requests -----------------------------------------------------------------------------------


def _flag(value: Any) -> bool | None:
    """A boolean argument, as JSON or as a form string ("true", "1")."""
    if value is None or isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


def _json_arg(value: Any) -> Any:
    """``blocks`` / ``metadata``: a JSON value, or a JSON string in a form body."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError("invalid_blocks_format") from None
    return value


async def _read_args(request: web.Request) -> JSONDict:
    args: JSONDict = dict(request.query)
    if not request.body_exists:
        return args
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        args.update(body)
    else:
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args


@dataclass(slots=True)
class _Failure:
    method: str
    channel: str | None
    error: SlackError
    times: int


class SlackAPIServer(AiohttpLoopback):
    """The Slack Web API on 127.0.0.1: ``base_url`` ends with "/api/" for slack_sdk clients.

    What the test reads: ``posted[channel]`` (every accepted chat.postMessage: ``ts``, ``text``,
    ``blocks``, ``thread_ts``, ``unfurl_links``, ``unfurl_media``, ..., and ``posted_at``, when it
    was answered, monotonic), ``updated[channel]``, ``ephemeral[channel]``, ``responses[id]``
    (bodies POSTed to a response_url; ``responded_at[id]``: when), ``calls``, ``count(method)``,
    ``too_many_requests``; ``wait_posted`` / ``wait_responses`` wait in the caller's loop.
    What the test scripts: ``fail_next(method, error)`` (``"ratelimited"`` answers 429 with
    Retry-After), ``delay(method, seconds)``, ``kick`` / ``remove_channel`` / ``archive`` for
    channel errors, ``add_user`` / ``add_channel``, ``enforce_limits`` (about one message per
    second per channel).
    What Slack sends the app is built here too: :meth:`slash_command_fields`,
    :meth:`block_actions_payload` and :meth:`event_callback` (as Socket Mode carries them),
    :meth:`slash_command` and :meth:`block_actions` (as signed HTTP bodies).
    """

    def __init__(self, *, token: str = "xoxb-test-token", strict: bool = False) -> None:
        super().__init__()
        self.token = token
        self.tokens = {token}
        self.strict = strict  # unknown channels / users answer channel_not_found / user_not_found
        self.enforce_limits = False
        self.messages_per_second = 1
        self.clock: Callable[[], float] = time.monotonic
        self.posted: defaultdict[str, list[JSONDict]] = defaultdict(list)
        self.updated: defaultdict[str, list[JSONDict]] = defaultdict(list)
        self.ephemeral: defaultdict[str, list[JSONDict]] = defaultdict(list)
        self.files: defaultdict[str, list[JSONDict]] = defaultdict(list)  # shared, by channel
        self._uploads: dict[str, JSONDict] = {}  # file id -> its upload, until completed
        self.responses: defaultdict[str, list[JSONDict]] = defaultdict(list)
        self.responded_at: defaultdict[str, list[float]] = defaultdict(list)  # monotonic
        self.calls: list[tuple[str, JSONDict]] = []
        self.too_many_requests = 0
        self.channels: dict[str, JSONDict] = {}
        self.users: dict[str, JSONDict] = {}
        self.messages: dict[tuple[str, str], JSONDict] = {}
        self._counts: defaultdict[str, int] = defaultdict(int)
        self._failures: list[_Failure] = []
        self._delays: dict[str, float] = {}
        self._ts = itertools.count(1)
        self._response_ids = itertools.count(1)
        self._response_uses: dict[str, int] = {}
        self._sends: defaultdict[str, deque[float]] = defaultdict(deque)
        self._methods: dict[str, Callable[[JSONDict], JSONDict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "api.test": lambda args: {"args": args},
        }

    def setup(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/response/{id}", self._response_url_post)
        app.router.add_post("/upload/{file_id}", self._upload_post)

    def __enter__(self) -> SlackAPIServer:
        self.start()
        return self

    @property
    def base_url(self) -> str:
        """For ``AsyncWebClient(base_url=...)``: ends with "/api/"."""
        return f"{super().base_url}/api/"

    # -- reading what happened --------------------------------------------------------------------

    def count(self, method: str) -> int:
        """How many calls ``method`` received (any outcome)."""
        return self._counts[method]

    # -- scripting --------------------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        is_member: bool = True,
        is_private: bool | None = None,
        user: str | None = None,
    ) -> JSONDict:
        """Register a conversation: C… public, G… private, D… a DM (with ``user``)."""
        is_im = channel_id.startswith("D")
        private = is_private if is_private is not None else channel_id.startswith("G") or is_im
        channel: JSONDict = {
            "id": channel_id,
            "name": name or channel_id.lower(),
            "is_channel": not is_im and not private,
            "is_group": private and not is_im,
            "is_im": is_im,
            "is_mpim": False,
            "is_private": private,
            "is_archived": False,
            "is_general": False,
            "is_member": is_member,
            "created": 1_700_000_000,
            "context_team_id": TEAM_ID,
        }
        if is_im:
            channel.pop("name")
            channel["user"] = user or "U0USER"
        with self.lock:
            self.channels[channel_id] = channel
        return channel

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        *,
        tz: str = "Europe/Berlin",
        tz_offset: int = 3600,
        is_admin: bool = False,
        is_bot: bool = False,
    ) -> JSONDict:
        """Register a workspace member (``tz`` is what users.info reports)."""
        name = name or user_id.lower()
        user: JSONDict = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": name.title(),
            "deleted": False,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "profile": {"real_name": name.title(), "display_name": name},
        }
        with self.lock:
            self.users[user_id] = user
        return user

    def kick(self, channel_id: str) -> None:
        """The bot is not in the channel: posting answers ``not_in_channel``."""
        self._channel(channel_id, create=True)["is_member"] = False

    def remove_channel(self, channel_id: str) -> None:
        """The channel is gone: ``channel_not_found`` (also with ``strict`` off)."""
        with self.lock:
            self.channels[channel_id] = {"id": channel_id, "deleted": True}

    def archive(self, channel_id: str) -> None:
        """The channel is archived: posting answers ``is_archived``."""
        self._channel(channel_id, create=True)["is_archived"] = True

    def fail_next(
        self,
        method: str,
        error: str,
        *,
        channel: str | None = None,
        status: int = 200,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` (for ``channel``, if given) answer ``error``.

        ``"ratelimited"`` answers HTTP 429 with ``Retry-After: retry_after``; any other error
        is ``{"ok": false, "error": error}`` with HTTP ``status`` (200, as Slack does).
        """
        failure = ratelimited(retry_after) if error == "ratelimited" else SlackError(error)
        if error != "ratelimited":
            failure.status = status
        with self.lock:
            self._failures.append(_Failure(method, channel, failure, times))

    def delay(self, method: str, seconds: float) -> None:
        """Every call of ``method`` is answered ``seconds`` late (a slow Slack); 0 undoes it."""
        with self.lock:
            self._delays[method] = seconds

    async def wait_posted(
        self, channel: str, count: int = 1, timeout: float = 10.0
    ) -> list[JSONDict]:
        """Wait (in the caller's loop) until ``channel`` holds ``count`` posted messages."""
        await wait_until(
            lambda: len(self.posted[channel]) >= count, timeout, f"{count} in {channel}"
        )
        return self.posted[channel]

    async def wait_responses(
        self, response_id: str, count: int = 1, timeout: float = 10.0
    ) -> list[JSONDict]:
        """Wait until ``count`` bodies were POSTed to the response_url ``response_id``."""
        await wait_until(
            lambda: len(self.responses[response_id]) >= count, timeout, f"{count} responses"
        )
        return self.responses[response_id]

    def response_url(self, response_id: str | None = None) -> str:
        """A response_url on this server; what is POSTed to it lands in ``responses[id]``."""
        response_id = response_id or f"R{next(self._response_ids):04d}"
        with self.lock:
            self._response_uses.setdefault(response_id, 0)
        return f"{super().base_url}/response/{response_id}"

    def slash_command_fields(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = "U0USER",
        channel_id: str = "C0GENERAL",
        response_id: str | None = None,
    ) -> dict[str, str]:
        """The fields of a slash command (Socket Mode sends them as a JSON object), its
        response_url pointing here."""
        self._channel(channel_id, create=True)
        user = self._user(user_id, create=True)
        channel = self.channels[channel_id]
        fields = {
            "token": "verification-token-unused",
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel.get("name", "directmessage"),
            "user_id": user_id,
            "user_name": user["name"],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.response_url(response_id),
            "trigger_id": f"{next(self._ts)}.{TEAM_ID}.trigger",
        }
        return fields

    def slash_command(self, command: str, text: str = "", **kwargs: Any) -> bytes:
        """The form body Slack POSTs for a slash command (see :meth:`slash_command_fields`)."""
        return urlencode(self.slash_command_fields(command, text, **kwargs)).encode()

    def block_actions_payload(
        self,
        action_id: str,
        value: str,
        *,
        user_id: str = "U0USER",
        channel_id: str = "C0GENERAL",
        message_ts: str | None = None,
        block_id: str = "actions",
        response_id: str | None = None,
    ) -> JSONDict:
        """The ``block_actions`` payload of a button press (Socket Mode sends it as is).

        ``message_ts`` names a message this server holds (the one carrying the button).
        """
        self._channel(channel_id, create=True)
        user = self._user(user_id, create=True)
        message = self.messages.get((channel_id, message_ts or ""), {})
        payload = {
            "type": "block_actions",
            "user": {
                "id": user_id,
                "username": user["name"],
                "name": user["name"],
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "token": "verification-token-unused",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "trigger_id": f"{next(self._ts)}.{TEAM_ID}.trigger",
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": self.channels[channel_id].get("name", "")},
            "message": message,
            "state": {"values": {}},
            "response_url": self.response_url(response_id),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": {"type": "plain_text", "text": value, "emoji": True},
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return payload

    def block_actions(self, action_id: str, value: str, **kwargs: Any) -> bytes:
        """The form body (``payload=<json>``) Slack POSTs when a button is pressed."""
        payload = self.block_actions_payload(action_id, value, **kwargs)
        return urlencode({"payload": json.dumps(payload)}).encode()

    def event_callback(self, event: JSONDict) -> JSONDict:
        """The Events API body (``event_callback``) that carries ``event``."""
        return {
            "token": "verification-token-unused",
            "team_id": TEAM_ID,
            "context_team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": {"event_ts": event.get("ts"), **event},
            "type": "event_callback",
            "event_id": f"Ev{next(self._ts):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    # -- HTTP -------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await _read_args(request)
            with self.lock:
                self.calls.append((method, args))
                self._counts[method] += 1
            self._authenticate(request, args)
            delay = self._delays.get(method, 0.0)
            if delay:
                await asyncio.sleep(delay)
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method", extra={"req_method": method})
            with self.lock:
                self._scripted(method, args)
                result = handler(args)
        except SlackError as error:
            if error.status == 429:
                with self.lock:
                    self.too_many_requests += 1
            return error.response()
        return web.json_response({"ok": True, **result})

    def _authenticate(self, request: web.Request, args: JSONDict) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header else args.get("token")
        if not token:
            raise SlackError("not_authed")
        if token not in self.tokens:
            raise SlackError("invalid_auth")

    def _scripted(self, method: str, args: JSONDict) -> None:
        for failure in self._failures:
            if failure.method == method and failure.channel in (None, args.get("channel")):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                raise failure.error

    async def _response_url_post(self, request: web.Request) -> web.Response:
        response_id = request.match_info["id"]
        with self.lock:
            uses = self._response_uses.get(response_id)
            if uses is None:
                return web.Response(status=404, text="no_service")
            if uses >= RESPONSE_URL_USES:
                return web.Response(status=404, text="used_url")
        try:
            if request.content_type == "application/json":
                body = await request.json()
            else:
                form = await request.post()
                body = json.loads(str(form.get("payload", "{}")))
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        if "blocks" in body and validate_blocks(body["blocks"]):
            return web.Response(status=400, text="invalid_blocks")
        if not any(body.get(k) for k in ("text", "blocks", "attachments", "delete_original")):
            return web.Response(status=400, text="no_text")
        with self.lock:
            self._response_uses[response_id] = uses + 1
            self.responses[response_id].append(body)
            self.responded_at[response_id].append(time.monotonic())
        return web.json_response({"ok": True})

    # -- helpers ----------------------------------------------------------------------------------

    def _channel(self, channel_id: Any, *, create: bool = False) -> JSONDict:
        if not channel_id:
            raise SlackError("channel_not_found")
        channel_id = str(channel_id)
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None and (create or not self.strict):
                channel = self.add_channel(channel_id)
        if channel is None or channel.get("deleted"):
            raise SlackError("channel_not_found")
        return channel

    def _user(self, user_id: Any, *, create: bool = False) -> JSONDict:
        if not user_id:
            raise SlackError("user_not_found")
        with self.lock:
            user = self.users.get(str(user_id))
            if user is None and (create or not self.strict):
                user = self.add_user(str(user_id))
        if user is None:
            raise SlackError("user_not_found")
        return user

    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + 100 * next(self._ts)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _content(self, args: JSONDict) -> tuple[str, Any]:
        """Validated (text, blocks) of a message."""
        text = str(args.get("text") or "")
        blocks = _json_arg(args.get("blocks"))
        if blocks is not None:
            errors = validate_blocks(blocks)
            if errors:
                raise _blocks_error(errors)
        if not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        if len(text) > MAX_MESSAGE_TEXT:
            raise SlackError("msg_too_long")
        return text, blocks

    def _writable(self, args: JSONDict) -> JSONDict:
        channel = self._channel(args.get("channel"))
        if channel.get("is_archived"):
            raise SlackError("is_archived")
        if not channel.get("is_member"):
            raise SlackError("not_in_channel")
        return channel

    def _check_rate(self, channel_id: str) -> None:
        if not self.enforce_limits:
            return
        now = self.clock()
        sends = self._sends[channel_id]
        while sends and sends[0] <= now - 1.0:
            sends.popleft()
        if len(sends) >= self.messages_per_second:
            raise ratelimited(max(1, math.ceil(sends[0] + 1.0 - now)))
        sends.append(now)

    def _bot_message(self, text: str, blocks: Any, ts: str) -> JSONDict:
        message: JSONDict = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": text,
            "ts": ts,
            "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "newsbot", "team_id": TEAM_ID},
        }
        if blocks:
            message["blocks"] = blocks
        return message

    # -- methods ----------------------------------------------------------------------------------

    def _auth_test(self, args: JSONDict) -> JSONDict:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Newsbot Test",
            "user": "newsbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, args: JSONDict) -> JSONDict:
        channel = self._writable(args)
        text, blocks = self._content(args)
        self._check_rate(channel["id"])
        ts = self._next_ts()
        message = self._bot_message(text, blocks, ts)
        thread_ts = args.get("thread_ts") or None
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        metadata = _json_arg(args.get("metadata"))
        if metadata:
            message["metadata"] = metadata
        self.messages[(channel["id"], ts)] = message
        self.posted[channel["id"]].append(
            {
                "channel": channel["id"],
                "ts": ts,
                "text": text,
                "blocks": blocks,
                "thread_ts": thread_ts,
                "reply_broadcast": _flag(args.get("reply_broadcast")),
                "unfurl_links": _flag(args.get("unfurl_links")),
                "unfurl_media": _flag(args.get("unfurl_media")),
                "mrkdwn": _flag(args.get("mrkdwn")),
                "metadata": _json_arg(args.get("metadata")),
                "posted_at": time.monotonic(),
            }
        )
        return {"channel": channel["id"], "ts": ts, "message": message}

    def _upload_url(self, args: JSONDict) -> JSONDict:
        """files.getUploadURLExternal: a file id and the URL its bytes go to (step 1 of 3)."""
        filename, length = args.get("filename"), args.get("length")
        if not filename:
            raise SlackError("invalid_arguments", extra={"detail": "filename is required"})
        try:
            size = int(length)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", extra={"detail": "length is required"}) from None
        if size <= 0:
            raise SlackError("invalid_arguments")
        file_id = f"F{len(self._uploads) + 1:08d}"
        self._uploads[file_id] = {
            "filename": filename,
            "length": size,
            "alt_txt": args.get("alt_txt"),
        }
        root = super().base_url
        return {"file_id": file_id, "upload_url": f"{root}/upload/{file_id}"}

    async def _upload_post(self, request: web.Request) -> web.Response:
        """The upload URL (step 2): the file's bytes, raw or as a multipart form's file."""
        file_id = request.match_info["file_id"]
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next((v for v in form.values() if not isinstance(v, str)), None)
            data = part.file.read() if part is not None else b""
        else:
            data = await request.read()
        with self.lock:
            upload = self._uploads.get(file_id)
            if upload is None or "data" in upload:
                return web.Response(status=404, text="not found")
            if len(data) != upload["length"]:
                return web.Response(status=400, text="length mismatch")
            upload["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    def _complete_upload(self, args: JSONDict) -> JSONDict:
        """files.completeUploadExternal (step 3): uploaded files shared to a channel, in a
        thread, with an optional comment; each recorded in ``files[channel]``."""
        files = _json_arg(args.get("files"))
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        channel_id = args.get("channel_id")
        channel = self._writable({"channel": channel_id}) if channel_id else None
        done = []
        for item in files:
            upload = self._uploads.get(str(item.get("id")))
            if upload is None or "data" not in upload:
                raise SlackError("file_not_found")
            record = {
                "id": item["id"],
                "title": item.get("title") or upload["filename"],
                "name": upload["filename"],
                "data": upload["data"],
                "alt_txt": upload.get("alt_txt"),
                "thread_ts": args.get("thread_ts") or None,
                "initial_comment": args.get("initial_comment"),
            }
            if channel is not None:
                self._check_rate(channel["id"])
                self.files[channel["id"]].append(record)
            done.append({"id": item["id"], "title": record["title"], "name": record["name"]})
        return {"files": done}

    def _post_ephemeral(self, args: JSONDict) -> JSONDict:
        channel = self._writable(args)
        self._user(args.get("user"))
        text, blocks = self._content(args)
        ts = self._next_ts()
        self.ephemeral[channel["id"]].append(
            {
                "user": args.get("user"),
                "ts": ts,
                "text": text,
                "blocks": blocks,
                "thread_ts": args.get("thread_ts"),
            }
        )
        return {"message_ts": ts}

    def _update(self, args: JSONDict) -> JSONDict:
        channel = self._channel(args.get("channel"))
        ts = str(args.get("ts") or "")
        message = self.messages.get((channel["id"], ts))
        if message is None:
            raise SlackError("message_not_found")
        if message.get("bot_id") != BOT_ID:
            raise SlackError("cant_update_message")
        text, blocks = self._content(args)
        message = {**self._bot_message(text, blocks, ts), "edited": {"user": BOT_USER_ID}}
        self.messages[(channel["id"], ts)] = message
        self.updated[channel["id"]].append({"ts": ts, "text": text, "blocks": blocks})
        return {"channel": channel["id"], "ts": ts, "text": text, "message": message}

    def _conversations_info(self, args: JSONDict) -> JSONDict:
        channel = self._channel(args.get("channel"))
        if channel.get("is_private") and not channel.get("is_member"):
            raise SlackError("channel_not_found")
        return {"channel": channel}

    def _conversations_history(self, args: JSONDict) -> JSONDict:
        """A channel's top-level messages, newest first; metadata only with include_all_metadata
        (as Slack does); ``oldest`` and ``limit`` honoured."""
        channel = self._channel(args.get("channel"))
        if not channel.get("is_member"):
            raise SlackError("not_in_channel")
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        with_metadata = bool(_flag(args.get("include_all_metadata")))
        found = [
            {k: v for k, v in m.items() if k != "metadata" or with_metadata}
            for (cid, ts), m in self.messages.items()
            if cid == channel["id"] and float(ts) > oldest and "thread_ts" not in m
        ]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        return {"messages": found[:limit], "has_more": len(found) > limit}

    def _users_info(self, args: JSONDict) -> JSONDict:
        return {"user": self._user(args.get("user"))}
