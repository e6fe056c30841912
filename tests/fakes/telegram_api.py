"""A Telegram Bot API server on 127.0.0.1, so the real python-telegram-bot client runs in tests.

It speaks the documented HTTP API (https://core.telegram.org/bots/api): ``/bot<token>/<method>``
with a JSON, form or multipart body; answers ``{"ok": true, "result": ...}`` or the error shape
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`` with the same HTTP
status, which is what PTB turns into ``BadRequest``, ``Forbidden``, ``RetryAfter``,
``ChatMigrated``, ``Conflict`` and ``InvalidToken``.

A test scripts the other side of the conversation::

    with BotAPIServer() as server:
        app = ApplicationBuilder().token(TOKEN).base_url(f"{server.base_url}/bot").build()
        server.user_says(42, "/start", user_id=42)        # the next getUpdates returns it
        ...
        assert server.sent[42][0]["plain"] == "Welcome!"
        server.fail_next(42, "retry_after", retry_after=3)  # the next send to 42 gets a 429
        server.block(42)                                     # every send to 42 gets a 403

Messages are validated as Telegram does: text at most 4096 characters after entity parsing, the
HTML parse mode restricted to Telegram's tags (balanced, correctly nested, only the named entities
``&lt; &gt; &amp; &quot;``), ``callback_data`` at most 64 bytes. The server is a little stricter
than Telegram in one place: a bare ``&`` is refused (Telegram's docs say to escape it; its parser
tolerates some cases), so a renderer that forgets to escape is caught here.

The server runs aiohttp on an event loop of its own in a daemon thread, so a long ``getUpdates``
poll is parked without holding a thread, many polls can be open at once, and the test's own loop
(or synchronous code) drives the client. Parked polls are answered when the server stops.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from tests.fakes.loopback import AiohttpLoopback

JSONDict = dict[str, Any]

MAX_TEXT = 4096  # characters of a message text after entity parsing
MAX_CAPTION = 1024  # characters of a photo's caption after entity parsing
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # sendPhoto's upload limit
MAX_CALLBACK_DATA = 64  # bytes of an inline button's callback_data
BOT_USERNAME = "newsbot_test_bot"


# --- errors -------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Bot API error answer: HTTP status = ``error_code``, with optional ``parameters``."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        """The JSON the Bot API answers."""
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """400 "Bad Request: <detail>"."""
    return ApiError(400, f"Bad Request: {detail}")


def retry_after(seconds: int) -> ApiError:
    """429 as Telegram sends it when a flood limit is hit."""
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": int(seconds)})


def _kind_error(
    kind: str, *, retry_after_s: int, new_chat_id: int | None, desc: str | None
) -> ApiError:
    """The error a named failure kind stands for (see :meth:`BotAPIServer.fail_next`)."""
    simple = {
        "blocked": (403, "Forbidden: bot was blocked by the user"),
        "kicked": (403, "Forbidden: bot was kicked from the group chat"),
        "kicked_supergroup": (403, "Forbidden: bot was kicked from the supergroup chat"),
        "deactivated": (403, "Forbidden: user is deactivated"),
        "cant_initiate": (403, "Forbidden: bot can't initiate conversation with a user"),
        "not_member": (403, "Forbidden: bot is not a member of the channel chat"),
        "chat_not_found": (400, "Bad Request: chat not found"),
        "server_error": (500, "Internal Server Error"),
        "bad_gateway": (502, "Bad Gateway"),
        "conflict": (
            409,
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        ),
        "unauthorized": (401, "Unauthorized"),
    }
    if kind in ("retry_after", "too_many_requests", "flood"):
        return retry_after(retry_after_s)
    if kind == "migrated":
        if new_chat_id is None:
            raise ValueError("kind 'migrated' needs new_chat_id")
        return ApiError(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )
    if kind == "bad_request":
        return bad_request(desc or "something is wrong")
    if kind in simple:
        code, description = simple[kind]
        return ApiError(code, desc or description)
    raise ValueError(f"unknown failure kind {kind!r}")


@dataclass(slots=True)
class _Failure:
    """A scripted answer for requests that match (chat, method)."""

    chat_id: int | None
    method: str | None  # lower case; None = any method but getUpdates
    error: ApiError | None  # None with a delay: answer normally, late
    delay: float = 0.0
    times: int = 1

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is None:
            if method == "getupdates":
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass(slots=True)
class TelegramLimits:
    """Telegram's documented flood limits (https://core.telegram.org/bots/faq)."""

    overall_per_second: int = 30
    private_per_second: int = 1
    group_per_minute: int = 20


# --- HTML parse mode ----------------------------------------------------------------------------

