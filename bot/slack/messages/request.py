"""The request message in the channel: the headline of the incident record, rewritten at every step."""

from __future__ import annotations

from typing import Any

from bot.i18n import _, ngettext
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
from bot.slack.messages.headline import headline, withdrawn
from bot.slack.messages.kinds import asked, plan_summary, what_wechat_allows, withdrawn_words
from bot.slack.messages.outcome import outcome_words

Blocks = list[dict[str, Any]]


def request_message(
    request: RollbackRequest, *, break_glass: bool = False, program: str | None = None
) -> tuple[str, Blocks]:
    """`break_glass`: offer the requester the bypass button (only where the mini program allows it);
    `program`: the mini program's name as people know it (its appid when not given)."""
    program = program or request.appid
    target = request.target
    online = escape(request.online_version) if request.online_version else _("(none)")
    if request.stops_gray:
        summary = _(
            "*{headline}*\nMini program `{program}`: stop the phased release ({plan}); *{online}* stays online"
        ).format(headline=headline(request), program=escape(program), plan=plan_summary(request), online=online)
        subject = _("*Phased release* {plan}").format(plan=plan_summary(request))
    else:
        summary = _(
            "*{headline}*\nMini program `{program}`: *{online}* → *{target}* (app_version {app_version})"
        ).format(
            headline=headline(request),
            program=escape(program),
            online=online,
            target=escape(target.user_version),
            app_version=target.app_version,
        )
        committed = when(target.commit_time)
        if target.user_desc:
            subject = _("*Target build* committed {committed}: {description}").format(
                committed=committed, description=escape(truncate(target.user_desc, 500))
            )
        else:
            subject = _("*Target build* committed {committed}").format(committed=committed)
    details = _("*Requested by* {requester} {requested}\n*Reason* {reason}\n{subject}").format(
        requester=mention(request.requester_id),
        requested=when(request.created_at),
        reason=escape(truncate(request.reason, 1000)),
        subject=subject,
    )
    blocks: Blocks = [section(summary), section(details), section(_status_line(request))]
    if request.policy_bypass:
        blocks.append(
            section(
                _(
                    ":rotating_light: *Break-glass: approved by the requester alone, without a second person.* "
                    "Justification: {justification}"
                ).format(justification=escape(request.decision_note or ""))
            )
        )
    elif request.state is State.REJECTED and request.decision_note:
        blocks.append(section(_("*Rejection reason* {reason}").format(reason=escape(request.decision_note))))
    if request.outcome:
        outcome = withdrawn_words(request) or outcome_words(request)
        blocks.append(section(_("*Outcome* {outcome}").format(outcome=outcome)))
    if request.state is State.PENDING:
        blocks.append(context(":information_source: " + what_wechat_allows(request)))
        blocks.append(_buttons(request, break_glass, program))
    blocks.append(context(_("Request #{id}").format(id=request.id)))
    # The notification's text is mrkdwn too: WeChat's version names are escaped here as in the blocks.
    change = (
        plan_summary(request)
        if request.stops_gray
        else f"{escape(request.online_version or '?')} → {escape(target.user_version)}"
    )
    text = _("{headline} ({program}: {change})").format(
        headline=headline(request), program=escape(program), change=change
    )
    if request.state is State.PENDING and request.paged:
        text += f" {pages(request.paged)}"  # the notification pages them too
    return text, blocks


def _pending_lines(request: RollbackRequest) -> str:
    """Who is paged, how many approvals are in, how long it has waited and whether it was escalated."""
    required, given = request.approvals_required, request.approvals
    missing = required - len(given)
    requester = mention(request.requester_id)
    expires = when(request.expires_at)
    # Who approved already is asked no more; the escalation group is told, not asked (it is named below).
    awaited = tuple(who for who in request.awaited if who != request.escalated_to)
    if required == 1 and awaited:
        needs = _("Needs approval by {paged} (not {requester}, who asked). Expires {expires}.")
    elif required == 1:
        needs = _("Needs approval by someone other than {requester}. Expires {expires}.")
    elif awaited:
        needs = ngettext(
            "Needs {missing} more approval by {paged}: {required} different people, never {requester}. "
            "Expires {expires}.",
            "Needs {missing} more approvals by {paged}: {required} different people, never {requester}. "
            "Expires {expires}.",
            missing,
        )
    else:
        needs = ngettext(
            "Needs {missing} more approval by someone other than {requester}: {required} different people, never "
            "{requester}. Expires {expires}.",
            "Needs {missing} more approvals by someone other than {requester}: {required} different people, never "
            "{requester}. Expires {expires}.",
            missing,
        )
    lines = [
        needs.format(paged=pages(awaited), requester=requester, expires=expires, missing=missing, required=required)
    ]
    if given:
        lines.append(
            _("*{given} of {required} approvals:* {people}").format(
                given=len(given), required=required, people=people(given)
            )
        )
    if request.reminded_at is not None:
        lines.append(
            ngettext(
                "Waiting {waited}: {count} reminder sent, the last {last}.",
                "Waiting {waited}: {count} reminders sent, the last {last}.",
                request.reminders,
            ).format(
                waited=duration(request.reminded_at - request.created_at),
                count=request.reminders,
                last=when(request.reminded_at),
            )
        )
    if request.escalated_to:
        lines.append(_(":rotating_light: Escalated to {group}.").format(group=pages((request.escalated_to,))))
    return "\n".join(lines)


