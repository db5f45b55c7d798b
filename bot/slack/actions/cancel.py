"""Cancel: the requester withdraws the request; nothing changes in WeChat."""

from __future__ import annotations

from slack_bolt import App

from bot.rollback.claims import Progress
from bot.rollback.model import Decision
from bot.rollback.workflow import RollbackWorkflow
from bot.slack.actions.clicks import decision_listener
from bot.slack.errors import reported
from bot.slack.ids import CANCEL


def _cancel(workflow: RollbackWorkflow, request_id: int, user_id: str, _progress: Progress) -> Decision:
    return workflow.decisions.cancel(request_id, user_id)


cancel = decision_listener(_cancel)


def register(app: App) -> None:
    app.action(CANCEL)(reported(cancel))
