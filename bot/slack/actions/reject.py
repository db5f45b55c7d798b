"""Reject: an approver turns the request down, with an optional reason asked in a modal."""

from __future__ import annotations

from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.actions.clicks import form_listener
from bot.slack.delivery import Delivery
from bot.slack.ids import REJECT
from bot.slack.messages.decision_modals import reject_modal


def register(app: App, programs: Programs, delivery: Delivery) -> None:
    app.action(REJECT)(form_listener(programs, delivery, "reject", reject_modal))
