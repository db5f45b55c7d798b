"""Ephemeral replies to the person whose click changed nothing, or who needs telling."""

from __future__ import annotations

from bot.i18n import _, ngettext
from bot.rollback.model import Decision, Known, Refusal, RequestRefused, RollbackRequest, State
from bot.rollback.verdict import Outcome
from bot.slack.ids import COMMAND
from bot.slack.messages.format import escape, mention, people, when
from bot.slack.messages.gray import gray_status_words
from bot.slack.messages.kinds import stale_reason
from bot.slack.messages.outcome import answer_words


def decision_notice(decision: Decision) -> str:
    """What the person who clicked is told when the click changed nothing, or not all it meant to."""
    assert decision.refusal is not None
    if decision.refusal is Refusal.DATABASE:
        return database_notice(decision.known, decision.request, decision.wechat_answer)
    return refusal_notice(decision.refusal, decision.request)


def database_notice(known: Known | None, request: RollbackRequest | None = None, answer: Outcome | None = None) -> str:
    """The database stopped answering part-way: say exactly what is known to have happened."""
    match known:
        case Known.APPROVED_NOT_SENT:
            return _(
                "Your approval was recorded, but the bot's database stopped answering before the rollback went out, "
                "so *nothing was sent to WeChat*. The request will be marked not applied; request it again once "
                "the bot is healthy."
            )
        case Known.SENT_UNRECORDED:
            return _(
                "The rollback was sent. WeChat's answer: {answer} The bot's database stopped answering before it "
                "could record this; the bot will settle the request from WeChat's state. Do not send it again."
            ).format(answer=answer_words(request, answer) if request and answer else _("none"))
        case _:
            return _(
                "The bot's database is not answering, so your click could not be recorded and *nothing was sent "
                "to WeChat*. Try again in a minute."
            )


def rule_name(refusal: Refusal) -> str | None:
    """The rule behind a refusal, named in every refusal so nobody has to guess which one stopped them (each rule
    is worded here only)."""
    match refusal:
        case Refusal.SELF_APPROVAL:
            return _("two people (the requester never approves their own request)")
        case Refusal.NOT_APPROVER:
            return _("approver list (only the configured approvers decide)")
        case Refusal.REQUESTER_REJECT:
            return _("two people (the requester cancels, never rejects)")
        case Refusal.NOT_REQUESTER:
            return _("requester only")
        case Refusal.EXPIRED:
            return _("approval deadline")
        case Refusal.ALREADY_DECIDED:
            return _("one decision per request")
        case Refusal.STALE | Refusal.UNVERIFIABLE:
            return _("approve only what is online now")
        case Refusal.WRONG_CHANNEL:
            return _("allowed channels")
        case Refusal.BREAK_GLASS_DISABLED:
            return _("break-glass is off")
        case Refusal.REPEAT_APPROVAL:
            return _("distinct approvers (each person's approval counts once)")
        case Refusal.GUEST | Refusal.UNKNOWN_PERSON:
            return _("no guest approvers")
        case Refusal.EXTERNAL | Refusal.REQUESTER_EXTERNAL:
            return _("no approvers from another organisation")
        case Refusal.UNKNOWN_MEMBERSHIP:
            return _("approver group (only its members decide)")
        case Refusal.ALREADY_OPEN | Refusal.JUST_OPENED:
            return _("one open request per mini program")
        case Refusal.GRAY_BLOCKS:
            return _("no rollback during a phased release")
        case Refusal.NO_ONE_COULD_APPROVE:
            return _("two people (the requester never approves their own request)")
    return None


def with_rule(words: str, refusal: Refusal) -> str:
    rule = rule_name(refusal)
    return words + (" " + _("_Rule: {rule}._").format(rule=rule) if rule else "")


def refusal_notice(refusal: Refusal, request: RollbackRequest | None) -> str:
    if request is None or refusal is Refusal.UNKNOWN_REQUEST:
        return _("I can't find that rollback request. It may belong to another installation of the bot.")
    return with_rule(_refusal_words(refusal, request), refusal)


