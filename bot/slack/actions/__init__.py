from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.actions import approve, break_glass, cancel, choose_program, pick_version, reject


def register(app: App, programs: Programs) -> None:
    choose_program.register(app, programs)
    pick_version.register(app, programs)
    approve.register(app, programs)
    reject.register(app, programs)
    cancel.register(app, programs)
    break_glass.register(app, programs)
