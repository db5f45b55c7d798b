"""One thread reply per recorded step, so the request's thread reads as the incident's timeline."""

from __future__ import annotations

from bot.rollback.model import Event, EventKind, RollbackRequest
from bot.rollback.reminders import parse_reminder_detail
from bot.slack.messages.format import duration, escape, mention, pages, truncate, when

_REFUSALS = {
    "self_approval": "the requester cannot approve their own request",
    "not_approver": "not on the approver list",
    "requester_reject": "the requester cannot reject their own request",
    "not_requester": "only the requester may do that",
    "unverifiable": "the online version could not be read to check the request is current",
    "break_glass_disabled": "break-glass is not enabled",
    "wrong_channel": "not an allowed channel",
    "guest": "guests may not approve or reject",
    "external": "people of another organisation may not approve or reject",
    "unknown_person": "Slack could not say whether they are a guest",
    "unknown_membership": "Slack could not say who is in the approver group",
}


def timeline_lines(event: Event, request: RollbackRequest, *, overtaken: bool = False, folded: int = 0) -> list[str]:
    """The thread replies for one event: most are one line; WeChat's answer and its verification are two.
    `overtaken`: a reminder that could not be posted in its time (Slack down) and has been overtaken since (the
    request decided): shown for the record, paging nobody. `folded`: earlier reminders that could not be posted
    in their time, counted in this one instead of each posted."""
    who = mention(event.actor_id) if event.actor_id else "The bot"
    detail = escape(truncate(event.detail, 1500))
    at = when(event.at)
    target = f"*{escape(request.target.user_version)}* (app_version {request.target.app_version})"
    match event.kind:
        case EventKind.REQUESTED if request.stops_gray:
            plan = escape(request.target.user_desc)
            lines = [f":memo: {who} requested to stop the phased release ({plan}). Reason: {detail}"]
        case EventKind.REQUESTED:
            lines = [f":memo: {who} requested a rollback to {target}. Reason: {detail}"]
        case EventKind.REFUSED:
            action, _, code = event.detail.partition(": ")
            lines = [f":no_entry: {who} tried to {escape(action)}: refused, {_REFUSALS.get(code, escape(code))}."]
        case EventKind.APPROVED if event.detail:
            lines = [f":white_check_mark: {who} approved ({detail} approvals: the last one needed)."]
        case EventKind.APPROVED:
            lines = [f":white_check_mark: {who} approved."]
        case EventKind.APPROVAL_COUNTED:
            waiting = "The stop" if request.stops_gray else "The rollback"
            lines = [f":ballot_box_with_check: {who} approved ({detail} approvals). {waiting} waits for the rest."]
        case EventKind.REMINDED | EventKind.ESCALATED:
            lines = [_overtaken(event, request) if overtaken else _reminder(event, request)]
            if folded:
                lines[0] += f" ({folded} earlier reminder(s) could not be posted while Slack was unreachable.)"
        case EventKind.BREAK_GLASS:
            lines = [f":rotating_light: {who} approved their own request by break-glass. Justification: {detail}"]
        case EventKind.WECHAT_CALLED if request.stops_gray:
            lines = [":satellite_antenna: Asked WeChat to stop the phased release (revertgrayrelease)."]
        case EventKind.WECHAT_CALLED:
            lines = [f":satellite_antenna: Asked WeChat to roll back to {target}."]
        case EventKind.NOT_SENT:
            lines = [f":no_entry: {detail}"]
        case EventKind.VERIFIED:
            lines = [f":mag: {detail}"]
        case EventKind.EXECUTED | EventKind.FAILED | EventKind.UNKNOWN if event.errcode is None and not event.errmsg:
            lines = [f":mag: {detail}"]
        case EventKind.EXECUTED | EventKind.FAILED | EventKind.UNKNOWN:
            answer = (
                f"errcode {event.errcode} ({escape(event.errmsg or '')})"
                if event.errcode is not None
                else "no usable answer"
            )
            lines = [f":incoming_envelope: WeChat's answer: {answer}.", f":mag: {detail}"]
        case EventKind.REJECTED:
            lines = [f":no_entry_sign: {who} rejected the request." + (f" Reason: {detail}" if detail else "")]
        case EventKind.CANCELLED:
            lines = [f":leftwards_arrow_with_hook: {who} cancelled the request." + (f" ({detail})" if detail else "")]
        case EventKind.EXPIRED:
            lines = [":alarm_clock: The request expired without approval."]
        case EventKind.STALE:
            lines = [f":hourglass: Withdrawn as stale when {who} tried to approve: {detail}."]
    return [f"{at}  {line}" for line in lines]


def anchor_line(head: str) -> str:
    """Under a finished request's last step: the audit chain's head after it, so that a rewrite of the whole
    chain in the database shows against Slack's own history (`audit verify --expect-head`)."""
    return (
        f":link: Audit chain head after this step: `{head}` "
        f"(check: `miniprogram-rollback audit verify --expect-head {head}`)"
    )


def _reminder(event: Event, request: RollbackRequest) -> str:
    number, paged = parse_reminder_detail(event.detail)
    waited = duration(event.at - request.created_at)
    # The escalation group is told, not asked: its members decide only if they are approvers too.
    approvers = tuple(who for who in paged if who != request.escalated_to)
    who = (
        f"{pages(approvers)}, please approve or reject"
        if approvers
        else f"anyone but {mention(request.requester_id)} may approve or reject"
    )
    if request.escalated_to and request.escalated_to in paged:
        who += f". {pages((request.escalated_to,))}: for your attention, as the escalation contact"
    expires = f"It expires {when(request.expires_at)}."
    if event.kind is EventKind.ESCALATED:
        return f":rotating_light: Escalated: nobody has decided in {waited}. {who}. {expires}"
    label = f"Reminder {number}" if number else "Reminder"
    return f":bell: {label}: still waiting for approval after {waited}. {who}. {expires}"


def _overtaken(event: Event, request: RollbackRequest) -> str:
    number, _ = parse_reminder_detail(event.detail)
    label = "Escalation" if event.kind is EventKind.ESCALATED else f"Reminder {number}" if number else "Reminder"
    waited = duration(event.at - request.created_at)
    return (
        f":bell: {label}, due after {waited} of waiting, could not be posted while Slack was unreachable: "
        "nobody is paged for it now."
    )
