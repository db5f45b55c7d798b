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


def help_text(aliases: list[str]) -> str:
    if len(aliases) < 2:
        return USAGE
    return (
        USAGE + f"\n\nThis bot manages several mini programs: {_listed(aliases)}. Name one to go straight to it, as in "
        f"`{COMMAND} {escape(aliases[0])}`, `{COMMAND} status {escape(aliases[0])}` or "
        f"`{COMMAND} history {escape(aliases[0])}`; without a name you are offered the choice."
    )


def unknown_text(text: str, aliases: list[str]) -> str:
    return f"I don't know `{escape(text)}`.\n\n{help_text(aliases)}"


def unknown_program_text(name: str, aliases: list[str]) -> str:
    return f"I don't know the mini program `{escape(name)}`: this bot manages {_listed(aliases)}."


def _listed(aliases: list[str]) -> str:
    return ", ".join(f"`{escape(alias)}`" for alias in aliases)
