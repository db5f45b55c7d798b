from slack_bolt import App

from bot.slack.views import decision_submitted, reason_submitted


def register(app: App) -> None:
    reason_submitted.register(app)
    decision_submitted.register(app)
