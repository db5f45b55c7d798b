"""Sending what the builders made: the shared last step of every listener."""

from __future__ import annotations

import logging

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rollback.model import Decision, Event, RollbackRequest
from bot.slack.messages.notices import decision_notice
from bot.slack.messages.request import request_message
from bot.slack.messages.timeline import timeline_lines
from bot.slack.sandbox import SandboxRespond, SandboxWebClient

log = logging.getLogger(__name__)


def tell(text: str, *, respond: Respond | None, client: WebClient, channel_id: str | None, user_id: str) -> None:
    """An ephemeral reply: through response_url when the payload has one, else (or when it fails)
    chat.postEphemeral."""
    if respond is not None and respond.response_url:
        # A response_url takes 5 posts within 30 minutes, and says so in its answer (a 404), not by raising.
        try:
            status = respond(text=text, response_type="ephemeral", replace_original=False).status_code
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
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
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
    workspace = _workspace_url(client)
    if workspace is None:
        return {}
    return {
        request.id: f"{workspace}archives/{request.channel_id}/p{request.message_ts.replace('.', '')}"
        for request in requests
        if request.message_ts
    }


_WORKSPACE_URLS: dict[tuple[str, str | None], str] = {}  # by Slack API and bot token: one workspace each


def _workspace_url(client: WebClient) -> str | None:
    key = (client.base_url, client.token)
    known = _WORKSPACE_URLS.get(key)
    if known is not None:
        return known
    try:
        url = str(client.auth_test()["url"])
    except Exception as error:  # no links is better than no App Home
        log.warning("no workspace URL for permalinks: %s", type(error).__name__)
        return None
    _WORKSPACE_URLS[key] = url if url.endswith("/") else url + "/"
    return _WORKSPACE_URLS[key]


def show_request(
    client: WebClient, request: RollbackRequest, *, break_glass: bool = False, program: str | None = None
) -> None:
    if request.message_ts is None:
        return
    text, blocks = request_message(request, break_glass=break_glass, program=program)
    try:
        client.chat_update(channel=request.channel_id, ts=request.message_ts, text=text, blocks=blocks)
    except SlackApiError as error:
        # The record is in the database either way; a stale message must not hide the outcome in the logs.
        log.error("could not update request %d's message: %s", request.id, error.response.get("error"))


def post_timeline(client: WebClient, request: RollbackRequest, events: tuple[Event, ...]) -> None:
    """Each step as a reply in the request's thread; the database keeps them whatever Slack says."""
    if request.message_ts is None:
        return
    for event in events:
        for line in timeline_lines(event, request):
            try:
                client.chat_postMessage(channel=request.channel_id, thread_ts=request.message_ts, text=line)
            except SlackApiError as error:
                log.error("could not add to request %d's thread: %s", request.id, error.response.get("error"))


def apply_decision(
    decision: Decision,
    *,
    respond: Respond | None,
    client: WebClient,
    channel_id: str | None,
    user_id: str,
    break_glass: bool = False,
    program: str | None = None,
) -> None:
    if decision.message_changed and decision.request is not None:
        show_request(client, decision.request, break_glass=break_glass, program=program)
    if decision.request is not None:
        post_timeline(client, decision.request, decision.events)
    if decision.refusal is not None:
        tell(
            decision_notice(decision),
            respond=respond,
            client=client,
            channel_id=channel_id,
            user_id=user_id,
        )
