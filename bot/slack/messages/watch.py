"""A change the version watch saw, made outside the bot, posted to the mini program's notify channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.i18n import _
from bot.slack.ids import CHOOSE_PROGRAM_PREFIX, COMMAND
from bot.slack.messages.format import context, escape, plain, section, when

Blocks = list[dict[str, Any]]


def change_notice(name: str, alias: str, appid: str, change: str, seen_at: datetime) -> tuple[str, Blocks]:
    """`change`: what changed, in words, as recorded in the audit chain."""
    headline = _(":eyes: *{program}* changed outside the bot: {change}").format(
        program=escape(name), change=escape(change)
    )
    command = f"{COMMAND} status" + ("" if len(alias) == 0 else f" {alias}")
    status = section(headline)
    status["accessory"] = {
        "type": "button",
        "action_id": f"{CHOOSE_PROGRAM_PREFIX}{alias}",
        "text": plain(_("Status")),
        "value": f"status:{appid}",
    }
    blocks: Blocks = [
        status,
        context(
            _(
                "Seen by the version watch {seen}; recorded in the bot's audit log. WeChat does not record who made "
                "it: ask in the team. `{command}` shows the state now."
            ).format(seen=when(seen_at), command=command)
        ),
    ]
    # The notification's text is mrkdwn too: a version name is whoever uploaded the code's to choose.
    return _("{program} changed outside the bot: {change}").format(program=escape(name), change=escape(change)), blocks
