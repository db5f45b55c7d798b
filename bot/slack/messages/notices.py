"""Ephemeral replies to the person whose click changed nothing, or who needs telling."""

from __future__ import annotations

from bot.rollback.model import Decision, Known, Refusal, RollbackRequest, State
from bot.slack.ids import COMMAND
from bot.slack.messages.format import escape, mention, people, when


def decision_notice(decision: Decision) -> str:
    """What the person who clicked is told when the click changed nothing, or not all it meant to."""
    assert decision.refusal is not None
    if decision.refusal is Refusal.DATABASE:
        return database_notice(decision.known, decision.wechat_answer)
    return refusal_notice(decision.refusal, decision.request)


def database_notice(known: Known | None, wechat_answer: str | None) -> str:
    """The database stopped answering part-way: say exactly what is known to have happened."""
    match known:
        case Known.APPROVED_NOT_SENT:
            return (
                "Your approval was recorded, but the bot's database stopped answering before the rollback went out, "
                "so *nothing was sent to WeChat*. The request will be marked not applied; request it again once "
                "the bot is healthy."
            )
        case Known.SENT_UNRECORDED:
            return (
                f"The rollback was sent. WeChat's answer: {escape(wechat_answer or 'none')} The bot's database stopped "
                "answering before it could record this; the bot will settle the request from WeChat's state. "
                "Do not send it again."
            )
        case _:
            return (
                "The bot's database is not answering, so your click could not be recorded and *nothing was sent "
                "to WeChat*. Try again in a minute."
            )


# The rule behind each refusal, named in every refusal so nobody has to guess which one stopped them.
RULES = {
    Refusal.SELF_APPROVAL: "two people (the requester never approves their own request)",
    Refusal.NOT_APPROVER: "approver list (only the configured approvers decide)",
    Refusal.REQUESTER_REJECT: "two people (the requester cancels, never rejects)",
    Refusal.NOT_REQUESTER: "requester only",
    Refusal.EXPIRED: "approval deadline",
    Refusal.ALREADY_DECIDED: "one decision per request",
    Refusal.STALE: "approve only what is online now",
    Refusal.UNVERIFIABLE: "approve only what is online now",
    Refusal.WRONG_CHANNEL: "allowed channels",
    Refusal.BREAK_GLASS_DISABLED: "break-glass is off",
    Refusal.REPEAT_APPROVAL: "distinct approvers (each person's approval counts once)",
    Refusal.GUEST: "no guest approvers",
    Refusal.EXTERNAL: "no approvers from another organisation",
    Refusal.UNKNOWN_PERSON: "no guest approvers",
    Refusal.UNKNOWN_MEMBERSHIP: "approver group (only its members decide)",
}


def refusal_notice(refusal: Refusal, request: RollbackRequest | None) -> str:
    if request is None or refusal is Refusal.UNKNOWN_REQUEST:
        return "I can't find that rollback request. It may belong to another installation of the bot."
    rule = RULES.get(refusal)
    return _refusal_words(refusal, request) + (f" _Rule: {rule}._" if rule else "")


def _refusal_words(refusal: Refusal, request: RollbackRequest) -> str:
    match refusal:
        case Refusal.SELF_APPROVAL:
            return "You can't approve your own rollback request: a second person must approve it."
        case Refusal.NOT_APPROVER:
            return "You are not on the approver list for this mini program, so your click changed nothing."
        case Refusal.REQUESTER_REJECT:
            return "This is your own request: use *Cancel* to withdraw it."
        case Refusal.NOT_REQUESTER:
            return f"Only the requester, {mention(request.requester_id)}, can do that."
        case Refusal.STALE:
            return (
                f"This request is stale: {escape(request.decision_note or '')}. It was withdrawn and nothing was "
                "changed. "
                f"{mention(request.requester_id)}, run `{COMMAND}` to request again from the current version."
            )
        case Refusal.UNVERIFIABLE:
            return (
                "I could not read the online version from WeChat to check this request is still current, "
                "so nothing was done. Try again in a moment."
            )
        case Refusal.BREAK_GLASS_DISABLED:
            return "Break-glass is not enabled for this mini program: a second person must approve."
        case Refusal.WRONG_CHANNEL:
            return "Rollbacks of this mini program cannot be requested in this channel."
        case Refusal.REPEAT_APPROVAL:
            given = f"{len(request.approvals)} of {request.approvals_required} approvals"
            return (
                f"You already approved this request, and one person's approval counts once. It has {given} "
                f"({people(request.approvals)}): someone else must approve too."
            )
        case Refusal.GUEST:
            return "Guests of this workspace cannot approve or reject rollbacks, so your click changed nothing."
        case Refusal.EXTERNAL:
            return (
                "You are a member of another organisation (this is a Slack Connect channel): only members of this "
                "workspace can approve or reject rollbacks, so your click changed nothing."
            )
        case Refusal.UNKNOWN_PERSON:
            return (
                "Slack could not tell me whether you are a guest of this workspace, who may not approve, so your "
                "click changed nothing. Try again in a moment."
            )
        case Refusal.UNKNOWN_MEMBERSHIP:
            return (
                "Slack could not tell me who is in this mini program's approver group, so your click changed "
                "nothing. Try again in a moment."
            )
        case Refusal.EXPIRED:
            return (
                f"This request expired {when(request.expires_at)} and can no longer be approved. "
                f"Run `{COMMAND}` to start a new one."
            )
        case _:
            return already_decided(request)


def already_decided(request: RollbackRequest) -> str:
    by = mention(request.decided_by) if request.decided_by else "someone"
    match request.state:
        case State.APPROVING | State.SENDING:
            return f"{by} already approved this request; the rollback is under way."
        case State.SUCCEEDED | State.FAILED | State.UNKNOWN:
            ended = {State.SUCCEEDED: "rolled back", State.FAILED: "failed"}.get(request.state, "outcome unknown")
            return f"{by} already approved this request: {ended}."
        case State.REJECTED:
            return f"{by} already rejected this request."
        case State.CANCELLED:
            return "This request was already cancelled."
        case State.EXPIRED:
            return f"This request expired {when(request.expires_at)}."
        case State.PENDING:
            return "This request is still waiting for approval."


def direct_message_notice() -> str:
    return (
        f"Rollbacks are requested in a channel, where a second person can see the request and approve it. "
        f"Run `{COMMAND}` in your team's or the incident's channel (`{COMMAND} status` works anywhere)."
    )


def wrong_channel_notice(channels: frozenset[str]) -> str:
    listed = ", ".join(f"<#{channel}>" for channel in sorted(channels))
    return f"Rollbacks of this mini program are requested only in {listed}. _Rule: allowed channels._"


def already_open_notice(request: RollbackRequest, permalink: str | None, program: str | None = None) -> str:
    where = f"<{permalink}|request #{request.id}>" if permalink else f"request #{request.id}"
    return (
        f"There is already an open rollback request for `{escape(program or request.appid)}`: {where} by "
        f"{mention(request.requester_id)} ({request.state}). Decide or cancel it before asking for another. "
        "_Rule: one open request per mini program._"
    )
