"""A version button in the picker: ask for the reason in a modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.i18n import answer_for
from bot.slack import payloads
from bot.slack.errors import reported
from bot.slack.ids import PICK_VERSION
from bot.slack.listening import programs_of
from bot.slack.messages.forms import program_gone
from bot.slack.messages.notices import refused_words
from bot.slack.messages.picker import version_from_button
from bot.slack.messages.reason_modal import PendingChoice, reason_modal
from bot.slack.replies import tell


def register(app: App) -> None:
    app.action(PICK_VERSION)(reported(pick_version))


def pick_version(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    channel_id = payloads.channel_id(body)
    if channel_id is None:
        raise payloads.BadPayload("version picked outside a channel")
    appid, app_version = payloads.version_choice(body)
    workflow = programs_of(context).by_appid(appid)
    answer_for(appid)  # the person is answered in their mini program's language
    if workflow is None:
        tell(program_gone(), respond=respond, client=client, channel_id=channel_id, user_id=payloads.user_id(body))
        return
    if unapprovable := workflow.policy.why_no_one_could_approve(payloads.user_id(body)):
        tell(
            refused_words(unapprovable),
            respond=respond,
            client=client,
            channel_id=channel_id,
            user_id=payloads.user_id(body),
        )
        return
    button_text = body["actions"][0].get("text", {}).get("text", "")
    label = version_from_button(button_text) or f"app_version {app_version}"
    choice = PendingChoice(app_version, channel_id, body.get("response_url"), workflow.appid)
    # The trigger_id is valid for 3 seconds: open the modal before anything slow.
    name = workflow.name
    client.views_open(trigger_id=body["trigger_id"], view=reason_modal(name, label, choice))
