"""Cancel: the requester withdraws the request; nothing changes in WeChat."""

from __future__ import annotations

from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.actions.clicks import decision_listener
from bot.slack.delivery import Delivery
from bot.slack.ids import CANCEL


def register(app: App, programs: Programs, delivery: Delivery) -> None:
    app.action(CANCEL)(
        decision_listener(
            programs,
            delivery,
            lambda workflow, request_id, user_id, _progress: workflow.decisions.cancel(request_id, user_id),
        )
    )
