"""Approve: the second person's click. If it wins, the workflow rolls back exactly once."""

from __future__ import annotations

from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.actions.clicks import decision_listener
from bot.slack.delivery import Delivery
from bot.slack.ids import APPROVE


def register(app: App, programs: Programs, delivery: Delivery) -> None:
    # The approval and WeChat's answer are shown as they happen, each before the next WeChat call.
    app.action(APPROVE)(
        decision_listener(
            programs,
            delivery,
            lambda workflow, request_id, user_id, progress: workflow.decisions.approve(request_id, user_id, progress),
        )
    )
