"""The shape shared by the request buttons: acknowledge, let the workflow decide, show the decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.rollback.model import Decision
from bot.slack import payloads
from bot.slack.replies import apply_decision

Decide = Callable[[int, str, WebClient], Decision]


def decision_listener(decide: Decide) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        user_id = payloads.user_id(body)
        decision = decide(payloads.action_number(body), user_id, client)
        apply_decision(
            decision, respond=respond, client=client, channel_id=payloads.channel_id(body), user_id=user_id
        )

    return listener
