"""What the fake Slack records and how it refuses: the shapes tests read back."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}


class SocketModeLinks(Protocol):
    """Where apps.connections.open sends the app: tests/fakes/socket_mode.py's FakeSocketMode."""

    def issue_url(self) -> str: ...


@dataclass
class ApiCall:
    method: str  # e.g. "chat.postMessage"
    args: dict[str, Any]  # decoded body (+ query) arguments
    token: str | None  # bearer token used
    response: dict[str, Any] = field(default_factory=dict)  # what the fake answered
    at: float = field(default_factory=time.monotonic)  # when it arrived; system-wide on Linux, so across processes
    status: int = 200  # the HTTP status of the answer: 429 over a rate limit, 503 in an outage


@dataclass
class ResponseUrlPost:
    key: str  # the id part of the response_url
    body: dict[str, Any]  # the JSON posted
    at: float = field(default_factory=time.monotonic)  # when it was accepted
    # Whether Slack put this post in place of the message the response_url came from. Never for a slash command's
    # own response_url, where Slack ignores replace_original and shows a new ephemeral message (bolt-python #1268,
    # bolt-js #2287).
    replaced_original: bool = False


class SlackError(Exception):
    """An `{"ok": false}` answer, raised inside a method handler."""

    def __init__(self, error: str, problems: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.problems = problems or []

    def response(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"ok": False, "error": self.error}
        if self.problems:
            # Slack's own shape for Block Kit errors.
            answer["errors"] = self.problems
            answer["response_metadata"] = {"messages": [f"[ERROR] {problem}" for problem in self.problems]}
        return answer


def short(args: dict[str, Any]) -> str:
    """One line of a call's arguments, for the log wait_for shows when it times out."""
    parts = []
    for key, value in args.items():
        if key == "token":
            continue
        if key == "blocks" and isinstance(value, list):
            shown = f"<{len(value)} blocks>"
        elif key == "view" and isinstance(value, dict):
            shown = f"<view {value.get('callback_id') or value.get('type')}>"
        else:
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
        parts.append(f"{key}={shown}")
    return ", ".join(parts)
