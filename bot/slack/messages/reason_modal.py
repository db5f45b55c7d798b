"""The modal that asks the requester why they want the rollback."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from bot.i18n import _
from bot.rollback.model import MAX_REASON_LENGTH
from bot.slack.ids import REASON_BLOCK, REASON_INPUT, REASON_VIEW
from bot.slack.messages.format import escape, plain, section


@dataclass(frozen=True)
class PendingChoice:
    """What the modal carries from the version click to the submission (Slack returns it untouched)."""

    app_version: int  # for stopping a phased release: the plan's create_timestamp
    channel_id: str
    response_url: str | None
    appid: str | None = None  # None in forms opened before several mini programs were supported
    stop_gray: bool = False  # the request stops the phased release instead of rolling back

    def dump(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def load(cls, raw: str) -> PendingChoice:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("private_metadata is not an object")
        app_version, channel_id = data.get("app_version"), data.get("channel_id")
        response_url, appid = data.get("response_url"), data.get("appid")
        if not isinstance(app_version, int) or isinstance(app_version, bool) or not isinstance(channel_id, str):
            raise ValueError("private_metadata lacks app_version or channel_id")
        if not all(value is None or isinstance(value, str) for value in (response_url, appid)):
            raise ValueError("private_metadata has a malformed field")
        stop_gray = data.get("stop_gray", False)
        if not isinstance(stop_gray, bool):
            raise ValueError("private_metadata has a malformed field")
        return cls(app_version, channel_id, response_url, appid, stop_gray)


def reason_modal(program: str, version_label: str, choice: PendingChoice, reason: str = "") -> dict[str, Any]:
    """`program`: the mini program's name as people know it (see rollback.model.program_name); `reason`: what
    the requester typed before, when they post a request again."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": REASON_INPUT,
        "multiline": True,
        "max_length": MAX_REASON_LENGTH,
        "placeholder": plain(_("What is broken, and the incident link if there is one")),
    }
    if reason:
        element["initial_value"] = reason[:MAX_REASON_LENGTH]
    if choice.stop_gray:
        title = _("Stop phased release")
        intro = _(
            "Stop the phased release of `{program}` ({plan}): the users it reached go back to the version online "
            "before it. The request is posted in the channel and needs a second person's approval."
        ).format(program=escape(program), plan=escape(version_label))
    else:
        title = _("Request a rollback")
        intro = _(
            "Roll back `{program}` to *{version}* (app_version {app_version}). The request is posted in the channel "
            "and needs a second person's approval."
        ).format(program=escape(program), version=escape(version_label), app_version=choice.app_version)
    return {
        "type": "modal",
        "callback_id": REASON_VIEW,
        "private_metadata": choice.dump(),
        "title": plain(title),
        "submit": plain(_("Post request")),
        "close": plain(_("Cancel")),
        "blocks": [
            section(intro),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": plain(_("Reason")),
                "element": element,
            },
        ],
    }
