from slack_bolt import App

from bot.slack.actions import (
    approve,
    break_glass,
    cancel,
    choose_program,
    pick_version,
    reject,
    repost,
    stop_gray,
)


def register(app: App) -> None:
    for action in (choose_program, pick_version, stop_gray, approve, reject, cancel, break_glass, repost):
        action.register(app)
