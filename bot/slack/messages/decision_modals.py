"""Modals asked before a decision: a reject reason (optional) and a break-glass justification (required)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from bot.i18n import _
from bot.rollback.model import MAX_REASON_LENGTH, MIN_JUSTIFICATION_LENGTH, RollbackRequest
from bot.slack.ids import BREAK_GLASS_VIEW, NOTE_BLOCK, NOTE_INPUT, REJECT_VIEW
from bot.slack.messages.format import plain, section
from bot.slack.messages.kinds import asked


@dataclass(frozen=True)
class RequestRef:
    """What the modal carries from the click to the submission (Slack returns it untouched)."""

    request_id: int
    channel_id: str | None
    response_url: str | None

    def dump(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def load(cls, raw: str) -> RequestRef:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("private_metadata is not an object")
        request_id, channel_id, response_url = data.get("request_id"), data.get("channel_id"), data.get("response_url")
        if not isinstance(request_id, int) or isinstance(request_id, bool) or request_id <= 0:
            raise ValueError("private_metadata lacks the request id")
        if not all(value is None or isinstance(value, str) for value in (channel_id, response_url)):
            raise ValueError("private_metadata has a malformed field")
        return cls(request_id, channel_id, response_url)


def reject_modal(request: RollbackRequest, ref: RequestRef, program: str | None = None) -> dict[str, Any]:
    return _modal(
        REJECT_VIEW,
        ref,
        title=_("Reject request"),
        submit=_("Reject"),
        intro=_("Reject request #{id}: {change}. Nothing will change in WeChat.").format(
            id=request.id, change=asked(request, program or request.appid)
        ),
        label=_("Reason"),  # Slack marks an optional input "(optional)" itself
        optional=True,
        min_length=0,
    )


def break_glass_modal(request: RollbackRequest, ref: RequestRef, program: str | None = None) -> dict[str, Any]:
    return _modal(
        BREAK_GLASS_VIEW,
        ref,
        title=_("Break glass"),
        submit=_("Stop it now") if request.stops_gray else _("Roll back now"),
        intro=_(
            ":rotating_light: You are about to {change} without a second person's approval. This is announced in "
            "the channel, the approvers are mentioned, and the record marks it as a policy bypass."
        ).format(change=asked(request, program or request.appid)),
        label=_("Why can this not wait for a second person?"),
        optional=False,
        min_length=MIN_JUSTIFICATION_LENGTH,
    )


def refused_modal(title: str, refusal: str) -> dict[str, Any]:
    """What an opened form turns into when the rules, checked once it was open, refuse the click."""
    return {"type": "modal", "title": plain(title[:24]), "close": plain(_("Close")), "blocks": [section(refusal)]}


def _modal(
    callback_id: str,
    ref: RequestRef,
    *,
    title: str,
    submit: str,
    intro: str,
    label: str,
    optional: bool,
    min_length: int,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": NOTE_INPUT,
        "multiline": True,
        "max_length": MAX_REASON_LENGTH,
    }
    if min_length:
        element["min_length"] = min_length
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": ref.dump(),
        "title": plain(title),
        "submit": plain(submit),
        "close": plain(_("Back")),
        "blocks": [
            section(intro),
            {"type": "input", "block_id": NOTE_BLOCK, "optional": optional, "label": plain(label), "element": element},
        ],
    }
