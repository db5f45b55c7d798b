"""Judging what a rollback did, from WeChat's answer and the online version read back afterwards.

Success is claimed only when WeChat said so or the online version shows it; "verified" only when the online
version shows it. Anything else is "unknown", and stays open to a later read of the online version.

A request to stop a phased release is judged by bot/rollback/gray_outcome.py instead, from the plan read back: each
judge below hands it over, so callers need not tell the kinds apart. `online_now` is then the plan's status in words.
"""

from __future__ import annotations

from dataclasses import replace

from bot.rollback import gray_outcome
from bot.rollback.model import NotSentCause, OutcomeCause, RollbackRequest, State
from bot.rollback.verdict import CHECK_CONSOLE as CHECK_CONSOLE
from bot.rollback.verdict import NOT_RETRIED as NOT_RETRIED
from bot.rollback.verdict import RECHECK_AFTER_SECONDS as RECHECK_AFTER_SECONDS
from bot.rollback.verdict import Outcome as Outcome
from bot.wechat.errors import CATALOGUE, OutcomeUnknown, WeChatError, WeChatUnavailable


def judge_accepted(request: RollbackRequest) -> Outcome:
    """WeChat answered errcode 0: shown at once, verified by the read that follows."""
    if request.stops_gray:
        return gray_outcome.accepted(request)
    target = _target(request)
    if not distinguishable(request):
        return Outcome(
            State.SUCCEEDED,
            f"Rolled back to {target} (WeChat accepted). The online version had the same name before, so reading "
            "it back cannot confirm it.",
            errcode=0,
            errmsg="ok",
            verified=False,
        )
    return Outcome(
        State.SUCCEEDED,
        f"Rolled back to {target} (WeChat accepted). Reading the online version back to verify…",
        errcode=0,
        errmsg="ok",
        verified=False,
        recheck=True,
    )


def judge_verified(request: RollbackRequest, online_now: str, how: str = "") -> Outcome:
    if request.stops_gray:
        return gray_outcome.verified(request, how)
    return Outcome(
        State.SUCCEEDED,
        f"Rolled back to {_target(request)}. {how}Verified: WeChat reports {online_now} online.",
        verified=True,
    )


def shows_target(request: RollbackRequest, online_now: str | None) -> bool:
    """The online version proves the rollback landed (it cannot when old and new share a name)."""
    if request.stops_gray:
        return gray_outcome.shows_stopped(online_now)
    return distinguishable(request) and online_now == request.target.user_version


def judge_refused(request: RollbackRequest, error: WeChatError, online_now: str | None = None) -> Outcome:
    """WeChat refused. After a re-sent rollback (a token error first), the first send may have landed all the
    same: the caller reads the online version back and passes it."""
    if request.stops_gray:
        return gray_outcome.refused(request, error, online_now)
    if error.after_resend and shows_target(request, online_now):
        return judge_verified(request, str(online_now), f"WeChat refused a re-sent request ({error.describe()}), ")
    return Outcome(
        State.FAILED,
        f"Not applied: WeChat refused the rollback to {_target(request)}. {error.describe()}",
        errcode=error.errcode,
        errmsg=error.errmsg,
        verified=True if error.after_resend and online_now is not None else None,
    )


# The English record of why a request was not sent; bot/slack/messages/outcome.py words each cause for its reader.
_NOT_SENT = {
    NotSentCause.LEASE_RAN_OUT: "the approval took longer than its lease, so another replica may be settling it.",
    NotSentCause.DATABASE: "the bot's database stopped answering before the rollback went out.",
    # The settling replica knows only that the lease ran out, not why: it names no cause it cannot see.
    NotSentCause.ABANDONED: (
        "the replica that took the approval did not send it within its lease (it stopped, was paused or lost its "
        "database), and nothing was sent. Request it again if it is still needed."
    ),
}


def judge_not_sent(
    request: RollbackRequest, cause: NotSentCause, unavailable: WeChatUnavailable | None = None
) -> Outcome:
    """Nothing went out: `unavailable` is what kept it from WeChat (with NotSentCause.WECHAT_UNAVAILABLE)."""
    if cause is NotSentCause.GRAY_RELEASE:
        return judge_blocked_by_gray_release(request)
    recorded = OutcomeCause(cause, tuple(sorted(unavailable.record().items())) if unavailable else ())
    why = unavailable.describe() if unavailable is not None else _NOT_SENT.get(cause, "")
    if request.stops_gray:
        return replace(gray_outcome.not_sent(request, why), cause=recorded)
    words = f"Not applied: the rollback to {_target(request)} was not sent: {why}"
    return Outcome(State.FAILED, words, sent=False, cause=recorded)


