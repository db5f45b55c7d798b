"""Sending what the builders made: the shared last step of every listener."""

from __future__ import annotations

import logging

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rollback.model import Decision, RollbackRequest
from bot.slack.messages.notices import refusal_notice
from bot.slack.messages.request import request_message

log = logging.getLogger(__name__)


def tell(text: str, *, respond: Respond | None, client: WebClient, channel_id: str | None, user_id: str) -> None:
    """An ephemeral reply: through response_url when the payload has one, else chat.postEphemeral."""
    if respond is not None and respond.response_url:
        respond(text=text, response_type="ephemeral", replace_original=False)
    elif channel_id:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
    else:
        log.warning("no way to tell %s: %s", user_id, text)


def show_request(client: WebClient, request: RollbackRequest) -> None:
    if request.message_ts is None:
        return
    text, blocks = request_message(request)
    try:
        client.chat_update(channel=request.channel_id, ts=request.message_ts, text=text, blocks=blocks)
    except SlackApiError as error:
        # The record is in the database either way; a stale message must not hide the outcome in the logs.
        log.error("could not update request %d's message: %s", request.id, error.response.get("error"))


def apply_decision(
    decision: Decision, *, respond: Respond | None, client: WebClient, channel_id: str | None, user_id: str
) -> None:
    if decision.message_changed and decision.request is not None:
        show_request(client, decision.request)
    if decision.refusal is not None:
        tell(
            refusal_notice(decision.refusal, decision.request),
            respond=respond,
            client=client,
            channel_id=channel_id,
            user_id=user_id,
        )