def refused_words(refused: RequestRefused) -> str:
    """A request or a form the rules did not take, from the refusal's facts, with the rule behind it."""
    facts = refused.facts
    match refused.refusal:
        case Refusal.NO_REASON:
            words = _("Please give a reason: it goes on the record of this incident.")
        case Refusal.REASON_TOO_LONG:
            words = _("Please keep the reason under {limit} characters.").format(limit=facts.get("limit", ""))
        case Refusal.SHORT_JUSTIFICATION:
            words = _("Please justify the bypass in at least {minimum} characters.").format(
                minimum=facts.get("minimum", "")
            )
        case Refusal.VERSION_GONE:
            words = _(
                "WeChat no longer offers app_version {app_version} as a rollback target. Run the command again to "
                "see the current list."
            ).format(app_version=facts.get("app_version", "?"))
        case Refusal.GRAY_BLOCKS:
            words = _(
                "A phased release is running or paused, and WeChat refuses every rollback meanwhile (87011). Stop "
                "the phased release first (the command offers it)."
            )
        case Refusal.NOTHING_TO_STOP:
            status = facts.get("status", 0)
            words = _(
                "No phased release is running or paused now (it is {status}): there is nothing to stop. Run the "
                "command again to see what can be rolled back."
            ).format(status=gray_status_words(int(status)))
        case Refusal.GRAY_CHANGED:
            words = _("Another phased release started since the list was shown. Run the command again.")
        case Refusal.ALREADY_OPEN:
            words = _("Request #{request} for this mini program is still open.").format(
                request=facts.get("request", "?")
            )
        case Refusal.JUST_OPENED:
            words = _("Another request for this mini program was just opened; try again.")
        case Refusal.WRONG_CHANNEL:
            words = _("Rollbacks of this mini program cannot be requested in this channel.")
        case Refusal.REQUESTER_EXTERNAL:
            words = _(
                "You are a member of another organisation (this is a Slack Connect channel): only members of this "
                "workspace can request a rollback of its mini programs, so nothing was requested."
            )
        case Refusal.NO_ONE_COULD_APPROVE:
            required, others = int(facts.get("required", 0)), int(facts.get("others", 0))
            words = ngettext(
                "This mini program needs {required} approval from people other than the requester, and its "
                "approvers include only {others} besides you: nobody could complete your request. Ask another "
                "approver to request the rollback, or an admin to add approvers.",
                "This mini program needs {required} approvals from people other than the requester, and its "
                "approvers include only {others} besides you: nobody could complete your request. Ask another "
                "approver to request the rollback, or an admin to add approvers.",
                required,
            ).format(required=required, others=others)
        case _:
            return _("That was refused ({refusal}); nothing was changed.").format(refusal=refused.refusal.value)
    return with_rule(words, refused.refusal)


