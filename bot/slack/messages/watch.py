"""A change the version watch saw, made outside the bot, posted to the mini program's notify channel; and any
change it saw, in words, for `status`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.i18n import _, ngettext
from bot.rollback.changes import Change, ChangeKind, SeenChange
from bot.slack.ids import CHOOSE_PROGRAM_PREFIX, COMMAND
from bot.slack.messages.format import context, escape, plain, section, when
from bot.slack.messages.gray import gray_status_words

Blocks = list[dict[str, Any]]


def change_notice(name: str, alias: str, appid: str, change: SeenChange | str, seen_at: datetime) -> tuple[str, Blocks]:
    """`change`: what changed, as facts; or, recorded before they were kept, in English words as recorded."""
    words = seen_words(change)
    headline = _(":eyes: *{program}* changed outside the bot: {change}").format(program=escape(name), change=words)
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
    return _("{program} changed outside the bot: {change}").format(program=escape(name), change=words), blocks


def seen_words(change: SeenChange | str, show: Callable[[str], str] = escape) -> str:
    """A change the watch saw: each difference, and the bot's requests that made it if any. `show` makes a version
    name safe where it goes: escaped for mrkdwn by default; the command line prints it as it is."""
    if isinstance(change, str):
        return show(change)
    said = _("; ").join(_change_words(one, show) for one in change.changes)
    if not change.by_requests:
        return said
    return ngettext(
        "{changes} (by the bot: request {requests})",
        "{changes} (by the bot: requests {requests})",
        len(change.by_requests),
    ).format(changes=said, requests=", ".join(f"#{request_id}" for request_id in change.by_requests))


def _change_words(change: Change, show: Callable[[str], str]) -> str:
    version, before = (show(name) if name else _("none") for name in (change.version, change.before))
    match change.kind:
        case ChangeKind.RELEASED:
            return _("released {version} (online before: {before})").format(version=version, before=before)
        case ChangeKind.ROLLED_BACK:
            return _("rolled back to {version} (online before: {before})").format(version=version, before=before)
        case ChangeKind.GRAY_STARTED:
            return _("a phased release started ({status}, {percentage}%)").format(
                status=gray_status_words(change.status), percentage=change.percentage
            )
        case ChangeKind.GRAY_MOVED:
            return _("the phased release moved from {before}% to {percentage}%").format(
                before=change.from_percentage, percentage=change.percentage
            )
        case ChangeKind.GRAY_PAUSED:
            return _("the phased release was paused at {percentage}%").format(percentage=change.percentage)
        case ChangeKind.GRAY_RESUMED:
            return _("the phased release was resumed at {percentage}%").format(percentage=change.percentage)
        case ChangeKind.GRAY_FINISHED:
            return _("the phased release finished (released to everyone)")
        case ChangeKind.GRAY_STOPPED:
            return _("the phased release was stopped at {percentage}%").format(percentage=change.percentage)
