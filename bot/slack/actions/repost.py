""" "Post again…" on a request the channel did not take: the reason form again, filled in with what was typed."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.i18n import answer_for
from bot.slack import payloads
from bot.slack.errors import reported
from bot.slack.ids import REPOST
from bot.slack.listening import programs_of
from bot.slack.messages.forms import program_gone
from bot.slack.messages.reason_modal import PendingChoice, reason_modal
from bot.slack.messages.unposted import Repost
from bot.slack.replies import tell


def register(app: App) -> None:
    app.action(REPOST)(reported(repost))


def repost(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    try:
        again = Repost.load(str(body["actions"][0]["value"]))
    except (LookupError, TypeError, ValueError):
        raise payloads.BadPayload("malformed Post again button") from None
    workflow = programs_of(context).by_appid(again.appid)
    answer_for(again.appid)  # the person is answered in their mini program's language
    if workflow is None:
        tell(
            program_gone(again.appid),
            respond=respond,
            client=client,
            channel_id=again.channel_id,
            user_id=payloads.user_id(body),
        )
        return
    # The submission checks everything again (the channel, the open request, what WeChat offers now).
    choice = PendingChoice(
        again.app_version, again.channel_id, body.get("response_url"), workflow.appid, again.stop_gray
    )
    view = reason_modal(workflow.name, again.label, choice, reason=again.reason)
    client.views_open(trigger_id=body["trigger_id"], view=view)
