"""Posting a new request's message in its channel, with Slack's refusals sorted into what the requester is told."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import program_language, speaking
from bot.rollback.model import RollbackRequest
from bot.rollback.publishing import PostCause, PostRefused
from bot.rollback.workflow import RollbackWorkflow
from bot.slack.identity import posted_by_this_bot
from bot.slack.messages.request import request_message
from bot.slack.pacing import CHANNELS, ChannelPacer

log = logging.getLogger(__name__)

REQUEST = "miniprogram_rollback_request"  # the metadata on a request's message: its id, to find it by

# chat.postMessage's documented errors that no waiting changes (docs.slack.dev/reference/methods/chat.postMessage).
_FOR_GOOD = {
    "not_in_channel": PostCause.NOT_IN_CHANNEL,
    "is_archived": PostCause.ARCHIVED,
    "channel_not_found": PostCause.NO_CHANNEL,
}


class SlackPublisher:
    """The workflow's RequestPublisher, for one mini program's requests."""

    def __init__(self, client: WebClient, workflow: RollbackWorkflow, pacer: ChannelPacer = CHANNELS) -> None:
        self._pacer = pacer
        self._client = client
        self._workflow = workflow

    def post(self, request: RollbackRequest) -> tuple[str, str]:
        with speaking(program_language(request.appid)):  # a channel message: the program's language
            text, blocks = request_message(
                request, break_glass=self._workflow.policy.break_glass, program=self._workflow.name
            )
        self._pacer.wait_turn(request.channel_id)
        metadata = {"event_type": REQUEST, "event_payload": {"request_id": request.id}}
        try:
            posted = self._client.chat_postMessage(
                channel=request.channel_id, text=text, blocks=blocks, metadata=metadata
            )
        except SlackApiError as error:
            refused = refusal(error)
        except Exception as error:  # reset, timed out, unreachable: Slack may or may not have posted it
            refused = PostRefused(PostCause.NO_ANSWER, type(error).__name__)
        else:
            return str(posted["channel"]), str(posted["ts"])
        if refused.cause is PostCause.NO_ANSWER and (ts := self.find(request)) is not None:
            return request.channel_id, ts  # it landed: its answer was what got lost
        raise refused

    def find(self, request: RollbackRequest) -> str | None:
        """The ts of the request's message in its channel, by the metadata it was posted with; None if not there
        (or Slack cannot say)."""
        try:
            history = self._client.conversations_history(
                channel=request.channel_id, limit=50, include_all_metadata=True
            )
        except Exception as error:
            log.warning("could not look for request %d's message: %s", request.id, type(error).__name__)
            return None
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                posted_by_this_bot(self._client, message)
                and metadata.get("event_type") == REQUEST
                and metadata.get("event_payload") == {"request_id": request.id}
            ):
                return str(message["ts"])
        return None


def refusal(error: SlackApiError) -> PostRefused:
    status = error.response.status_code
    code = str(error.response.get("error") or f"HTTP {status}")
    if status == 429 or code == "ratelimited":
        retry_after = error.response.headers.get("Retry-After") or error.response.headers.get("retry-after")
        seconds = float(retry_after) if retry_after and str(retry_after).isdigit() else None
        return PostRefused(PostCause.RATE_LIMITED, "ratelimited", seconds)
    if code in ("fatal_error", "internal_error"):
        # Slack's words for these: "it's possible some aspect of the operation succeeded" (never repeated).
        return PostRefused(PostCause.NO_ANSWER, code)
    if status >= 500 or code == "service_unavailable":
        # An HTTP error page is not a Slack answer worth repeating to a person: its status says enough.
        return PostRefused(PostCause.SLACK_DOWN, code if status < 500 else f"HTTP {status}")
    return PostRefused(_FOR_GOOD.get(code, PostCause.REFUSED), code)
