"""The App Home tab: per mini program, what is online, the open request and the recent history."""

from __future__ import annotations

from typing import Any

from bot.rollback.model import RollbackRequest
from bot.rollback.workflow import Status
from bot.slack.ids import COMMAND
from bot.slack.messages.format import context, plain
from bot.slack.messages.status import history_message, status_message


def home_view(status: Status, history: list[RollbackRequest], links: dict[int, str]) -> dict[str, Any]:
    _, status_blocks = status_message(status, links)
    _, history_blocks = history_message(status.appid, history, links)
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": plain("Mini program rollbacks")},
            *status_blocks,
            {"type": "divider"},
            *history_blocks,
            context(f"Request a rollback with `{COMMAND}` in the incident channel. This tab refreshes when opened."),
        ],
    }


def home_unavailable_view(problem: str) -> dict[str, Any]:
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": plain("Mini program rollbacks")},
            {"type": "section", "text": {"type": "mrkdwn", "text": problem}},
        ],
    }
