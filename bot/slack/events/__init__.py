from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.events import app_home


def register(app: App, programs: Programs) -> None:
    app_home.register(app, programs)
