"""A running or paused phased release, shown by the picker and `status` with "Stop the phased release"."""

from __future__ import annotations

from typing import Any

from bot.slack.ids import STOP_GRAY
from bot.slack.messages.format import escape, plain, section, truncate, when
from bot.wechat.types import GrayReleasePlan


def plan_line(plan: GrayReleasePlan) -> str:
    """Status, percentage, start, and who gets it first."""
    started = f", started {when(plan.created)}" if plan.created else ""
    first = [who for who, yes in (("testers", plan.experiencer_first), ("project members", plan.debuger_first)) if yes]
    firsts = f", {' and '.join(first)} first" if first else ""
    return f"*{plan.status_words}* at {plan.percentage}%{started}{firsts}"


def phased_release_block(plan: GrayReleasePlan, appid: str, name: str, *, with_button: bool) -> dict[str, Any]:
    """The plan, why nothing can be rolled back meanwhile, and (where a request can be asked) the stop button."""
    block = section(
        f":warning: Phased release {plan_line(plan)}. WeChat refuses every rollback while it runs or is paused "
        "(87011). Stopping it sends the users it reached back to the version online before it; then the versions "
        "can be rolled back to again."
    )
    if with_button:
        block["accessory"] = {
            "type": "button",
            "action_id": STOP_GRAY,
            "text": plain("Stop the phased release"),
            "style": "danger",
            "value": f"{appid}:{plan.created}",
            "confirm": {
                "title": plain("Stop the phased release?"),
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(
                        f"You will ask for the phased release of `{escape(name)}` ({plan.status_words} at "
                        f"{plan.percentage}%) to be stopped. Nothing changes until a second person approves.",
                        300,
                    ),
                },
                "confirm": plain("Continue"),
                "deny": plain("Back"),
            },
        }
    return block
