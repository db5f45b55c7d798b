from slack_bolt import App

from bot.rollback.workflow import RollbackWorkflow
from bot.slack.views import decision_submitted, reason_submitted


def register(app: App, workflow: RollbackWorkflow) -> None:
    reason_submitted.register(app, workflow)
    decision_submitted.register(app, workflow)
