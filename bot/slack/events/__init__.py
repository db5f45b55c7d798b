from slack_bolt import App

from bot.rollback.workflow import RollbackWorkflow
from bot.slack.events import app_home


def register(app: App, workflow: RollbackWorkflow) -> None:
    app_home.register(app, workflow)
