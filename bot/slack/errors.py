"""One error handler: turn any listener failure into a clear ephemeral reply and a log line."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.rollback.workflow import RequestRefused
from bot.slack import payloads
from bot.slack.messages.problems import describe_problem
from bot.slack.replies import tell
from bot.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)

_EXPECTED = (RequestRefused, WeChatError, WeChatUnavailable, payloads.BadPayload)


def register(app: App) -> None:
    def handle_error(error: Exception, body: dict[str, Any], client: WebClient, respond: Respond | None) -> None:
        reference = uuid.uuid4().hex[:8]
        if isinstance(error, _EXPECTED):
            log.warning("refused a Slack request [%s]: %s", reference, error)
        else:
            log.error("listener failed [%s]", reference, exc_info=error)
        try:
            user_id = payloads.user_id(body)
        except payloads.BadPayload:
            return
        try:
            tell(
                describe_problem(error, reference),
                respond=respond,
                client=client,
                channel_id=payloads.channel_id(body),
                user_id=user_id,
            )
        except Exception:
            log.exception("could not tell %s about error [%s]", user_id, reference)

    app.error(handle_error)
