"""Reject: an approver turns the request down; nothing changes in WeChat."""

from __future__ import annotations

from slack_bolt import App

from bot.rollback.workflow import RollbackWorkflow
from bot.slack.actions.clicks import decision_listener
from bot.slack.ids import REJECT


def register(app: App, workflow: RollbackWorkflow) -> None:
    app.action(REJECT)(decision_listener(lambda request_id, user_id, _client: workflow.reject(request_id, user_id)))
