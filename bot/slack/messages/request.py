"""The request message in the channel: the headline of the incident record, rewritten at every step."""

from __future__ import annotations

from typing import Any

from bot.rollback.model import RollbackRequest, State
from bot.slack.ids import APPROVE, BREAK_GLASS, CANCEL, REJECT
from bot.slack.messages.format import (
    context,
    duration,
    escape,
    mention,
    pages,
    people,
    plain,
    section,
    truncate,
    when,
)
from bot.slack.messages.kinds import asked, what_wechat_allows

Blocks = list[dict[str, Any]]

_HEADLINE = {
    State.PENDING: ":hourglass_flowing_sand: Rollback requested: waiting for approval",
    State.APPROVING: ":arrows_counterclockwise: Rollback approved: checking it is still current",
    State.SENDING: ":arrows_counterclockwise: Rollback approved: rolling back now",
    State.SUCCEEDED: ":white_check_mark: Rolled back",
    State.FAILED: ":x: Rollback failed",
    State.UNKNOWN: ":warning: Rollback outcome unknown",
    State.REJECTED: ":no_entry_sign: Rollback rejected",
    State.CANCELLED: ":leftwards_arrow_with_hook: Rollback request cancelled",
    State.EXPIRED: ":alarm_clock: Rollback request expired",
}
_WITHDRAWN = ":leftwards_arrow_with_hook: Rollback request withdrawn"
_STOP_HEADLINE = {
    State.PENDING: ":hourglass_flowing_sand: Stop of the phased release requested: waiting for approval",
    State.APPROVING: ":arrows_counterclockwise: Stop approved: checking the phased release still runs",
    State.SENDING: ":arrows_counterclockwise: Stop approved: stopping the phased release now",
    State.SUCCEEDED: ":white_check_mark: Phased release stopped",
    State.FAILED: ":x: Stopping the phased release failed",
    State.UNKNOWN: ":warning: Stopping the phased release: outcome unknown",
    State.REJECTED: ":no_entry_sign: Stop of the phased release rejected",
    State.CANCELLED: ":leftwards_arrow_with_hook: Stop of the phased release cancelled",
    State.EXPIRED: ":alarm_clock: Stop of the phased release expired",
}
_STOP_WITHDRAWN = ":leftwards_arrow_with_hook: Stop of the phased release withdrawn"


def _headline(request: RollbackRequest) -> str:
    if _withdrawn(request):
        return _STOP_WITHDRAWN if request.stops_gray else _WITHDRAWN
    headlines = _STOP_HEADLINE if request.stops_gray else _HEADLINE
    if request.state is State.PENDING and request.reminded_at is not None:
        return f"{headlines[State.PENDING]} for {duration(request.reminded_at - request.created_at)}"
    return headlines[request.state]


def _withdrawn(request: RollbackRequest) -> bool:
    """Cancelled by the bot, not a person: stale when approved, or its message could not be posted."""
    return request.state is State.CANCELLED and request.decided_by is None and bool(request.decision_note)


def request_message(
    request: RollbackRequest, *, break_glass: bool = False, program: str | None = None
) -> tuple[str, Blocks]:
    """`break_glass`: offer the requester the bypass button (only where the mini program allows it);
    `program`: the mini program's name as people know it (its appid when not given)."""
    program = program or request.appid
    target = request.target
    online = escape(request.online_version) if request.online_version else "(none)"
    if request.stops_gray:
        summary = (
            f"*{_headline(request)}*\nMini program `{escape(program)}`: stop the phased release "
            f"({escape(target.user_desc)}); *{online}* stays online"
        )
        subject = f"*Phased release* {escape(target.user_desc)}"
    else:
        summary = (
            f"*{_headline(request)}*\n"
            f"Mini program `{escape(program)}`: *{online}* → *{escape(target.user_version)}* "
            f"(app_version {target.app_version})"
        )
        subject = f"*Target build* committed {when(target.commit_time)}" + (
            f": {escape(truncate(target.user_desc, 500))}" if target.user_desc else ""
        )
    details = (
        f"*Requested by* {mention(request.requester_id)} {when(request.created_at)}\n"
        f"*Reason* {escape(truncate(request.reason, 1000))}\n" + subject
    )
    blocks: Blocks = [section(summary), section(details), section(_status_line(request))]
    if request.policy_bypass:
        blocks.append(
            section(
                ":rotating_light: *Break-glass: approved by the requester alone, without a second person.* "
                f"Justification: {escape(request.decision_note or '')}"
            )
        )
    elif request.state is State.REJECTED and request.decision_note:
        blocks.append(section(f"*Rejection reason* {escape(request.decision_note)}"))
    if request.outcome:
        blocks.append(section(f"*Outcome* {escape(request.outcome)}"))
    if request.state is State.PENDING:
        blocks.append(context(":information_source: " + what_wechat_allows(request)))
        blocks.append(_buttons(request, break_glass, program))
    blocks.append(context(f"Request #{request.id}"))
    # The notification's text is mrkdwn too: WeChat's version names are escaped here as in the blocks.
    change = (
        escape(target.user_desc)
        if request.stops_gray
        else f"{escape(request.online_version or '?')} → {escape(target.user_version)}"
    )
    text = f"{_headline(request)} ({escape(program)}: {change})"
    if request.state is State.PENDING and request.paged:
        text += f" {pages(request.paged)}"  # the notification pages them too
    return text, blocks