_FORMATTING = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}
_OTHER = {
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
ALLOWED_TAGS = frozenset(_FORMATTING) | frozenset(_OTHER) | {"blockquote"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """The text is not valid in the HTML parse mode; the message follows Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class _TelegramHTML(HTMLParser):
    """Parses Telegram's HTML subset into plain text and MessageEntity dicts."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._line_starts = [0] + [i + 1 for i, c in enumerate(source) if c == "\n"]
        self._parts: list[str] = []
        self._length = 0  # UTF-16 code units of text so far
        self._open: list[tuple[str, dict[str, str | None], int]] = []
        self.entities: list[JSONDict] = []

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def _byte_offset(self, extra_chars: int = 0) -> int:
        line, column = self.getpos()
        index = self._line_starts[line - 1] + column + extra_chars
        return len(self._source[:index].encode("utf-8"))

    def _fail(self, detail: str) -> None:
        raise EntityParseError(detail)

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += utf16_len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = self._byte_offset()
        if tag not in ALLOWED_TAGS:
            self._fail(f'Unsupported start tag "{tag}" at byte offset {where}')
        attributes = dict(attrs)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            self._fail(f'Tag "span" must have class "tg-spoiler" at byte offset {where}')
        if tag == "tg-emoji" and not attributes.get("emoji-id"):
            self._fail(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {where}')
        if tag == "tg-time" and not (attributes.get("unix") or "").isdigit():
            self._fail(f'Tag "tg-time" must have attribute "unix" at byte offset {where}')
        open_tags = [name for name, _, _ in self._open]
        if open_tags:
            parent = open_tags[-1]
            inside_code = [t for t in open_tags if t in ("code", "pre")]
            if tag == "code" and parent == "pre" and open_tags.count("pre") == 1:
                pass  # <pre><code class="language-x"> names the pre block's language
            elif inside_code:
                self._fail(
                    f'Entity "{tag}" can\'t be nested in "{inside_code[-1]}" at byte offset {where}'
                )
            elif tag == "blockquote" and "blockquote" in open_tags:
                self._fail(f"Blockquote entities can't be nested at byte offset {where}")
            elif tag in _OTHER and any(t in _OTHER for t in open_tags):
                other = next(t for t in reversed(open_tags) if t in _OTHER)
                self._fail(f'Entity "{tag}" can\'t be nested in "{other}" at byte offset {where}')
        self._open.append((tag, attributes, self._length))

    def handle_endtag(self, tag: str) -> None:
        where = self._byte_offset()
        if not self._open:
            self._fail(f'Unexpected end tag "{tag}" at byte offset {where}')
        name, attributes, start = self._open[-1]
        if name != tag:
            self._fail(
                f'Unmatched end tag at byte offset {where}, expected "</{name}>", found "</{tag}>"'
            )
        self._open.pop()
        length = self._length - start
        if tag == "code" and self._open and self._open[-1][0] == "pre":
            language = attributes.get("class") or ""
            if language.startswith("language-"):
                self._open[-1][1]["language"] = language.removeprefix("language-")
            return  # the code tag only names the language of its pre
        if length == 0:
            return  # Telegram drops empty entities
        entity: JSONDict = {"offset": start, "length": length}
        if tag in _FORMATTING:
            entity["type"] = _FORMATTING[tag]
        elif tag == "blockquote":
            expandable = "expandable" in attributes
            entity["type"] = "expandable_blockquote" if expandable else "blockquote"
        else:
            entity["type"] = _OTHER[tag]
        if tag == "a":
            href = attributes.get("href")
            if not href:
                return  # an anchor without a link is plain text
            entity["url"] = href
        elif tag == "pre" and attributes.get("language"):
            entity["language"] = attributes["language"]
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes["emoji-id"]
        elif tag == "tg-time":
            entity["unix_time"] = int(attributes["unix"] or 0)
            if attributes.get("format"):
                entity["date_time_format"] = attributes["format"]
        self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        for char in "<&":
            if char in data:
                where = self._byte_offset(data.index(char))
                if char == "<":
                    self._fail(f'Unsupported start tag "" at byte offset {where}')
                self._fail(f'Character "&" must be escaped as "&amp;" at byte offset {where}')
        self._append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            where = self._byte_offset()
            self._fail(f'Unsupported HTML entity "&{name};" at byte offset {where}')
        self._append(NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        try:
            code = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
            self._append(chr(code))
        except (ValueError, OverflowError):
            self._fail(
                f'Invalid numeric HTML entity "&#{name};" at byte offset {self._byte_offset()}'
            )

    def handle_comment(self, data: str) -> None:
        self._fail(f'Unsupported start tag "!--" at byte offset {self._byte_offset()}')

    def handle_decl(self, decl: str) -> None:
        self._fail(f'Unsupported start tag "!" at byte offset {self._byte_offset()}')

    def handle_pi(self, data: str) -> None:
        self._fail(f'Unsupported start tag "?" at byte offset {self._byte_offset()}')

    def unknown_decl(self, data: str) -> None:
        self._fail(f'Unsupported start tag "!" at byte offset {self._byte_offset()}')

    def finish(self) -> tuple[str, list[JSONDict]]:
        self.close()
        if self._open:
            self._fail(f'Can\'t find end tag corresponding to start tag "{self._open[-1][0]}"')
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return self.text, entities


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Telegram's HTML parse mode: the visible text and its entities (UTF-16 offsets).

    Raises :class:`EntityParseError` where Telegram answers "can't parse entities".
    """
    parser = _TelegramHTML(text)
    parser.feed(text)
    return parser.finish()


def command_entity(text: str) -> list[JSONDict]:
    """The ``bot_command`` entity Telegram adds to a text starting with "/command"."""
    match = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


# --- request bodies -----------------------------------------------------------------------------

# PTB sends a form body whose values are JSON-encoded, except strings, which are sent raw; these
# parameters are strings even when they look like numbers.
_STRING_PARAMS = frozenset(
    [
        "text",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "inline_message_id",
        "language_code",
        "ip_address",
        "caption",
        "business_connection_id",
        "message_effect_id",
        "custom_title",
        "description",
        "short_description",
        "name",
        "title",
        "action",
        "file_id",
    ]
)


def _decode_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(decoded, str) else decoded


async def read_params(request: web.Request) -> JSONDict:
    """A Bot API request's parameters, from the query string and a JSON, form or multipart body."""
    params: JSONDict = {k: _decode_value(k, v) for k, v in request.query.items()}
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("the JSON body must be an object")
        params.update(body)
        return params
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, str):
            params[name] = _decode_value(name, value)
        else:  # an uploaded file
            params[name] = {"filename": value.filename, "content": value.file.read()}
    return params


def _as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


@dataclass(slots=True)
class Call:
    """One request the server received."""

    method: str
    params: JSONDict
    token: str


@dataclass(slots=True)
class _Described:
    """A result that comes with a ``description`` (setWebhook, deleteWebhook)."""

    result: Any
    description: str


Handler = Callable[[str, JSONDict], Any]


class BotAPIServer(AiohttpLoopback):
    """The Telegram Bot API on 127.0.0.1 for any bot token: ``/bot<token>/<method>``.

    Point PTB at it with ``base_url=f"{server.base_url}/bot"`` (and ``base_file_url``).

    What the test reads:
        ``sent[chat_id]`` every accepted sendMessage, in order (dicts: ``message_id``, ``text`` as
        sent, ``plain`` and ``entities`` after parsing, ``parse_mode``, ``reply_markup``,
        ``disable_web_page_preview``, ``link_preview_options``, ``message_thread_id``,
        ``reply_to``); ``edits[chat_id]``; ``callback_answers``; ``calls``; ``count(method)``;
        ``too_many_requests`` (429s answered); ``webhook``; ``commands`` (by scope and language)
        and ``menu(scope_type, chat_id)`` (the command names of one scope); ``menu_calls``
        (every accepted setMyCommands: ``scope``, ``language_code``, ``commands``).
    What the test scripts:
        ``push_update`` / ``user_says`` / ``user_presses`` for getUpdates; ``fail_next`` for the
        next matching request; ``block`` / ``migrate`` / ``rule`` for every send to a chat;
        ``set_member`` for getChatMember; ``add_topic`` / ``delete_topic`` for a forum's topics;
        ``enforce_limits`` for Telegram's flood limits.

    Forums: in a chat added with ``is_forum=True`` a message's ``message_thread_id`` must name
    one of its topics, else sendMessage answers 400 "Bad Request: message thread not found" (as
    Telegram does for a deleted topic). Elsewhere a thread id is taken as given.
    """

    def __init__(self, *, bot_username: str = BOT_USERNAME, strict_chats: bool = False) -> None:
        super().__init__()
        self.bot_username = bot_username
        self.strict_chats = strict_chats  # unknown chats answer "chat not found"
        self.enforce_limits = False
        self.limits = TelegramLimits()
        self.client_app: Any = None  # the PTB app a test drives, for wait_idle after a command
        self.clock: Callable[[], float] = time.monotonic
        self.sent: defaultdict[int, list[JSONDict]] = defaultdict(list)
        self.edits: defaultdict[int, list[JSONDict]] = defaultdict(list)
        self.callback_answers: list[JSONDict] = []
        self.calls: list[Call] = []
        self.too_many_requests = 0
        self.chats: dict[int, JSONDict] = {}
        self.users: dict[int, JSONDict] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.messages: dict[tuple[int, int], JSONDict] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_calls: list[JSONDict] = []
        self.topics: defaultdict[int, set[int]] = defaultdict(set)
        self.webhook: JSONDict = {}
        self.files: dict[str, bytes] = {}
        self.revoked_tokens: set[str] = set()
        self._counts: defaultdict[str, int] = defaultdict(int)
        self._failures: list[_Failure] = []
        self._rules: dict[int, _Failure] = {}
        self._updates: deque[JSONDict] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids: defaultdict[int, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1)
        )
        self._callback_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._changed: asyncio.Event | None = None
        self._closing = False
        self._parked = 0  # polls waiting for an update
        self._global_sends: deque[float] = deque()
        self._chat_sends: defaultdict[int, deque[float]] = defaultdict(deque)
        self._methods: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "editmessagetext": self._edit_message_text,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getchatmember": self._get_chat_member,
            "getchat": self._get_chat,
            "sendchataction": self._send_chat_action,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getfile": self._get_file,
            "close": lambda _token, _params: True,
            "logout": lambda _token, _params: True,
        }

    # -- lifecycle --------------------------------------------------------------------------------

    def setup(self, app: web.Application) -> None:
        self._changed = asyncio.Event()
        app.router.add_route("*", r"/bot{token}/{method}", self._handle)
        app.router.add_get(r"/file/bot{token}/{path:.+}", self._file)

    async def on_shutdown(self) -> None:
        self._closing = True
        self._wake()
        deadline = self.loop.time() + 1.0
        while self._parked and self.loop.time() < deadline:
            await asyncio.sleep(0.01)  # let parked polls answer before the listener closes

    def __enter__(self) -> BotAPIServer:
        self.start()
        return self

    @property
    def base_file_url(self) -> str:
        """For PTB's ``base_file_url``: file downloads are served from :attr:`files`."""
        return f"{self.base_url}/file/bot"

    # -- reading what happened --------------------------------------------------------------------

    def count(self, method: str) -> int:
        """How many requests called ``method`` (any outcome)."""
        return self._counts[method.lower()]

    def message(self, chat_id: int, message_id: int) -> JSONDict:
        """A message as it stands now (after edits), as the Bot API would return it."""
        return self.messages[(chat_id, message_id)]

    async def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 5.0) -> list[JSONDict]:
        """Wait (in the caller's loop) until ``chat_id`` has received ``count`` messages."""
        deadline = time.monotonic() + timeout
        while len(self.sent[chat_id]) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"chat {chat_id} got {len(self.sent[chat_id])} of {count} messages"
                )
            await asyncio.sleep(0.01)
        return self.sent[chat_id]

    @property
    def unconfirmed(self) -> int:
        """Updates the bot has not yet confirmed (by asking getUpdates for a later offset)."""
        with self.lock:
            return len(self._updates)

    @property
    def parked(self) -> int:
        """getUpdates calls waiting for an update right now."""
        return self._parked

    async def wait_idle(self, app: Any, timeout: float = 10.0) -> None:
        """Wait until a python-telegram-bot ``app`` polling this server has handled every update
        pushed so far: each confirmed, none queued, no handler running (three checks in a row,
        which covers the moment between taking an update off the queue and starting its handler).
        """
        deadline = time.monotonic() + timeout
        calm = 0
        while calm < 3:
            idle = (
                self.unconfirmed == 0
                and app.update_queue.empty()
                and app.update_processor.current_concurrent_updates == 0
            )
            calm = calm + 1 if idle else 0
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bot is still busy after {timeout}s")
            await asyncio.sleep(0.01)

    # -- scripting the chats ----------------------------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
        is_forum: bool = False,
    ) -> JSONDict:
        """Register a chat; the type defaults by id (positive: private, -100…: supergroup)."""
        if chat_type is None:
            if chat_id > 0:
                chat_type = "private"
            else:
                chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat: JSONDict = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            user = self.add_user(chat_id)
            chat["first_name"] = user["first_name"]
            chat["username"] = username or user.get("username")
        else:
            chat["title"] = title or f"Chat {chat_id}"
            if username:
                chat["username"] = username
            if is_forum:
                chat["is_forum"] = True
        with self.lock:
            self.chats[chat_id] = chat
        return chat

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str = "en",
    ) -> JSONDict:
        """Register (or return) a user."""
        with self.lock:
            user = self.users.get(user_id)
            if user is None or first_name or username:
                user = {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": first_name or f"User{user_id}",
                    "username": username or f"user{user_id}",
                    "language_code": language_code,
                }
                self.users[user_id] = user
            return user

    def add_topic(self, chat_id: int, thread_id: int | None = None) -> int:
        """Open a topic in a forum supergroup (made one when unknown); returns its thread id.

        Telegram numbers a topic by the id of the service message that created it; without a
        ``thread_id`` the chat's next message id is taken.
        """
        with self.lock:
            chat = self.chats.get(chat_id) or self.add_chat(chat_id, "supergroup", is_forum=True)
            if not chat.get("is_forum"):
                raise ValueError(f"chat {chat_id} is not a forum")
            if thread_id is None:
                thread_id = next(self._message_ids[chat_id])
            self.topics[chat_id].add(thread_id)
        return thread_id

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """An administrator deletes a topic: it goes with all its messages."""
        with self.lock:
            self.topics[chat_id].discard(thread_id)
            for key in [k for k, m in self.messages.items() if k[0] == chat_id]:
                if self.messages[key].get("message_thread_id") == thread_id:
                    del self.messages[key]

    def menu(self, scope_type: str = "default", chat_id: int | None = None) -> list[str]:
        """The command names set for a scope (``chat_id`` for the chat scopes), any language."""
        scope: JSONDict = {"type": scope_type}
        if chat_id is not None:
            scope["chat_id"] = chat_id
        with self.lock:
            commands = self.commands.get((json.dumps(scope, sort_keys=True), ""), [])
        return [c["command"] for c in commands]

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """getChatMember's status for (chat, user): creator, administrator, member, left, kicked."""
        if status not in ("creator", "administrator", "member", "restricted", "left", "kicked"):
            raise ValueError(f"unknown chat member status {status!r}")
        with self.lock:
            self.members[(chat_id, user_id)] = status

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue a raw Update for getUpdates (an ``update_id`` is assigned when absent)."""
        with self.lock:
            update = dict(update)
            update.setdefault("update_id", next(self._update_ids))
            self._updates.append(update)
        self._wake()
        return update

    def user_says(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int,
        chat_type: str = "private",
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> JSONDict:
        """A user writes ``text`` in a chat; returns the Message (its ``message_id`` is fresh).

        A text starting with "/" carries the ``bot_command`` entity PTB's CommandHandler needs.
        ``reply_to`` is the message_id of a message in this chat (the bot's or a user's).
        ``thread_id`` is the topic written in; in a forum it must be open (:meth:`add_topic`).
        """
        with self.lock:
            chat = self.chats.get(chat_id) or self.add_chat(chat_id, chat_type)
            if not self._topic_open(chat, thread_id):
                raise ValueError(f"chat {chat_id} has no topic {thread_id}")
            user = self.add_user(user_id)
            message: JSONDict = {
                "message_id": next(self._message_ids[chat_id]),
                "date": int(time.time()),
                "chat": chat,
                "from": user,
                "text": text,
            }
            entities = command_entity(text)
            if entities:
                message["entities"] = entities
            if thread_id is not None:
                message["message_thread_id"] = thread_id
                message["is_topic_message"] = True
            if reply_to is not None:
                original = self.messages.get((chat_id, reply_to))
                if original is None:
                    raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
                message["reply_to_message"] = _without_reply(original)
            self.messages[(chat_id, message["message_id"])] = message
        self.push_update({"message": message})
        return message

    def user_presses(self, chat_id: int, message_id: int, data: str, user_id: int) -> str:
        """A user presses the inline button with ``data`` under a bot message; returns the query id.

        The button must exist on the message as it stands, as on a real client.
        """
        with self.lock:
            message = self.messages.get((chat_id, message_id))
            if message is None:
                raise ValueError(f"no message {message_id} in chat {chat_id}")
            buttons = [
                button.get("callback_data")
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for button in row
            ]
            if data not in buttons:
                raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
            query_id = str(next(self._callback_ids) + 7_000_000_000)
            self._open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": self.add_user(user_id),
                "message": message,
                "chat_instance": str(abs(chat_id) * 10 + 1),
                "data": data,
            }
        self.push_update({"callback_query": query})
        return query_id

    # -- scripting failures -----------------------------------------------------------------------

    def fail_next(
        self,
        chat_id: int | None,
        kind: str,
        *,
        method: str | None = None,
        times: int = 1,
        retry_after: int = 5,
        new_chat_id: int | None = None,
        description: str | None = None,
        seconds: float = 0.0,
    ) -> None:
        """The next ``times`` requests for ``chat_id`` (None: any chat) answer with ``kind``.

        Kinds: ``retry_after`` (429 with ``retry_after``), ``blocked``, ``kicked``,
        ``kicked_supergroup``, ``deactivated``, ``cant_initiate``, ``not_member`` (403),
        ``chat_not_found``, ``migrated`` (400 with ``new_chat_id``), ``bad_request``
        (400 with ``description``), ``server_error`` (500), ``bad_gateway`` (502),
        ``conflict`` (409), ``unauthorized`` (401), and ``slow`` (answer normally after
        ``seconds``). ``method`` limits it to one Bot API method (default: any method but
        getUpdates; say ``method="getUpdates"`` to fail a poll).
        """
        error = None
        if kind != "slow":
            error = _kind_error(
                kind, retry_after_s=retry_after, new_chat_id=new_chat_id, desc=description
            )
        failure = _Failure(chat_id, method.lower() if method else None, error, seconds, times)
        with self.lock:
            self._failures.append(failure)

    def rule(self, chat_id: int, kind: str, **options: Any) -> None:
        """Every request for ``chat_id`` answers with ``kind`` (as in :meth:`fail_next`)."""
        error = _kind_error(
            kind,
            retry_after_s=options.get("retry_after", 5),
            new_chat_id=options.get("new_chat_id"),
            desc=options.get("description"),
        )
        with self.lock:
            self._rules[chat_id] = _Failure(chat_id, None, error, 0.0, -1)

    def clear_rule(self, chat_id: int) -> None:
        """Undo :meth:`rule` / :meth:`block` for a chat."""
        with self.lock:
            self._rules.pop(chat_id, None)

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send answers 403 "bot was blocked by the user"."""
        self.rule(chat_id, "blocked")

    def unblock(self, chat_id: int) -> None:
        """The user unblocked the bot."""
        self.clear_rule(chat_id)

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: sends to the old id answer 400 with migrate_to_chat_id."""
        old = self.chats.get(chat_id) or self.add_chat(chat_id, "group")
        self.add_chat(new_chat_id, "supergroup", title=old.get("title"))
        self.rule(chat_id, "migrated", new_chat_id=new_chat_id)

    # -- HTTP -------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token):
            return self._answer(ApiError(404, "Not Found"))
        try:
            params = await read_params(request)
        except ValueError:
            return self._answer(bad_request("can't parse request body"))
        key = method.lower()
        with self.lock:
            self.calls.append(Call(method, params, token))
            self._counts[key] += 1
        if token in self.revoked_tokens:
            return self._answer(ApiError(401, "Unauthorized"))
        handler = self._methods.get(key)
        if handler is None:
            return self._answer(ApiError(404, "Not Found"))
        try:
            delay = self._scripted(key, params)
            if delay:
                await asyncio.sleep(delay)
            result = handler(token, params)
            if isinstance(result, Awaitable):
                result = await result
        except ApiError as error:
            return self._answer(error)
        if isinstance(result, _Described):
            return web.json_response(
                {"ok": True, "result": result.result, "description": result.description}
            )
        return web.json_response({"ok": True, "result": result})

    def _answer(self, error: ApiError) -> web.Response:
        if error.code == 429:
            with self.lock:
                self.too_many_requests += 1
        return web.json_response(error.body(), status=error.code)

    def _scripted(self, method: str, params: JSONDict) -> float:
        """Raise a scripted error for this request, or return a scripted delay."""
        chat_id = self._chat_id_of(params)
        with self.lock:
            if chat_id is not None and chat_id in self._rules:
                error = self._rules[chat_id].error
                assert error is not None
                raise error
            for failure in self._failures:
                if failure.matches(method, chat_id):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    if failure.error is not None:
                        raise failure.error
                    return failure.delay
        return 0.0

    async def _file(self, request: web.Request) -> web.Response:
        body = self.files.get(request.match_info["path"])
        if body is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=body, content_type="application/octet-stream")

    # -- helpers ----------------------------------------------------------------------------------

    def _chat_id_of(self, params: JSONDict) -> int | None:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            return None
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username", "").lower() == raw[1:].lower():
                    return chat["id"]
            return None
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    def _chat(self, params: JSONDict) -> JSONDict:
        if params.get("chat_id") in (None, ""):
            raise bad_request("chat_id is empty")
        chat_id = self._chat_id_of(params)
        if chat_id is None:
            raise bad_request("chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise bad_request("chat not found")
            chat = self.add_chat(chat_id)
        return chat

    def _bot_user(self, token: str) -> JSONDict:
        return {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Newsbot",
            "username": self.bot_username,
        }

    def _wake(self) -> None:
        """Wake parked polls (thread-safe)."""

        def wake() -> None:
            old, self._changed = self._changed, asyncio.Event()
            if old is not None:
                old.set()

        if self._loop is not None and threading.current_thread() is self._thread:
            wake()
        else:
            self.call_soon(wake)

    def _text(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        """Validate a message text with its parse mode: (plain text, entities)."""
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("message text is empty")
        parse_mode = params.get("parse_mode") or ""
        if parse_mode.lower() == "html":
            try:
                plain, entities = parse_html(text)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        elif parse_mode.lower() in ("", "markdown", "markdownv2"):
            plain, entities = text, list(params.get("entities") or [])
        else:
            raise bad_request("unsupported parse_mode")
        if not plain.strip():
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT:
            raise bad_request("message is too long")
        return plain, entities

    def _markup(self, params: JSONDict) -> JSONDict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise bad_request("can't parse inline keyboard button: Text is empty")
                actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
                if not actions:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None:
                    parts = urlsplit(str(url))
                    if parts.scheme not in ("http", "https", "tg") or not (
                        parts.netloc or parts.scheme == "tg"
                    ):
                        raise bad_request(
                            f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                        )
        return markup

    def _topic_open(self, chat: JSONDict, thread_id: Any) -> bool:
        """Whether a message may go to ``thread_id``: an open topic of a forum, or any thread
        outside forums (lock held)."""
        if thread_id is None or not chat.get("is_forum"):
            return True
        return _as_int(thread_id, "message_thread_id") in self.topics[chat["id"]]

    def _reply_to(self, chat_id: int, params: JSONDict) -> JSONDict | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        allow = reply.get("allow_sending_without_reply", params.get("allow_sending_without_reply"))
        original = self.messages.get((chat_id, _as_int(message_id, "message_id")))
        if original is None and not allow:
            raise bad_request("message to be replied not found")
        return original

    def _check_rate(self, chat: JSONDict) -> None:
        if not self.enforce_limits:
            return
        now = self.clock()
        if chat["type"] == "private":
            chat_window = (self._chat_sends[chat["id"]], self.limits.private_per_second, 1.0)
        else:
            chat_window = (self._chat_sends[chat["id"]], self.limits.group_per_minute, 60.0)
        windows = [(self._global_sends, self.limits.overall_per_second, 1.0), chat_window]
        wait = 0.0
        for times, limit, span in windows:
            while times and times[0] <= now - span:
                times.popleft()
            if len(times) >= limit:
                wait = max(wait, times[0] + span - now)
        if wait > 0:
            raise retry_after(max(1, math.ceil(wait)))
        for times, _, _ in windows:
            times.append(now)

    # -- methods ----------------------------------------------------------------------------------

    def _get_me(self, token: str, params: JSONDict) -> JSONDict:
        return {
            **self._bot_user(token),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, token: str, params: JSONDict) -> list[JSONDict]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset") or 0, "offset")
        limit = min(max(_as_int(params.get("limit") or 100, "limit"), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"])
        self._poll_generation += 1
        mine = self._poll_generation
        self._wake()  # an older parked poll is terminated by this one, as on Telegram
        deadline = self.loop.time() + timeout
        while True:
            if self._poll_generation != mine:
                raise _kind_error("conflict", retry_after_s=0, new_chat_id=None, desc=None)
            with self.lock:
                batch = self._take_updates(offset, limit)
            remaining = deadline - self.loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            changed = self._changed
            assert changed is not None
            self._parked += 1
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass
            finally:
                self._parked -= 1

    def _take_updates(self, offset: int, limit: int) -> list[JSONDict]:
        """Confirm updates below ``offset`` and return the next ones (lock held)."""
        if offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
        elif offset:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        if self._allowed_updates:
            kept = [u for u in self._updates if _update_type(u) in self._allowed_updates]
            self._updates = deque(kept)
        return list(itertools.islice(self._updates, limit))

    def _send_message(self, token: str, params: JSONDict) -> JSONDict:
        plain, entities = self._text(params)
        content: JSONDict = {"text": plain, **({"entities": entities} if entities else {})}
        preview = params.get("link_preview_options")
        if preview is not None:
            content["link_preview_options"] = preview
        disable_preview = params.get("disable_web_page_preview")
        if disable_preview is None and preview is not None:
            disable_preview = preview.get("is_disabled")
        record = {
            "text": params["text"],
            "plain": plain,
            "entities": entities,
            "disable_web_page_preview": disable_preview,
            "link_preview_options": preview,
        }
        return self._deliver(token, params, content, record)

    def _send_photo(self, token: str, params: JSONDict) -> JSONDict:
        """sendPhoto with an uploaded file (multipart), as Telegram checks it: a picture file
        under 10 MB, a caption of at most 1024 characters after entity parsing. Recorded in
        ``sent[chat_id]`` like a message, with ``photo`` (the bytes) and the caption as text."""
        photo = params.get("photo")
        if not isinstance(photo, dict) or not photo.get("content"):
            raise bad_request("there is no photo in the request")
        data: bytes = photo["content"]
        if len(data) > MAX_PHOTO_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        if not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
            raise bad_request("IMAGE_PROCESS_FAILED")
        caption, entities = "", []
        if params.get("caption"):
            caption, entities = self._text({**params, "text": params["caption"]})
            if len(caption) > MAX_CAPTION:
                raise bad_request("message caption is too long")
        size = {"file_unique_id": "p", "width": 1000, "height": 500, "file_size": len(data)}
        content: JSONDict = {"photo": [size]}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        record = {
            "photo": data,
            "filename": photo.get("filename"),
            "text": params.get("caption") or "",
            "plain": caption,
            "entities": entities,
        }
        return self._deliver(token, params, content, record)

    def _deliver(
        self, token: str, params: JSONDict, content: JSONDict, record: JSONDict
    ) -> JSONDict:
        """A message the bot sends (``content``: its text or photo), checked as Telegram checks
        the chat, topic, reply and flood limits; kept in ``messages`` and ``sent[chat_id]``."""
        chat = self._chat(params)
        chat_id = chat["id"]
        markup = self._markup(params)
        thread_id = params.get("message_thread_id")
        with self.lock:
            if not self._topic_open(chat, thread_id):
                raise bad_request("message thread not found")
            original = self._reply_to(chat_id, params)
            self._check_rate(chat)
            message: JSONDict = {
                "message_id": next(self._message_ids[chat_id]),
                "from": self._bot_user(token),
                "chat": chat,
                "date": int(time.time()),
                **content,
            }
            if "photo" in message:
                message["photo"][0]["file_id"] = f"photo-{chat_id}-{message['message_id']}"
            if markup and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            if thread_id is not None:
                message["message_thread_id"] = thread_id
                message["is_topic_message"] = True
            if original is not None:
                message["reply_to_message"] = _without_reply(original)
            self.messages[(chat_id, message["message_id"])] = message
            self.sent[chat_id].append(
                {
                    "message_id": message["message_id"],
                    "chat_id": chat_id,
                    "parse_mode": params.get("parse_mode"),
                    "reply_markup": markup,
                    "message_thread_id": thread_id,
                    "reply_to": original["message_id"] if original else None,
                    "disable_notification": params.get("disable_notification"),
                    **record,
                }
            )
        return message

    def _edit_message_text(self, token: str, params: JSONDict) -> JSONDict:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message_id = _as_int(params.get("message_id"), "message_id")
        plain, entities = self._text(params)
        markup = self._markup(params)
        with self.lock:
            message = self.messages.get((chat["id"], message_id))
            if message is None:
                raise bad_request("message to edit not found")
            if not message["from"].get("is_bot"):
                raise bad_request("message can't be edited")
            if (
                message["text"] == plain
                and message.get("entities", []) == entities
                and message.get("reply_markup") == markup
            ):
                raise bad_request(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            message = {**message, "text": plain, "edit_date": int(time.time())}
            message.pop("entities", None)
            message.pop("reply_markup", None)  # an edit without a keyboard removes it
            if entities:
                message["entities"] = entities
            if markup:
                message["reply_markup"] = markup
            self.messages[(chat["id"], message_id)] = message
            self.edits[chat["id"]].append(
                {
                    "message_id": message_id,
                    "text": params["text"],
                    "plain": plain,
                    "entities": entities,
                    "parse_mode": params.get("parse_mode"),
                    "reply_markup": markup,
                }
            )
        return message

    def _answer_callback_query(self, token: str, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        with self.lock:
            if query_id not in self._open_queries:
                raise bad_request(
                    "query is too old and response timeout expired or query ID is invalid"
                )
            self._open_queries.discard(query_id)
            self.callback_answers.append(
                {
                    "callback_query_id": query_id,
                    "text": params.get("text"),
                    "show_alert": bool(params.get("show_alert")),
                    "url": params.get("url"),
                    "cache_time": params.get("cache_time"),
                }
            )
        return True

    def _commands_key(self, params: JSONDict) -> tuple[str, str]:
        """The scope (checked, its chat resolved as Telegram does) and language of a call."""
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_FIELDS:
            raise bad_request("can't parse BotCommandScope JSON object")
        key: JSONDict = {"type": scope["type"]}
        for field in _SCOPE_FIELDS[scope["type"]]:
            if scope.get(field) in (None, ""):
                raise bad_request(f"{field} is empty")
            if field == "chat_id":
                key["chat_id"] = self._chat({"chat_id": scope["chat_id"]})["id"]
            else:
                key[field] = _as_int(scope[field], field)
        return json.dumps(key, sort_keys=True), params.get("language_code") or ""

    def _set_my_commands(self, token: str, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description is empty")
        key = self._commands_key(params)
        with self.lock:
            self.commands[key] = commands
            self.menu_calls.append(
                {"scope": json.loads(key[0]), "language_code": key[1], "commands": commands}
            )
        return True

    def _get_my_commands(self, token: str, params: JSONDict) -> list[JSONDict]:
        return self.commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, token: str, params: JSONDict) -> bool:
        with self.lock:
            self.commands.pop(self._commands_key(params), None)
        return True

    def _get_chat(self, token: str, params: JSONDict) -> JSONDict:
        chat = self._chat(params)
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def _get_chat_member(self, token: str, params: JSONDict) -> JSONDict:
        chat = self._chat(params)
        user_id = _as_int(params.get("user_id"), "user_id")
        status = self.members.get((chat["id"], user_id), "member")
        member: JSONDict = {"status": status, "user": self.add_user(user_id)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
            member.update(dict.fromkeys(_ADMIN_FLAGS_OFF, False))
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "restricted":
            member.update({"is_member": True, "until_date": 0})
            member.update(dict.fromkeys(_RESTRICTED_RIGHTS, False))
        return member

    def _send_chat_action(self, token: str, params: JSONDict) -> bool:
        self._chat(params)
        return True

    def _set_webhook(self, token: str, params: JSONDict) -> _Described:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(token, params)
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in (80, 88, 443, 8443):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        with self.lock:
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self.webhook = {
                "url": url,
                "secret_token": secret,
                "allowed_updates": params.get("allowed_updates"),
                "max_connections": params.get("max_connections") or 40,
                "ip_address": params.get("ip_address"),
            }
        self._wake()
        return _Described(True, "Webhook was set")

    def _delete_webhook(self, token: str, params: JSONDict) -> _Described:
        with self.lock:
            if params.get("drop_pending_updates"):
                self._updates.clear()
            was_set = bool(self.webhook.get("url"))
            self.webhook = {}
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _get_webhook_info(self, token: str, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook.get("url"):
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _get_file(self, token: str, params: JSONDict) -> JSONDict:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id[:16],
            "file_size": len(self.files[file_id]),
            "file_path": file_id,
        }


# BotCommandScope types and the fields each one needs.
_SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}

_ADMIN_RIGHTS = [
    "can_manage_chat",
    "can_delete_messages",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
]
_ADMIN_FLAGS_OFF = [
    "can_be_edited",
    "is_anonymous",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
]
_RESTRICTED_RIGHTS = [
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
]


def _without_reply(message: JSONDict) -> JSONDict:
    """A message as Telegram nests it in ``reply_to_message`` (one level deep)."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _update_type(update: JSONDict) -> str:
    return next((k for k in update if k != "update_id"), "")


