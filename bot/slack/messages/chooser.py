"""With several mini programs configured and none named: one button per program."""

from __future__ import annotations

from typing import Any

from bot.rollback.model import program_name
from bot.slack.ids import CHOOSE_PROGRAM_PREFIX, COMMAND
from bot.slack.messages.format import escape, plain, section, truncate

Blocks = list[dict[str, Any]]

_QUESTION = {"pick": "Which mini program do you want to roll back?", "status": "Status of which mini program?"}
_BUTTON = {"pick": "Roll back…", "status": "Status", "history": "History"}
MAX_CHOICES = 45  # a message holds 50 blocks


def program_chooser(verb: str, programs: list[tuple[str, str]]) -> tuple[str, Blocks]:
    """`programs`: (alias, appid) pairs; each button carries the verb and the appid back to the bot."""
    question = _QUESTION.get(verb, "History of which mini program?")
    blocks: Blocks = [section(f"*{question}*")]
    for alias, appid in programs[:MAX_CHOICES]:
        block = section(f"*{escape(alias)}*" + (f"  ·  `{escape(appid)}`" if alias != appid else ""))
        block["accessory"] = {
            "type": "button",
            "action_id": f"{CHOOSE_PROGRAM_PREFIX}{alias}",
            "text": plain(truncate(_BUTTON.get(verb, "Show"), 75)),
            "value": f"{verb}:{appid}",
        }
        blocks.append(block)
    if len(programs) > MAX_CHOICES:
        hidden = len(programs) - MAX_CHOICES
        blocks.append(section(f"…and {hidden} more: name one, as in `{COMMAND} <alias>`."))
    return question + " " + ", ".join(program_name(alias, appid) for alias, appid in programs), blocks
