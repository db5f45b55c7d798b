"""A program button offered by the command when several mini programs are configured: answer as if named."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.i18n import answer_for
from bot.slack import payloads
from bot.slack.commands.answers import answer
from bot.slack.errors import reported
from bot.slack.ids import CHOOSE_PROGRAM
from bot.slack.listening import programs_of
from bot.slack.messages.forms import holding_text, program_gone
from bot.slack.messages.notices import wrong_channel_notice
from bot.slack.replies import tell


def register(app: App) -> None:
    app.action(CHOOSE_PROGRAM)(reported(choose_program))


def choose_program(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext) -> None:
    ack()
    verb, appid = payloads.program_choice(body)
    workflow = programs_of(context).by_appid(appid)
    answer_for(appid)  # the person is answered in their mini program's language
    channel_id = payloads.channel_id(body)
    user_id = payloads.user_id(body)
    if workflow is None:
        tell(program_gone(appid), respond=respond, client=client, channel_id=channel_id, user_id=user_id)
        return
    if verb == "pick" and workflow.policy.why_not_here(channel_id):
        tell(
            wrong_channel_notice(workflow.policy.channels),
            respond=respond,
            client=client,
            channel_id=channel_id,
            user_id=user_id,
        )
        return
    # A button on an ephemeral answer takes its place; one on a channel message (a change the version watch posted)
    # answers the person who pressed it alone, leaving the message as it is.
    replace = bool((body.get("container") or {}).get("is_ephemeral", True))
    respond(text=holding_text(verb, workflow.name), response_type="ephemeral", replace_original=replace)
    answer(verb, workflow, respond, client, replace=replace)  # a button's response_url honours it
