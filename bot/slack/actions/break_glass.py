"""Break glass: the requester approves alone, where the mini program allows it, after justifying it."""

from __future__ import annotations

from slack_bolt import App

from bot.rollback.programs import Programs
from bot.slack.actions.clicks import form_listener
from bot.slack.delivery import Delivery
from bot.slack.ids import BREAK_GLASS
from bot.slack.messages.decision_modals import break_glass_modal


def register(app: App, programs: Programs, delivery: Delivery) -> None:
    app.action(BREAK_GLASS)(form_listener(programs, delivery, "break glass", break_glass_modal))
