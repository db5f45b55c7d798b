"""Break glass: the requester approves alone, where the mini program allows it, after justifying it."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.actions.clicks import form_listener
from bot.slack.errors import reported
from bot.slack.ids import BREAK_GLASS
from bot.slack.messages.decision_modals import break_glass_modal

break_glass = form_listener("break glass", break_glass_modal)


def register(app: App) -> None:
    app.action(BREAK_GLASS)(reported(break_glass))
