"""An OpenAI-compatible chat-completions server on 127.0.0.1 that answers by scenario.

The real ``openai`` client talks to it over HTTP (its own httpx2 stack, which httpx mocks do not
see). Each request is recorded; the answers are played in order and the last one repeats.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakes.loopback import LoopbackServer, Response

JSON = {"Content-Type": "application/json"}


@dataclass(slots=True)
class ChatRequest:
    """One request the server received."""

    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]

    @property
    def user_text(self) -> str:
        """The text of the user messages."""
        return "\n".join(m["content"] for m in self.body["messages"] if m["role"] == "user")


Answer = Callable[[ChatRequest], Response]


def completion(content: str, *, prompt_tokens: int = 100, completion_tokens: int = 23) -> Answer:
    """A chat completion whose message is ``content``, with usage counts."""

    def answer(request: ChatRequest) -> Response:
        body = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.body.get("model", "test-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return Response(200, json.dumps(body).encode(), dict(JSON))

    return answer


def json_answer(summary: list[str], quotes: list[dict[str, Any]], companies: list[str]) -> Answer:
    """A valid answer: the summarizer's JSON object as the message content."""
    content = {"summary": summary, "quotes": quotes, "companies": companies}
    return completion(json.dumps(content))


def error(status: int, message: str, type_: str, code: str | None, **headers: str) -> Answer:
    """An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    encoded = json.dumps(body).encode()
    return lambda _request: Response(status, encoded, {**JSON, **headers})


def rate_limited(retry_after: float) -> Answer:
    """429 with a Retry-After header, as OpenAI sends when requests per minute run out."""
    return error(
        429,
        "Rate limit reached for requests",
        "requests",
        "rate_limit_exceeded",
        **{"Retry-After": str(retry_after)},
    )


def server_error(status: int = 500) -> Answer:
    """A 5xx error."""
    return error(status, "The server had an error processing your request.", "server_error", None)


def slow(seconds: float, then: Answer) -> Answer:
    """Wait ``seconds`` before answering (longer than the client's timeout, in tests)."""

    def answer(request: ChatRequest) -> Response:
        time.sleep(seconds)
        return then(request)

    return answer


def rejects_json_mode(then: Answer) -> Answer:
    """400 when the request asks for response_format, as some local servers do; else ``then``."""
    refuse = error(
        400, "response_format is not supported", "invalid_request_error", "unsupported_parameter"
    )
    return lambda request: refuse(request) if "response_format" in request.body else then(request)


class OpenAIServer(LoopbackServer):
    """POST /v1/chat/completions, answered by the queued answers; records every request."""

    def __init__(self, *answers: Answer) -> None:
        super().__init__(post_routes={"/v1/chat/completions": self._chat})
        self.requests: list[ChatRequest] = []
        self._answers: list[Answer] = list(answers)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base_url to give the client."""
        return f"{self.base_url}/v1"

    @property
    def count(self) -> int:
        """How many chat-completion requests arrived."""
        return len(self.requests)

    def answer(self, *answers: Answer) -> None:
        """Answer the next requests with these, in order; the last one repeats."""
        with self._lock:
            self._answers = list(answers)

    def _chat(self, headers: Mapping[str, str], body: bytes) -> Response:
        request = ChatRequest({k.lower(): v for k, v in headers.items()}, json.loads(body))
        with self._lock:
            self.requests.append(request)
            if not self._answers:
                return Response(500, b'{"error": {"message": "no answer queued"}}', dict(JSON))
            answer = self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]
        return answer(request)
