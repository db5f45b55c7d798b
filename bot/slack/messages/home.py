"""The App Home tab: per mini program, what is online, the open request and the recent history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.i18n import _
from bot.rollback.model import RollbackRequest, program_name
from bot.rollback.workflow import Status
from bot.slack.ids import COMMAND
from bot.slack.messages.format import context, escape, plain, section
from bot.slack.messages.status import history_message, status_message

MAX_PROGRAMS_SHOWN = 12  # a home tab holds 100 blocks; each program takes up to 7


@dataclass(frozen=True)
class HomeEntry:
    """One mini program's part of the tab: its status, or why WeChat could not be read, and its history."""

    alias: str
    appid: str
    status: Status | None
    problem: str | None
    history: list[RollbackRequest]


def home_view(entries: list[HomeEntry], links: dict[int, str]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(_("Mini program rollbacks"))}]
    for entry in entries[:MAX_PROGRAMS_SHOWN]:
        name = program_name(entry.alias, entry.appid)
        if entry.status is not None:
            blocks += status_message(entry.status, links, offer_stop=False)[1]
        else:
            heading = _("*Mini program `{program}`*").format(program=escape(name))
            blocks.append(section(f"{heading}\n{entry.problem or _('WeChat could not be read.')}"))
        blocks += history_message(name, entry.history, links)[1]
        blocks.append({"type": "divider"})
    if len(entries) > MAX_PROGRAMS_SHOWN:
        hidden = len(entries) - MAX_PROGRAMS_SHOWN
        blocks.append(
            section(_("…and {hidden} more: see `{command} status <alias>`.").format(hidden=hidden, command=COMMAND))
        )
    blocks.append(
        context(
            _("Request a rollback with `{command}` in the incident channel. This tab refreshes when opened.").format(
                command=COMMAND
            )
        )
    )
    return {"type": "home", "blocks": blocks}
