"""With several mini programs configured and none named: one button per program."""

from __future__ import annotations

from typing import Any

from bot.i18n import _
from bot.rollback.model import program_name
from bot.slack.ids import CHOOSE_PROGRAM_PREFIX, COMMAND
from bot.slack.messages.format import escape, plain, section, truncate

Blocks = list[dict[str, Any]]

MAX_CHOICES = 45  # a message holds 50 blocks


def program_chooser(verb: str, programs: list[tuple[str, str]]) -> tuple[str, Blocks]:
    """`programs`: (alias, appid) pairs; each button carries the verb and the appid back to the bot."""
    question = _question(verb)
    blocks: Blocks = [section(f"*{question}*")]
    for alias, appid in programs[:MAX_CHOICES]:
        block = section(f"*{escape(alias)}*" + (f"  ·  `{escape(appid)}`" if alias != appid else ""))
        block["accessory"] = {
            "type": "button",
            "action_id": f"{CHOOSE_PROGRAM_PREFIX}{alias}",
            "text": plain(truncate(_button(verb), 75)),
            "value": f"{verb}:{appid}",
        }
        blocks.append(block)
    if len(programs) > MAX_CHOICES:
        hidden = len(programs) - MAX_CHOICES
        blocks.append(
            section(
                _("…and {hidden} more: name one, as in `{command} <alias>`.").format(hidden=hidden, command=COMMAND)
            )
        )
    return question + " " + ", ".join(program_name(alias, appid) for alias, appid in programs), blocks


def _question(verb: str) -> str:
    match verb:
        case "pick":
            return _("Which mini program do you want to roll back?")
        case "status":
            return _("Status of which mini program?")
    return _("History of which mini program?")


def _button(verb: str) -> str:
    match verb:
        case "pick":
            return _("Roll back…")
        case "status":
            return _("Status")
        case "history":
            return _("History")
    return _("Show")
