"""What the requester is told when the channel did not take their request, with a way to post it again."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.i18n import _
from bot.rollback.model import MAX_REASON_LENGTH
from bot.rollback.publishing import PostCause, PostRefused
from bot.slack.ids import REPOST
from bot.slack.messages.format import escape, plain, section

VALUE_LIMIT = 2000  # characters in a button's value (Block Kit)


@dataclass(frozen=True)
class Repost:
    """What the "Post again" button carries back: the choice and what the requester typed."""

    appid: str
    app_version: int
    channel_id: str
    label: str
    reason: str
    stop_gray: bool = False  # a request to stop the phased release (app_version: the plan's create_timestamp)

    def dump(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def load(cls, raw: str) -> Repost:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        fields = (data.get("appid"), data.get("channel_id"), data.get("label"), data.get("reason"))
        app_version = data.get("app_version")
        if not all(isinstance(value, str) for value in fields):
            raise ValueError("a text field is missing")
        if not isinstance(app_version, int) or isinstance(app_version, bool):
            raise ValueError("app_version is not a number")
        appid, channel_id, label, reason = (str(value) for value in fields)
        return cls(appid, app_version, channel_id, label, reason[:MAX_REASON_LENGTH], data.get("stop_gray") is True)


def _why(refused: PostRefused, channel: str) -> str:
    code = f"`{escape(refused.code)}`"
    match refused.cause:
        case PostCause.RATE_LIMITED:
            words = _(
                "Slack is limiting how fast I may post in {channel} and still refused after a few tries ({code})."
            )
        case PostCause.SLACK_DOWN:
            words = _("Slack did not take the post in {channel} ({code}): it may be having trouble (status.slack.com).")
        case PostCause.NOT_IN_CHANNEL:
            words = _("I'm not a member of {channel}: invite me there with `/invite`, then post again.")
        case PostCause.NO_CHANNEL:
            words = _("I can't see {channel}: if it is a private channel, invite me with `/invite`, then post again.")
        case PostCause.ARCHIVED:
            words = _("{channel} is archived: run the command in a channel where the incident is handled.")
        case PostCause.NO_ANSWER:
            words = _(
                "Slack did not answer whether it posted the request in {channel} ({code}). If a copy shows up "
                "there, it cannot be approved."
            )
        case _:
            words = _("Slack refused the post in {channel} ({code}).")
    return words.format(channel=channel, code=code)


def unposted_notice(request_id: int, refused: PostRefused, repost: Repost) -> tuple[str, list[dict[str, Any]]]:
    """Text and blocks: why, that nothing changed, and (unless the channel can never take it) "Post again"."""
    channel = f"<#{repost.channel_id}>"
    withdrawn = _("I could not post request #{id} in {channel}, so it was withdrawn and nothing was changed.").format(
        id=request_id, channel=channel
    )
    text = _("{withdrawn} {why}").format(withdrawn=withdrawn, why=_why(refused, channel))
    blocks: list[dict[str, Any]] = [section(text)]
    value = repost.dump()
    while len(value) > VALUE_LIMIT and repost.reason:  # JSON doubles quotes and backslashes: shorten what is kept
        repost = replace(repost, reason=repost.reason[: max(0, len(repost.reason) - (len(value) - VALUE_LIMIT))])
        value = repost.dump()
    if refused.cause is not PostCause.ARCHIVED and len(value) <= VALUE_LIMIT:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": REPOST,
                        "text": plain(_("Post again…")),
                        "value": value,
                    }
                ],
            }
        )
    return text, blocks
