"""Reject: an approver turns the request down, with an optional reason asked in a modal."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.actions.clicks import form_listener
from bot.slack.errors import reported
from bot.slack.ids import REJECT
from bot.slack.messages.decision_modals import reject_modal

reject = form_listener("reject", reject_modal)


def register(app: App) -> None:
    app.action(REJECT)(reported(reject))
