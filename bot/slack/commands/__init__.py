from slack_bolt import App

from bot.rollback.workflow import RollbackWorkflow
from bot.slack.commands import rollback_command


def register(app: App, workflow: RollbackWorkflow) -> None:
    rollback_command.register(app, workflow)
