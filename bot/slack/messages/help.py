"""Usage text for the slash command."""

from __future__ import annotations

from bot.i18n import _
from bot.slack.ids import COMMAND
from bot.slack.messages.format import escape


def usage() -> str:
    return _(
        "*`{command}`* lists the versions WeChat can roll the mini program back to. Pick one, give a reason, and the "
        "request is posted in this channel; a second person approves it, and only then does the bot ask WeChat to "
        "roll back.\n"
        "*`{command} status`* shows the online, trial and phased-release versions, the open request and the last "
        "rollback.\n"
        "*`{command} history`* lists the latest requests with their outcomes and links.\n"
        "*`{command} help`* shows this message."
    ).format(command=COMMAND)


def help_text(aliases: list[str]) -> str:
    if len(aliases) < 2:
        return usage()
    several = _(
        "This bot manages several mini programs: {programs}. Name one to go straight to it, as in `{command} "
        "{alias}`, `{command} status {alias}` or `{command} history {alias}`; without a name you are offered the "
        "choice."
    ).format(programs=_listed(aliases), command=COMMAND, alias=escape(aliases[0]))
    return f"{usage()}\n\n{several}"


def unknown_text(text: str, aliases: list[str]) -> str:
    return _("I don't know `{text}`.").format(text=escape(text)) + f"\n\n{help_text(aliases)}"


def unknown_program_text(name: str, aliases: list[str]) -> str:
    return _("I don't know the mini program `{name}`: this bot manages {programs}.").format(
        name=escape(name), programs=_listed(aliases)
    )


def _listed(aliases: list[str]) -> str:
    return ", ".join(f"`{escape(alias)}`" for alias in aliases)
