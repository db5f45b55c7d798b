"""Approve: the second person's click. If it wins, the workflow rolls back exactly once."""

from __future__ import annotations

from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.actions.clicks import decision_listener
from bot.slack.ids import APPROVE
from bot.slack.replies import show_request


def register(app: App, programs: Programs) -> None:
    # The approval is shown before the WeChat call, which may take seconds.
    app.action(APPROVE)(
        decision_listener(
            programs,
            lambda workflow, request_id, user_id, client: workflow.approve(
                request_id,
                user_id,
                on_approved=lambda request: show_request(
                    client, request, program=workflow.name
                ),
            ),
        )
    )
