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
    # Bolt tries listeners in order, building each one's arguments to ask whether it matches: Approve, the click
    # that comes in bursts (everyone on the incident channel presses it at once), is asked first.
    for action in (approve, choose_program, pick_version, stop_gray, reject, cancel, break_glass, repost):
        action.register(app)
