"""A version button in the picker: ask for the reason in a modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.rollback.workflow import RollbackWorkflow
from bot.slack import payloads
from bot.slack.ids import PICK_VERSION
from bot.slack.messages.reason_modal import PendingChoice, reason_modal


def register(app: App, workflow: RollbackWorkflow) -> None:
    def pick_version(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        channel_id = payloads.channel_id(body)
        if channel_id is None:
            raise payloads.BadPayload("version picked outside a channel")
        app_version = payloads.action_number(body)
        button_text = body["actions"][0].get("text", {}).get("text", "")
        label = button_text.removeprefix("Roll back to ") or f"app_version {app_version}"
        choice = PendingChoice(app_version, channel_id, body.get("response_url"))
        # The trigger_id is valid for 3 seconds: open the modal before anything slow.
        client.views_open(trigger_id=body["trigger_id"], view=reason_modal(workflow.appid, label, choice))

    app.action(PICK_VERSION)(pick_version)
