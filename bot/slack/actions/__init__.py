from slack_bolt import App

from bot.rollback.workflow import RollbackWorkflow
from bot.slack.actions import approve, break_glass, cancel, pick_version, reject


def register(app: App, workflow: RollbackWorkflow) -> None:
    pick_version.register(app, workflow)
    approve.register(app, workflow)
    reject.register(app, workflow)
    cancel.register(app, workflow)
    break_glass.register(app, workflow)
