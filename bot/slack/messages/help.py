"""Usage text for the slash command."""

from __future__ import annotations

from bot.slack.ids import COMMAND
from bot.slack.messages.format import escape

USAGE = (
    f"*`{COMMAND}`* lists the versions WeChat can roll the mini program back to. Pick one, give a reason, "
    "and the request is posted in this channel; a second person approves it, and only then does the bot "
    "ask WeChat to roll back.\n"
    f"*`{COMMAND} status`* shows the online, trial and phased-release versions, the open request and the "
    "last rollback.\n"
    f"*`{COMMAND} history`* lists the latest requests with their outcomes and links.\n"
    f"*`{COMMAND} help`* shows this message."
)


def help_text() -> str:
    return USAGE


def unknown_text(text: str) -> str:
    return f"I don't know `{escape(text)}`.\n\n{USAGE}"


def unknown_app_text(name: str, appid: str) -> str:
    return f"I don't know the mini program `{escape(name)}`: this bot manages `{escape(appid)}`."