def _decider(request: RollbackRequest) -> str:
    """Who decided; with more than one approval required, all the approvers, the last (who set it off) included."""
    decider = mention(request.decided_by) if request.decided_by else _("someone")
    if request.approvals_required < 2 or not request.approvals or request.policy_bypass:
        return decider
    facts = {
        "decider": decider,
        "given": len(request.approvals),
        "required": request.approvals_required,
        "people": people(request.approvals),
    }
    if request.state in _APPROVED:
        return _("{decider} ({given} of {required} approvals: {people})").format(**facts)
    return _("{decider} (after {given} of {required} approvals: {people})").format(**facts)


_APPROVED = (State.APPROVING, State.SENDING, State.SUCCEEDED, State.FAILED, State.UNKNOWN)


def _status_line(request: RollbackRequest) -> str:
    decider = _decider(request)
    decided = when(request.decided_at) if request.decided_at else ""
    finished = when(request.finished_at) if request.finished_at else ""
    match request.state:
        case State.PENDING:
            return _pending_lines(request)
        case State.APPROVING:
            return _(
                "*Approved by* {decider} {decided}. Checking with WeChat that nothing changed since the request…"
            ).format(decider=decider, decided=decided)
        case State.SENDING if request.stops_gray:
            return _("*Approved by* {decider} {decided}. Asking WeChat to stop the phased release…").format(
                decider=decider, decided=decided
            )
        case State.SENDING:
            return _("*Approved by* {decider} {decided}. Asking WeChat to roll back…").format(
                decider=decider, decided=decided
            )
        case State.SUCCEEDED | State.FAILED | State.UNKNOWN if finished:
            return _("*Approved by* {decider} {decided}, finished {finished}.").format(
                decider=decider, decided=decided, finished=finished
            )
        case State.SUCCEEDED | State.FAILED | State.UNKNOWN:
            return _("*Approved by* {decider} {decided}.").format(decider=decider, decided=decided)
        case State.CANCELLED if withdrawn(request):
            return _("*Withdrawn* {finished}.").format(finished=finished) if finished else _("*Withdrawn*.")
        case State.REJECTED:
            return _("*Rejected by* {decider} {decided}. Nothing was changed.").format(decider=decider, decided=decided)
        case State.CANCELLED if request.decided_by:
            return _("*Cancelled* by {decider} {decided}. Nothing was changed.").format(
                decider=decider, decided=decided
            )
        case State.CANCELLED:
            return _("*Cancelled* {decided}. Nothing was changed.").format(decided=decided)
        case State.EXPIRED if request.approvals:
            return _(
                "*Expired* {expired} without approval ({given} of {required} approvals). Nothing was changed."
            ).format(
                expired=when(request.expires_at), given=len(request.approvals), required=request.approvals_required
            )
        case State.EXPIRED:
            return _("*Expired* {expired} without approval. Nothing was changed.").format(
                expired=when(request.expires_at)
            )
    return ""


def _buttons(request: RollbackRequest, break_glass: bool, program: str) -> dict[str, Any]:
    value = str(request.id)
    return {
        "type": "actions",
        "block_id": f"request.{request.id}",
        "elements": [
            {
                "type": "button",
                "action_id": APPROVE,
                "text": plain(_("Approve")),
                "style": "primary",
                "value": value,
                "confirm": {
                    "title": plain(
                        _("Stop the phased release?") if request.stops_gray else _("Approve this rollback?")
                    ),
                    "text": {
                        "type": "mrkdwn",
                        "text": truncate(
                            _("WeChat will {change} right away. {allows}").format(
                                change=asked(request, program), allows=what_wechat_allows(request)
                            ),
                            300,
                        ),
                    },
                    "confirm": plain(_("Stop it") if request.stops_gray else _("Roll back")),
                    "deny": plain(_("Not yet")),
                    "style": "danger",
                },
            },
            {"type": "button", "action_id": REJECT, "text": plain(_("Reject")), "style": "danger", "value": value},
            {"type": "button", "action_id": CANCEL, "text": plain(_("Cancel")), "value": value},
            *([_break_glass_button(value)] if break_glass else []),
        ],
    }


def _break_glass_button(value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": BREAK_GLASS,
        "text": plain(_("Break glass")),
        "value": value,
        "confirm": {
            "title": plain(_("Bypass the second person?")),
            "text": plain(
                _(
                    "Only the requester can do this, with a written justification. It is announced in the "
                    "channel and recorded as a policy bypass."
                )
            ),
            "confirm": plain(_("Continue")),
            "deny": plain(_("Back")),
            "style": "danger",
        },
    }
