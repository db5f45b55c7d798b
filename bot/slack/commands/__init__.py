from slack_bolt import App

from bot.slack.commands import rollback_command


def register(app: App) -> None:
    rollback_command.register(app)
