"""A change the version watch saw, made outside the bot, posted to the mini program's notify channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack.ids import CHOOSE_PROGRAM_PREFIX, COMMAND
from bot.slack.messages.format import context, escape, plain, section, when

Blocks = list[dict[str, Any]]


def change_notice(name: str, alias: str, appid: str, change: str, seen_at: datetime) -> tuple[str, Blocks]:
    """`change`: what changed, in words, as recorded in the audit chain."""
    headline = f":eyes: *{escape(name)}* changed outside the bot: {escape(change)}"
    command = f"{COMMAND} status" + ("" if len(alias) == 0 else f" {alias}")
    status = section(headline)
    status["accessory"] = {
        "type": "button",
        "action_id": f"{CHOOSE_PROGRAM_PREFIX}{alias}",
        "text": plain("Status"),
        "value": f"status:{appid}",
    }
    blocks: Blocks = [
        status,
        context(
            f"Seen by the version watch {when(seen_at)}; recorded in the bot's audit log. WeChat does not record who "
            f"made it: ask in the team. `{command}` shows the state now."
        ),
    ]
    # The notification's text is mrkdwn too: a version name is whoever uploaded the code's to choose.
    return f"{escape(name)} changed outside the bot: {escape(change)}", blocks
