"""Sending what the builders made: the shared last step of every listener."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.rollback.model import Decision, RollbackRequest
from bot.slack.delivery import Delivery
from bot.slack.identity import workspace_url
from bot.slack.messages.notices import decision_notice
from bot.slack.sandbox import SandboxRespond, SandboxWebClient

log = logging.getLogger(__name__)


def tell(
    text: str,
    *,
    blocks: list[dict[str, Any]] | None = None,
    respond: Respond | None,
    client: WebClient,
    channel_id: str | None,
    user_id: str,
) -> None:
    """An ephemeral reply: through response_url when the payload has one, else (or when it fails)
    chat.postEphemeral."""
    if respond is not None and respond.response_url:
        # A response_url takes 5 posts within 30 minutes, and says so in its answer (a 404), not by raising.
        try:
            status = respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False).status_code
        except Exception as error:  # unreachable, reset, timed out
            status, reason = 0, type(error).__name__
        else:
            reason = f"HTTP {status}"
        if status == 200:
            return
        log.info("response_url did not take a reply (%s); telling the user with chat.postEphemeral", reason)
    if not channel_id:
        log.warning("no way to tell %s: %s", user_id, text)
        return
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, blocks=blocks)
    except Exception as error:
        log.warning("could not tell %s: %s", user_id, getattr(error, "response", {}).get("error") or error)


def respond_via(response_url: str | None, client: WebClient) -> Respond | None:
    """A Respond for a response_url a form carried along; in the sandbox, stamped like the client's messages."""
    if not response_url:
        return None
    kind = SandboxRespond if isinstance(client, SandboxWebClient) else Respond
    return kind(response_url=response_url)


def permalink(client: WebClient, request: RollbackRequest) -> str | None:
    return permalinks(client, [request]).get(request.id)


def permalinks(client: WebClient, requests: list[RollbackRequest]) -> dict[int, str]:
    """Links to the request messages, built as Slack builds them (the workspace's URL, `archives/`, the channel
    and the ts without its dot) from one `auth.test` per client: not one `chat.getPermalink` per request."""
    workspace = workspace_url(client)
    if workspace is None:
        return {}
    return {
        request.id: f"{workspace}archives/{request.channel_id}/p{request.message_ts.replace('.', '')}"
        for request in requests
        if request.message_ts
    }


def apply_decision(
    decision: Decision,
    *,
    delivery: Delivery,
    respond: Respond | None,
    client: WebClient,
    channel_id: str | None,
    user_id: str,
) -> None:
    """The request's message and thread brought up to date (durably: what fails is delivered later), and the
    person who clicked told why, when the click changed nothing."""
    if decision.request is not None and (decision.message_changed or decision.events):
        delivery.deliver(decision.request.id)
    if decision.refusal is not None:
        tell(decision_notice(decision), respond=respond, client=client, channel_id=channel_id, user_id=user_id)