def judge_blocked_by_gray_release(request: RollbackRequest) -> Outcome:
    gray = CATALOGUE[87011]
    return Outcome(
        State.FAILED,
        f"Not applied: the rollback to {_target(request)} was not sent. {gray.meaning} {gray.next_step}",
        cause=OutcomeCause(NotSentCause.GRAY_RELEASE),
    )


def judge_unanswered(request: RollbackRequest, unknown: OutcomeUnknown, online_now: str | None) -> Outcome:
    """The rollback went out but its answer was lost: never retry, read the online version instead."""
    if request.stops_gray:
        return gray_outcome.unanswered(request, unknown, online_now)
    lost = f"WeChat's answer to the rollback was lost ({unknown})"
    return _settle_from_online(request, lost, online_now, unknown.errcode, unknown.errmsg)


def judge_abandoned(request: RollbackRequest, online_now: str | None) -> Outcome:
    """The process that was sending stopped answering (killed, paused, stalled) before recording WeChat's answer."""
    what = "stopping the phased release" if request.stops_gray else "the rollback"
    lost = (
        f"the replica sending {what} did not record WeChat's answer within its lease (it stopped, was paused "
        "or lost its database)"
    )
    if request.stops_gray:
        outcome = gray_outcome.settle_from_plan(request, lost, online_now, None, None)
    else:
        outcome = _settle_from_online(request, lost, online_now, None, None)
    unrecorded = OutcomeCause(NotSentCause.ANSWER_UNRECORDED)
    return replace(outcome, cause=unrecorded) if outcome.state is State.UNKNOWN else outcome


def judge_still_unconfirmed(request: RollbackRequest, online_now: str | None) -> Outcome:
    """The last planned read-back still does not show the target."""
    if request.stops_gray:
        return gray_outcome.still_unconfirmed(request, online_now)
    reads = f"it reads {online_now}" if online_now else "it could not be read"
    minutes = RECHECK_AFTER_SECONDS[-1] // 60
    accepted = request.state is State.SUCCEEDED
    start = "WeChat accepted the rollback" if accepted else "The outcome of the rollback is unknown"
    facts: tuple[tuple[str, int | str], ...] = (("minutes", minutes),) + (
        (("online", online_now),) if online_now else ()
    )
    return Outcome(
        State.UNKNOWN,
        f"{start} to {_target(request)}, yet {minutes} minutes later the online version still does not show it "
        f"({reads}). {NOT_RETRIED} {CHECK_CONSOLE}",
        verified=False,
        cause=OutcomeCause(NotSentCause.NOT_SHOWN, facts) if accepted else request.cause,
    )


def _settle_from_online(
    request: RollbackRequest, lost: str, online_now: str | None, errcode: int | None, errmsg: str | None
) -> Outcome:
    if shows_target(request, online_now):
        words = f"Rolled back to {_target(request)}. {lost[0].upper()}{lost[1:]}, but verified: WeChat reports " + (
            f"{online_now} online."
        )
        return Outcome(State.SUCCEEDED, words, errcode, errmsg, verified=True)
    reads = f"it reads {online_now}" if online_now else "it could not be read"
    if not distinguishable(request):  # the old and the new version share a name: reading it back proves nothing
        return Outcome(
            State.UNKNOWN,
            f"Outcome unknown: {lost}. {NOT_RETRIED} The online version had the same name before ({reads}), so "
            f"reading it back cannot tell. {CHECK_CONSOLE}",
            errcode,
            errmsg,
            verified=False,
        )
    return Outcome(
        State.UNKNOWN,
        f"Outcome unknown so far: {lost}. {NOT_RETRIED} Re-checking the online version ({reads}) for "
        f"{RECHECK_AFTER_SECONDS[-1] // 60} minutes. Meanwhile, check the WeChat admin console (Version management) "
        "before doing anything else.",
        errcode,
        errmsg,
        verified=False,
        recheck=True,
    )


def _target(request: RollbackRequest) -> str:
    return f"{request.target.user_version} (app_version {request.target.app_version})"


def distinguishable(request: RollbackRequest) -> bool:
    # Two releases may share a user_version; then reading it back proves nothing. A stopped plan always shows.
    return request.stops_gray or request.target.user_version != request.online_version
