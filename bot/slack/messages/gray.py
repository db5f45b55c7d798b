"""A running or paused phased release, shown by the picker and `status` with "Stop the phased release"."""

from __future__ import annotations

from typing import Any

from bot.i18n import _
from bot.slack.ids import STOP_GRAY
from bot.slack.messages.format import escape, plain, section, truncate, when
from bot.wechat.types import GrayReleasePlan


def gray_status_words(status: int) -> str:
    """getgrayreleaseplan's status code in words."""
    match status:
        case 0:
            return _("not started")
        case 1:
            return _("running")
        case 2:
            return _("paused")
        case 3:
            return _("finished")
        case 4:
            return _("stopped")
    return _("status {code}").format(code=status)


def plan_line(plan: GrayReleasePlan) -> str:
    """Status, percentage, start, and who gets it first."""
    status = gray_status_words(plan.status)
    if plan.created and plan.experiencer_first and plan.debuger_first:
        line = _("*{status}* at {percentage}%, started {started}, testers and project members first")
    elif plan.created and plan.experiencer_first:
        line = _("*{status}* at {percentage}%, started {started}, testers first")
    elif plan.created and plan.debuger_first:
        line = _("*{status}* at {percentage}%, started {started}, project members first")
    elif plan.created:
        line = _("*{status}* at {percentage}%, started {started}")
    else:
        line = _("*{status}* at {percentage}%")
    return line.format(status=status, percentage=plan.percentage, started=when(plan.created) if plan.created else "")


def phased_release_block(plan: GrayReleasePlan, appid: str, name: str, *, with_button: bool) -> dict[str, Any]:
    """The plan, why nothing can be rolled back meanwhile, and (where a request can be asked) the stop button."""
    block = section(
        _(
            ":warning: Phased release {plan}. WeChat refuses every rollback while it runs or is paused (87011). "
            "Stopping it sends the users it reached back to the version online before it; then the versions can "
            "be rolled back to again."
        ).format(plan=plan_line(plan))
    )
    if with_button:
        block["accessory"] = {
            "type": "button",
            "action_id": STOP_GRAY,
            "text": plain(_("Stop the phased release")),
            "style": "danger",
            "value": f"{appid}:{plan.created}",
            "confirm": {
                "title": plain(_("Stop the phased release?")),
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(
                        _(
                            "You will ask for the phased release of `{program}` ({status} at {percentage}%) to be "
                            "stopped. Nothing changes until a second person approves."
                        ).format(
                            program=escape(name), status=gray_status_words(plan.status), percentage=plan.percentage
                        ),
                        300,
                    ),
                },
                "confirm": plain(_("Continue")),
                "deny": plain(_("Back")),
            },
        }
    return block