def _pending_lines(request: RollbackRequest) -> str:
    """Who is paged, how many approvals are in, how long it has waited and whether it was escalated."""
    required, given = request.approvals_required, request.approvals
    missing = required - len(given)
    requester = mention(request.requester_id)
    by = pages(request.paged) if request.paged else f"someone other than {requester}"
    if required == 1:
        needs = f"Needs approval by {by}" + (f" (not {requester}, who asked)" if request.paged else "")
    else:
        more = f"{missing} more approval{'s' if missing > 1 else ''}"
        needs = f"Needs {more} by {by}: {required} different people, never {requester}"
    lines = [f"{needs}. Expires {when(request.expires_at)}."]
    if given:
        lines.append(f"*{len(given)} of {required} approvals:* {people(given)}")
    if request.reminded_at is not None:
        reminders = f"{request.reminders} reminder{'s' if request.reminders != 1 else ''}"
        lines.append(
            f"Waiting {duration(request.reminded_at - request.created_at)}: {reminders} sent, "
            f"the last {when(request.reminded_at)}."
        )
    if request.escalated_to:
        lines.append(f":rotating_light: Escalated to {pages((request.escalated_to,))}.")
    return "\n".join(lines)


def _approvers(request: RollbackRequest) -> str:
    """With more than one approval required: all of them, the last (who set it off) included."""
    if request.approvals_required < 2 or not request.approvals or request.policy_bypass:
        return ""
    count = f"{len(request.approvals)} of {request.approvals_required} approvals: {people(request.approvals)}"
    return f" ({count})" if request.state in _APPROVED else f" (after {count})"


_APPROVED = (State.APPROVING, State.SENDING, State.SUCCEEDED, State.FAILED, State.UNKNOWN)


def _status_line(request: RollbackRequest) -> str:
    decider = (mention(request.decided_by) if request.decided_by else "someone") + _approvers(request)
    decided = when(request.decided_at) if request.decided_at else ""
    match request.state:
        case State.PENDING:
            return _pending_lines(request)
        case State.APPROVING:
            return f"*Approved by* {decider} {decided}. Checking with WeChat that nothing changed since the request…"
        case State.SENDING:
            asking = "stop the phased release" if request.stops_gray else "roll back"
            return f"*Approved by* {decider} {decided}. Asking WeChat to {asking}…"
        case State.SUCCEEDED | State.FAILED | State.UNKNOWN:
            finished = f", finished {when(request.finished_at)}" if request.finished_at else ""
            return f"*Approved by* {decider} {decided}{finished}."
        case State.CANCELLED if _withdrawn(request):
            return "*Withdrawn*" + (f" {when(request.finished_at)}" if request.finished_at else "") + "."
        case State.REJECTED:
            return f"*Rejected by* {decider} {decided}. Nothing was changed."
        case State.CANCELLED:
            who = f" by {decider}" if request.decided_by else ""
            return f"*Cancelled*{who}" + (f" {decided}" if decided else "") + ". Nothing was changed."
        case State.EXPIRED:
            given = len(request.approvals)
            short = f" ({given} of {request.approvals_required} approvals)" if given else ""
            return f"*Expired* {when(request.expires_at)} without approval{short}. Nothing was changed."


def _buttons(request: RollbackRequest, break_glass: bool, program: str) -> dict[str, Any]:
    value = str(request.id)
    return {
        "type": "actions",
        "block_id": f"request.{request.id}",
        "elements": [
            {
                "type": "button",
                "action_id": APPROVE,
                "text": plain("Approve"),
                "style": "primary",
                "value": value,
                "confirm": {
                    "title": plain("Stop the phased release?" if request.stops_gray else "Approve this rollback?"),
                    "text": {
                        "type": "mrkdwn",
                        "text": truncate(
                            f"WeChat will {asked(request, program)} right away. {what_wechat_allows(request)}", 300
                        ),
                    },
                    "confirm": plain("Stop it" if request.stops_gray else "Roll back"),
                    "deny": plain("Not yet"),
                    "style": "danger",
                },
            },
            {"type": "button", "action_id": REJECT, "text": plain("Reject"), "style": "danger", "value": value},
            {"type": "button", "action_id": CANCEL, "text": plain("Cancel"), "value": value},
            *([_break_glass_button(value)] if break_glass else []),
        ],
    }


def _break_glass_button(value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": BREAK_GLASS,
        "text": plain("Break glass"),
        "value": value,
        "confirm": {
            "title": plain("Bypass the second person?"),
            "text": plain(
                "Only the requester can do this, with a written justification. It is announced in the "
                "channel and recorded as a policy bypass."
            ),
            "confirm": plain("Continue"),
            "deny": plain("Back"),
            "style": "danger",
        },
    }
