"""One thread reply per recorded step, so the request's thread reads as the incident's timeline."""

from __future__ import annotations

from bot.i18n import _, ngettext
from bot.rollback.model import Event, EventKind, Refusal, RollbackRequest
from bot.rollback.publishing import unposted_code
from bot.rollback.reminders import parse_reminder_detail
from bot.slack.messages.format import duration, escape, mention, pages, truncate, when
from bot.slack.messages.kinds import plan_summary, stale_reason
from bot.slack.messages.outcome import step_words


def _refused_because(code: str) -> str:
    """A refusal recorded in the thread, in the third person (its code is what the record keeps)."""
    match code:
        case Refusal.SELF_APPROVAL:
            return _("the requester cannot approve their own request")
        case Refusal.NOT_APPROVER:
            return _("not on the approver list")
        case Refusal.REQUESTER_REJECT:
            return _("the requester cannot reject their own request")
        case Refusal.NOT_REQUESTER:
            return _("only the requester may do that")
        case Refusal.UNVERIFIABLE:
            return _("the online version could not be read to check the request is current")
        case Refusal.BREAK_GLASS_DISABLED:
            return _("break-glass is not enabled")
        case Refusal.WRONG_CHANNEL:
            return _("not an allowed channel")
        case Refusal.GUEST:
            return _("guests may not approve or reject")
        case Refusal.EXTERNAL:
            return _("people of another organisation may not approve or reject")
        case Refusal.UNKNOWN_PERSON:
            return _("Slack could not say whether they are a guest")
        case Refusal.UNKNOWN_MEMBERSHIP:
            return _("Slack could not say who is in the approver group")
    return escape(code)


def _action_words(action: str) -> str:
    """The attempted action as the record names it (decisions.py: approve, reject, cancel, break glass)."""
    match action:
        case "approve":
            return _("approve")
        case "reject":
            return _("reject")
        case "cancel":
            return _("cancel")
        case "break glass":
            return _("break glass")
    return escape(action)


def timeline_lines(event: Event, request: RollbackRequest, *, overtaken: bool = False, folded: int = 0) -> list[str]:
    """The thread replies for one event: most are one line; WeChat's answer and its verification are two.
    `overtaken`: a reminder that could not be posted in its time (Slack down) and has been overtaken since (the
    request decided): shown for the record, paging nobody. `folded`: earlier reminders that could not be posted
    in their time, counted in this one instead of each posted."""
    who = mention(event.actor_id) if event.actor_id else _("The bot")
    detail = escape(truncate(event.detail, 1500))
    at = when(event.at)
    target = _("*{version}* (app_version {app_version})").format(
        version=escape(request.target.user_version), app_version=request.target.app_version
    )
    match event.kind:
        case EventKind.REQUESTED if request.stops_gray:
            lines = [
                _(":memo: {who} requested to stop the phased release ({plan}). Reason: {reason}").format(
                    who=who, plan=plan_summary(request), reason=detail
                )
            ]
        case EventKind.REQUESTED:
            lines = [
                _(":memo: {who} requested a rollback to {target}. Reason: {reason}").format(
                    who=who, target=target, reason=detail
                )
            ]
        case EventKind.REFUSED:
            action, _sep, code = event.detail.partition(": ")
            lines = [
                _(":no_entry: {who} tried to {action}: refused, {why}.").format(
                    who=who, action=_action_words(action), why=_refused_because(code)
                )
            ]
        case EventKind.APPROVED if event.detail:
            lines = [
                _(":white_check_mark: {who} approved ({count} approvals: the last one needed).").format(
                    who=who, count=detail
                )
            ]
        case EventKind.APPROVED:
            lines = [_(":white_check_mark: {who} approved.").format(who=who)]
        case EventKind.APPROVAL_COUNTED if request.stops_gray:
            lines = [
                _(":ballot_box_with_check: {who} approved ({count} approvals). The stop waits for the rest.").format(
                    who=who, count=detail
                )
            ]
        case EventKind.APPROVAL_COUNTED:
            lines = [
                _(
                    ":ballot_box_with_check: {who} approved ({count} approvals). The rollback waits for the rest."
                ).format(who=who, count=detail)
            ]
        case EventKind.REMINDED | EventKind.ESCALATED:
            lines = [_overtaken(event, request) if overtaken else _reminder(event, request)]
            if folded:
                lines[0] += " " + ngettext(
                    "({count} earlier reminder could not be posted while Slack was unreachable.)",
                    "({count} earlier reminders could not be posted while Slack was unreachable.)",
                    folded,
                ).format(count=folded)
        case EventKind.BREAK_GLASS:
            lines = [
                _(":rotating_light: {who} approved their own request by break-glass. Justification: {why}").format(
                    who=who, why=detail
                )
            ]
        case EventKind.WECHAT_CALLED if request.stops_gray:
            lines = [_(":satellite_antenna: Asked WeChat to stop the phased release (revertgrayrelease).")]
        case EventKind.WECHAT_CALLED:
            lines = [_(":satellite_antenna: Asked WeChat to roll back to {target}.").format(target=target)]
        case EventKind.NOT_SENT:
            lines = [f":no_entry: {step_words(event, request)}"]
        case EventKind.VERIFIED:
            lines = [f":mag: {step_words(event, request)}"]
        case EventKind.EXECUTED | EventKind.FAILED | EventKind.UNKNOWN if event.errcode is None and not event.errmsg:
            lines = [f":mag: {step_words(event, request)}"]
        case EventKind.EXECUTED | EventKind.FAILED | EventKind.UNKNOWN:
            if event.errcode is not None:
                answer = _(":incoming_envelope: WeChat's answer: errcode {errcode} ({errmsg}).").format(
                    errcode=event.errcode, errmsg=escape(event.errmsg or "")
                )
            else:
                answer = _(":incoming_envelope: WeChat's answer: no usable answer.")
            lines = [answer, f":mag: {step_words(event, request)}"]
        case EventKind.REJECTED if detail:
            lines = [_(":no_entry_sign: {who} rejected the request. Reason: {reason}").format(who=who, reason=detail)]
        case EventKind.REJECTED:
            lines = [_(":no_entry_sign: {who} rejected the request.").format(who=who)]
        case EventKind.CANCELLED if event.actor_id is None:  # nobody cancelled it: its message never got posted
            answered = unposted_code(event.detail)  # the channel's own word, when it gave one
            if answered is not None:
                lines = [
                    _(
                        ":leftwards_arrow_with_hook: Withdrawn: the request message could not be posted in the channel "
                        "(`{code}`), so nobody could approve it. Nothing was changed."
                    ).format(code=escape(answered))
                ]
            else:
                lines = [
                    _(
                        ":leftwards_arrow_with_hook: Withdrawn: the request message was never posted in the channel, "
                        "so nobody could approve it. Nothing was changed."
                    )
                ]
        case EventKind.CANCELLED:
            lines = [_(":leftwards_arrow_with_hook: {who} cancelled the request.").format(who=who)]
        case EventKind.EXPIRED:
            lines = [_(":alarm_clock: The request expired without approval.")]
        case EventKind.STALE if event.actor_id is None:  # nobody clicked: the version watch saw it go stale
            why = stale_reason(request, truncate(event.detail, 1500))
            lines = [_(":hourglass: Withdrawn as stale by the version watch: {why}.").format(why=why)]
        case EventKind.STALE:
            why = stale_reason(request, truncate(event.detail, 1500))
            lines = [_(":hourglass: Withdrawn as stale when {who} tried to approve: {why}.").format(who=who, why=why)]
        case _:
            lines = [detail]
    return [f"{at}  {line}" for line in lines]


