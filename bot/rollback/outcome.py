"""Judging what a rollback did, from WeChat's answer and the online version read back afterwards.

Success is claimed only when WeChat said so or the online version shows it; "verified" only when the online
version shows it. Anything else is "unknown", and stays open to a later read of the online version.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.rollback.model import RollbackRequest, State
from bot.wechat.errors import CATALOGUE, OutcomeUnknown, WeChatError

CHECK_CONSOLE = "Check the WeChat admin console (Version management) before doing anything else."
RECHECK_AFTER_SECONDS = (10, 30, 120, 300)  # after the outcome: when the online version is read again
NOT_RETRIED = "It was not retried."


@dataclass(frozen=True)
class Outcome:
    state: State
    words: str
    errcode: int | None = None
    errmsg: str | None = None
    verified: bool | None = None
    recheck: bool = False  # read the online version again later to settle or confirm it
    sent: bool = True  # whether the rollback may have reached WeChat


def judge_accepted(request: RollbackRequest) -> Outcome:
    """WeChat answered errcode 0: shown at once, verified by the read that follows."""
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
    return Outcome(
        State.SUCCEEDED,
        f"Rolled back to {_target(request)}. {how}Verified: WeChat reports {online_now} online.",
        verified=True,
    )


def shows_target(request: RollbackRequest, online_now: str | None) -> bool:
    """The online version proves the rollback landed (it cannot when old and new share a name)."""
    return distinguishable(request) and online_now == request.target.user_version


def judge_refused(request: RollbackRequest, error: WeChatError, online_now: str | None = None) -> Outcome:
    """WeChat refused. After a re-sent rollback (a token error first), the first send may have landed all the
    same: the caller reads the online version back and passes it."""
    if error.after_resend and shows_target(request, online_now):
        return judge_verified(request, str(online_now), f"WeChat refused a re-sent request ({error.describe()}), ")
    return Outcome(
        State.FAILED,
        f"Not applied: WeChat refused the rollback to {_target(request)}. {error.describe()}",
        errcode=error.errcode,
        errmsg=error.errmsg,
        verified=True if error.after_resend and online_now is not None else None,
    )


def judge_not_sent(request: RollbackRequest, why: str) -> Outcome:
    return Outcome(State.FAILED, f"Not applied: the rollback to {_target(request)} was not sent: {why}", sent=False)


def judge_blocked_by_gray_release(request: RollbackRequest) -> Outcome:
    gray = CATALOGUE[87011]
    return Outcome(
        State.FAILED,
        f"Not applied: the rollback to {_target(request)} was not sent. {gray.meaning} {gray.next_step}",
    )


def judge_unanswered(request: RollbackRequest, unknown: OutcomeUnknown, online_now: str | None) -> Outcome:
    """The rollback went out but its answer was lost: never retry, read the online version instead."""
    lost = f"WeChat's answer to the rollback was lost ({unknown.cause})"
    return _settle_from_online(request, lost, online_now, unknown.errcode, unknown.errmsg)


def judge_abandoned(request: RollbackRequest, online_now: str | None) -> Outcome:
    """The process that was sending stopped answering (killed, paused, stalled) before recording WeChat's answer."""
    lost = (
        "the replica sending the rollback did not record WeChat's answer within its lease (it stopped, was paused "
        "or lost its database)"
    )
    return _settle_from_online(request, lost, online_now, None, None)


def judge_still_unconfirmed(request: RollbackRequest, online_now: str | None) -> Outcome:
    """The last planned read-back still does not show the target."""
    reads = f"it reads {online_now}" if online_now else "it could not be read"
    minutes = RECHECK_AFTER_SECONDS[-1] // 60
    accepted = request.state is State.SUCCEEDED
    start = "WeChat accepted the rollback" if accepted else "The outcome of the rollback is unknown"
    return Outcome(
        State.UNKNOWN,
        f"{start} to {_target(request)}, yet {minutes} minutes later the online version still does not show it "
        f"({reads}). {NOT_RETRIED} {CHECK_CONSOLE}",
        verified=False,
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
    # Two releases may share a user_version; then reading it back proves nothing.
    return request.target.user_version != request.online_version
