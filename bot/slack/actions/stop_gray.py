""" "Stop the phased release" in the picker or status: ask for the reason in a modal, as for a rollback."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.i18n import answer_for
from bot.slack import payloads
from bot.slack.errors import reported
from bot.slack.ids import STOP_GRAY
from bot.slack.listening import programs_of
from bot.slack.messages.forms import plan_label, program_gone
from bot.slack.messages.reason_modal import PendingChoice, reason_modal
from bot.slack.replies import tell


def register(app: App) -> None:
    app.action(STOP_GRAY)(reported(stop_gray))


def stop_gray(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    channel_id = payloads.channel_id(body)
    if channel_id is None:
        raise payloads.BadPayload("phased release stop asked outside a channel")
    appid, created = payloads.plan_choice(body)  # `appid:create_timestamp` of the plan shown (0: WeChat gave none)
    workflow = programs_of(context).by_appid(appid)
    answer_for(appid)  # the person is answered in their mini program's language
    if workflow is None:
        tell(program_gone(), respond=respond, client=client, channel_id=channel_id, user_id=payloads.user_id(body))
        return
    label = plan_label(created)
    choice = PendingChoice(created, channel_id, body.get("response_url"), workflow.appid, stop_gray=True)
    # The trigger_id is valid for 3 seconds: open the modal before anything slow (the submission checks the plan).
    client.views_open(trigger_id=body["trigger_id"], view=reason_modal(workflow.name, label, choice))
