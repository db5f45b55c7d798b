from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.delivery import Delivery
from bot.slack.views import decision_submitted, reason_submitted


def register(app: App, programs: Programs, delivery: Delivery) -> None:
    reason_submitted.register(app)
    decision_submitted.register(app, programs, delivery)
