from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.actions import approve, break_glass, cancel, choose_program, pick_version, reject, repost
from bot.slack.delivery import Delivery


def register(app: App, programs: Programs, delivery: Delivery) -> None:
    choose_program.register(app, programs)
    pick_version.register(app, programs)
    approve.register(app, programs, delivery)
    reject.register(app, programs, delivery)
    cancel.register(app, programs, delivery)
    break_glass.register(app, programs, delivery)
    repost.register(app)
