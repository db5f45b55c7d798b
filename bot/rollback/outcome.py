"""Judging what a rollback call did, from WeChat's answer and the online version read back afterwards.

Success is claimed only when WeChat said so or the online version shows it; anything else is "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.rollback.model import RollbackRequest, State
from bot.wechat.errors import CATALOGUE, OutcomeUnknown, WeChatError

CHECK_CONSOLE = "Check the WeChat admin console (Version management) before doing anything else."


@dataclass(frozen=True)
class Outcome:
    state: State
    words: str
    errcode: int | None = None
    errmsg: str | None = None
    verified: bool | None = None


def judge_accepted(request: RollbackRequest, online_now: str | None) -> Outcome:
    target = _target(request)
    if online_now is None:
        return Outcome(
            State.SUCCEEDED,
            f"WeChat accepted the rollback to {target}, but the online version could not be read back, "
            "so it is not yet confirmed.",
            errcode=0,
            errmsg="ok",
            verified=False,
        )
    if online_now != request.target.user_version:
        return Outcome(
            State.UNKNOWN,
            f"WeChat accepted the rollback to {target}, yet the online version reads {online_now}. "
            + CHECK_CONSOLE,
            errcode=0,
            errmsg="ok",
            verified=False,
        )
    return Outcome(
        State.SUCCEEDED,
        f"Rolled back to {target}. Verified: WeChat reports {online_now} online.",
        errcode=0,
        errmsg="ok",
        verified=_distinguishable(request),
    )


def judge_refused(request: RollbackRequest, error: WeChatError) -> Outcome:
    return Outcome(
        State.FAILED,
        f"Not applied: WeChat refused the rollback to {_target(request)}. {error.describe()}",
        errcode=error.errcode,
        errmsg=error.errmsg,
    )


def judge_blocked_by_gray_release(request: RollbackRequest) -> Outcome:
    gray = CATALOGUE[87011]
    return Outcome(
        State.FAILED,
        f"Not applied: the rollback to {_target(request)} was not sent. {gray.meaning} {gray.next_step}",
    )


def judge_unanswered(request: RollbackRequest, unknown: OutcomeUnknown, online_now: str | None) -> Outcome:
    """The rollback went out but its answer was lost: never retry, read the online version instead."""
    target = _target(request)
    lost = f"WeChat's answer to the rollback was lost ({unknown.cause})"
    if _distinguishable(request) and online_now is not None:
        if online_now == request.target.user_version:
            return Outcome(
                State.SUCCEEDED,
                f"Rolled back to {target}. {lost}, but verified: WeChat reports {online_now} online.",
                unknown.errcode,
                unknown.errmsg,
                verified=True,
            )
        if online_now == request.online_version:
            return Outcome(
                State.FAILED,
                f"Not applied (verified): {lost}, and WeChat still reports {online_now} online. "
                "It was not retried; request it again if it is still needed.",
                unknown.errcode,
                unknown.errmsg,
                verified=True,
            )
    return Outcome(
        State.UNKNOWN,
        f"Outcome unknown: {lost}, and the online version could not confirm either way "
        + (f"(it reads {online_now})" if online_now else "(it could not be read)")
        + f". It was not retried. {CHECK_CONSOLE}",
        unknown.errcode,
        unknown.errmsg,
        verified=False,
    )


def _target(request: RollbackRequest) -> str:
    return f"{request.target.user_version} (app_version {request.target.app_version})"


def _distinguishable(request: RollbackRequest) -> bool:
    # Two releases may share a user_version; then reading it back proves nothing.
    return request.target.user_version != request.online_version
