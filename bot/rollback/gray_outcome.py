"""Judging what stopping a phased release did, from WeChat's answer to revertgrayrelease and the plan read back
(getgrayreleaseplan) afterwards: the same rules as a rollback's (bot/rollback/outcome.py), for the other kind.

Stopped is claimed only when WeChat said so or the plan shows it; verified only when the plan shows it. The plan is
read back as its status in words (GrayReleasePlan.status_words), "stopped" meaning done: status 4 (deleted), or 0 or
no plan at all, since what WeChat answers after a revert is undocumented (GrayReleasePlan.stopped).
"""

from __future__ import annotations

from bot.rollback.model import RollbackRequest, State
from bot.rollback.verdict import NOT_RETRIED, RECHECK_AFTER_SECONDS, Outcome
from bot.wechat.errors import OutcomeUnknown, WeChatError
from bot.wechat.types import GRAY_STATUS_WORDS

STOPPED = GRAY_STATUS_WORDS[4]
AGAIN = "Rollbacks can be requested again."
CHECK_PLAN = "Check the WeChat admin console (Version management, phased release) before doing anything else."


def plan_words(request: RollbackRequest) -> str:
    """The phased release the request stops, as shown when it was asked for."""
    return f"the phased release ({request.target.user_desc})" if request.target.user_desc else "the phased release"


def shows_stopped(observed: str | None) -> bool:
    return observed == STOPPED


def accepted(request: RollbackRequest) -> Outcome:
    return Outcome(
        State.SUCCEEDED,
        f"Stopped {plan_words(request)} (WeChat accepted). Reading the plan back to verify…",
        errcode=0,
        errmsg="ok",
        verified=False,
        recheck=True,
    )


def verified(request: RollbackRequest, how: str = "") -> Outcome:
    return Outcome(
        State.SUCCEEDED,
        f"Stopped {plan_words(request)}. {how}Verified: WeChat reports the phased release stopped. {AGAIN}",
        verified=True,
    )


def refused(request: RollbackRequest, error: WeChatError, observed: str | None = None) -> Outcome:
    if error.after_resend and shows_stopped(observed):
        return verified(request, f"WeChat refused a re-sent request ({error.describe()}), ")
    return Outcome(
        State.FAILED,
        f"Not applied: WeChat refused to stop {plan_words(request)}. {error.describe()}",
        errcode=error.errcode,
        errmsg=error.errmsg,
        verified=True if error.after_resend and observed is not None else None,
    )


def not_sent(request: RollbackRequest, why: str) -> Outcome:
    return Outcome(
        State.FAILED, f"Not applied: the request to stop {plan_words(request)} was not sent: {why}", sent=False
    )


def settle_from_plan(
    request: RollbackRequest, lost: str, observed: str | None, errcode: int | None, errmsg: str | None
) -> Outcome:
    """The request went out and its answer is lost (or its sender stopped): never re-sent, the plan read instead."""
    if shows_stopped(observed):
        words = f"Stopped {plan_words(request)}. {lost[0].upper()}{lost[1:]}, but verified: the plan reads stopped."
        return Outcome(State.SUCCEEDED, f"{words} {AGAIN}", errcode, errmsg, verified=True)
    reads = f"it reads {observed}" if observed else "it could not be read"
    return Outcome(
        State.UNKNOWN,
        f"Outcome unknown so far: {lost}. {NOT_RETRIED} Re-checking the plan ({reads}) for "
        f"{RECHECK_AFTER_SECONDS[-1] // 60} minutes. Meanwhile, {CHECK_PLAN[0].lower()}{CHECK_PLAN[1:]}",
        errcode,
        errmsg,
        verified=False,
        recheck=True,
    )


def unanswered(request: RollbackRequest, unknown: OutcomeUnknown, observed: str | None) -> Outcome:
    lost = f"WeChat's answer to stopping the phased release was lost ({unknown})"
    return settle_from_plan(request, lost, observed, unknown.errcode, unknown.errmsg)


def still_unconfirmed(request: RollbackRequest, observed: str | None) -> Outcome:
    reads = f"it reads {observed}" if observed else "it could not be read"
    start = "WeChat accepted the stop of" if request.state is State.SUCCEEDED else "The outcome of stopping"
    return Outcome(
        State.UNKNOWN,
        f"{start} {plan_words(request)}, yet {RECHECK_AFTER_SECONDS[-1] // 60} minutes later the plan still does "
        f"not read stopped ({reads}). {NOT_RETRIED} {CHECK_PLAN}",
        verified=False,
    )
