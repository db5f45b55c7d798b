"""Approve: the second person's click. If it wins, the workflow rolls back exactly once."""

from __future__ import annotations

from slack_bolt import App

from bot.rollback.claims import Progress
from bot.rollback.model import Decision
from bot.rollback.workflow import RollbackWorkflow
from bot.slack.actions.clicks import decision_listener
from bot.slack.errors import reported
from bot.slack.ids import APPROVE


def _approve(workflow: RollbackWorkflow, request_id: int, user_id: str, progress: Progress) -> Decision:
    # The approval and WeChat's answer are shown as they happen, each before the next WeChat call.
    return workflow.decisions.approve(request_id, user_id, progress)


approve = decision_listener(_approve)


def register(app: App) -> None:
    app.action(APPROVE)(reported(approve))
