"""Posting a new request's message in its channel, with Slack's refusals sorted into what the requester is told."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rollback.model import RollbackRequest
from bot.rollback.publishing import PostCause, PostRefused
from bot.rollback.workflow import RollbackWorkflow
from bot.slack.messages.request import request_message
from bot.slack.pacing import CHANNELS, ChannelPacer

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
        text, blocks = request_message(
            request, break_glass=self._workflow.policy.break_glass, program=self._workflow.name
        )
        self._pacer.wait_turn(request.channel_id)
        try:
            posted = self._client.chat_postMessage(channel=request.channel_id, text=text, blocks=blocks)
        except SlackApiError as error:
            raise refusal(error) from None
        except Exception as error:  # reset, timed out, unreachable: Slack may or may not have posted it
            raise PostRefused(PostCause.NO_ANSWER, type(error).__name__) from None
        return str(posted["channel"]), str(posted["ts"])


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