def anchor_line(head: str) -> str:
    """Under a finished request's last step: the audit chain's head after it, so that a rewrite of the whole
    chain in the database shows against Slack's own history (`audit verify --expect-head`)."""
    return _(
        ":link: Audit chain head after this step: `{head}` (check: `miniprogram-rollback audit verify --expect-head "
        "{head}`)"
    ).format(head=head)


def _reminder(event: Event, request: RollbackRequest) -> str:
    number, paged = parse_reminder_detail(event.detail)
    waited = duration(event.at - request.created_at)
    # The escalation group is told, not asked: its members decide only if they are approvers too.
    approvers = tuple(who for who in paged if who != request.escalated_to)
    if approvers:
        who = _("{approvers}, please approve or reject").format(approvers=pages(approvers))
    else:
        who = _("Anyone but {requester} may approve or reject").format(requester=mention(request.requester_id))
    if request.escalated_to and request.escalated_to in paged:
        who = _("{who}. {group}: for your attention, as the escalation contact").format(
            who=who, group=pages((request.escalated_to,))
        )
    expires = when(request.expires_at)
    if event.kind is EventKind.ESCALATED:
        return _(":rotating_light: Escalated: nobody has decided in {waited}. {who}. It expires {expires}.").format(
            waited=waited, who=who, expires=expires
        )
    if number:
        return _(
            ":bell: Reminder {number}: still waiting for approval after {waited}. {who}. It expires {expires}."
        ).format(number=number, waited=waited, who=who, expires=expires)
    return _(":bell: Reminder: still waiting for approval after {waited}. {who}. It expires {expires}.").format(
        waited=waited, who=who, expires=expires
    )


def _overtaken(event: Event, request: RollbackRequest) -> str:
    number, _paged = parse_reminder_detail(event.detail)
    if event.kind is EventKind.ESCALATED:
        label = _("Escalation")
    elif number:
        label = _("Reminder {number}").format(number=number)
    else:
        label = _("Reminder")
    return _(
        ":bell: {label}, due after {waited} of waiting, could not be posted while Slack was unreachable: nobody is "
        "paged for it now."
    ).format(label=label, waited=duration(event.at - request.created_at))