def newsbot_run_env(
    server: BotAPIServer, tmp_path: Path, token: str, *, ingest: str = ""
) -> dict[str, str]:
    """The environment of a `newsbot run` against ``server``: a config with a fresh SQLite
    store and no starter feeds (``ingest``: more `[ingest]` lines), and the token."""
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/data/newsbot.db"\n'
        f'[ingest]\nfeeds_file = "{tmp_path}/none.opml"\n{ingest}'
        f'[telegram]\nbase_url = "{server.base_url}/bot"\n'
    )
    return {**os.environ, "NEWSBOT_CONFIG": str(config), "NEWSBOT_TELEGRAM__TOKEN": token}


def start_newsbot_run(
    server: BotAPIServer, tmp_path: Path, token: str, *, ingest: str = ""
) -> subprocess.Popen[str]:
    """`newsbot run` in its own process against ``server`` (see :func:`newsbot_run_env`);
    returns once the bot has set its command menu, i.e. it is up. The caller stops it
    (SIGTERM) and kills it in a `finally`."""
    env = newsbot_run_env(server, tmp_path, token, ingest=ingest)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not server.commands and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    if not server.commands:
        proc.kill()
        _, err = proc.communicate(timeout=20)
        raise AssertionError(f"setMyCommands was not called; newsbot run said:\n{err}")
    return proc
