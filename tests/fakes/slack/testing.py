"""Helpers for the fake Slack's own tests: Block Kit pieces, a clock to move by hand, Slack's error from a call."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError


class ManualClock:
    """Seconds that pass only when a test says so: `FakeSlack(clock=clock)` then times rate limits and
    trigger_ids by it, so no test waits or depends on the machine's speed."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def button(action_id: str, text: str = "Go", value: str = "1") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, "value": value}


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def bare(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks without the block_ids Slack added."""
    return [{k: v for k, v in block.items() if k != "block_id"} for block in blocks]


def slack_error(call: Callable[[], Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def error_of(call: Callable[[], Any]) -> str:
    return str(slack_error(call).response["error"])
