"""The App Home tab, drawn afresh from WeChat and the record each time someone opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.rollback.workflow import RollbackWorkflow
from bot.slack.messages.home import home_unavailable_view, home_view
from bot.slack.messages.problems import describe_problem
from bot.slack.replies import permalinks
from bot.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)


def register(app: App, workflow: RollbackWorkflow) -> None:
    def app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home":
            return
        user_id = str(event["user"])
        try:
            status = workflow.status()
        except (WeChatError, WeChatUnavailable) as problem:
            client.views_publish(user_id=user_id, view=home_unavailable_view(describe_problem(problem, "")))
            return
        history = workflow.history()
        shown = [*history, *(r for r in (status.open_request, status.last_rollback) if r is not None)]
        client.views_publish(user_id=user_id, view=home_view(status, history, permalinks(client, shown)))

    app.event("app_home_opened")(app_home_opened)
