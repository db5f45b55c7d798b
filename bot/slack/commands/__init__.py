from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.commands import rollback_command


def register(app: App, programs: Programs) -> None:
    rollback_command.register(app, programs)