def _refusal_words(refusal: Refusal, request: RollbackRequest) -> str:
    match refusal:
        case Refusal.SELF_APPROVAL:
            return _("You can't approve your own rollback request: a second person must approve it.")
        case Refusal.NOT_APPROVER:
            return _("You are not on the approver list for this mini program, so your click changed nothing.")
        case Refusal.REQUESTER_REJECT:
            return _("This is your own request: use *Cancel* to withdraw it.")
        case Refusal.NOT_REQUESTER:
            return _("Only the requester, {requester}, can do that.").format(requester=mention(request.requester_id))
        case Refusal.STALE:
            return _(
                "This request is stale: {why}. It was withdrawn and nothing was changed. {requester}, run "
                "`{command}` to request again from the current version."
            ).format(
                why=stale_reason(request, request.decision_note or ""),
                requester=mention(request.requester_id),
                command=COMMAND,
            )
        case Refusal.UNVERIFIABLE:
            return _(
                "I could not read the online version from WeChat to check this request is still current, "
                "so nothing was done. Try again in a moment."
            )
        case Refusal.BREAK_GLASS_DISABLED:
            return _("Break-glass is not enabled for this mini program: a second person must approve.")
        case Refusal.WRONG_CHANNEL:
            return _("Rollbacks of this mini program cannot be requested in this channel.")
        case Refusal.REPEAT_APPROVAL:
            return _(
                "You already approved this request, and one person's approval counts once. It has {given} of "
                "{required} approvals ({people}): someone else must approve too."
            ).format(
                given=len(request.approvals), required=request.approvals_required, people=people(request.approvals)
            )
        case Refusal.GUEST:
            return _("Guests of this workspace cannot approve or reject rollbacks, so your click changed nothing.")
        case Refusal.EXTERNAL:
            return _(
                "You are a member of another organisation (this is a Slack Connect channel): only members of this "
                "workspace can approve or reject rollbacks, so your click changed nothing."
            )
        case Refusal.UNKNOWN_PERSON:
            return _(
                "Slack could not tell me whether you are a guest of this workspace, who may not approve, so your "
                "click changed nothing. Try again in a moment."
            )
        case Refusal.UNKNOWN_MEMBERSHIP:
            return _(
                "Slack could not tell me who is in this mini program's approver group, so your click changed "
                "nothing. Try again in a moment."
            )
        case Refusal.EXPIRED:
            return _(
                "This request expired {expired} and can no longer be approved. Run `{command}` to start a new one."
            ).format(expired=when(request.expires_at), command=COMMAND)
        case _:
            return already_decided(request)


def already_decided(request: RollbackRequest) -> str:
    by = mention(request.decided_by) if request.decided_by else _("someone")
    match request.state:
        case State.APPROVING | State.SENDING:
            return _("{by} already approved this request; the rollback is under way.").format(by=by)
        case State.SUCCEEDED:
            return _("{by} already approved this request: rolled back.").format(by=by)
        case State.FAILED:
            return _("{by} already approved this request: failed.").format(by=by)
        case State.UNKNOWN:
            return _("{by} already approved this request: outcome unknown.").format(by=by)
        case State.REJECTED:
            return _("{by} already rejected this request.").format(by=by)
        case State.CANCELLED:
            return _("This request was already cancelled.")
        case State.EXPIRED:
            return _("This request expired {expired}.").format(expired=when(request.expires_at))
        case State.PENDING:
            return _("This request is still waiting for approval.")


def direct_message_notice() -> str:
    return _(
        "Rollbacks are requested in a channel, where a second person can see the request and approve it. "
        "Run `{command}` in your team's or the incident's channel (`{command} status` works anywhere)."
    ).format(command=COMMAND)


def wrong_channel_notice(channels: frozenset[str]) -> str:
    listed = ", ".join(f"<#{channel}>" for channel in sorted(channels))
    words = _("Rollbacks of this mini program are requested only in {channels}.").format(channels=listed)
    return with_rule(words, Refusal.WRONG_CHANNEL)


def already_open_notice(request: RollbackRequest, permalink: str | None, program: str | None = None) -> str:
    label = _("request #{id}").format(id=request.id)
    where = f"<{permalink}|{label}>" if permalink else label
    words = _(
        "There is already an open rollback request for `{program}`: {request} by {requester} ({state}). Decide or "
        "cancel it before asking for another."
    ).format(
        program=escape(program or request.appid),
        request=where,
        requester=mention(request.requester_id),
        state=state_words(request.state),
    )
    return with_rule(words, Refusal.ALREADY_OPEN)


def state_words(state: State) -> str:
    """A request's state as people say it."""
    match state:
        case State.PENDING:
            return _("pending")
        case State.APPROVING:
            return _("approving")
        case State.SENDING:
            return _("sending")
        case State.SUCCEEDED:
            return _("succeeded")
        case State.FAILED:
            return _("failed")
        case State.UNKNOWN:
            return _("unknown")
        case State.REJECTED:
            return _("rejected")
        case State.CANCELLED:
            return _("cancelled")
        case State.EXPIRED:
            return _("expired")
