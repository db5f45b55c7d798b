"""Carrying out a claimed approval: check, send exactly once under a fenced lease, then verify.

The approver's process owns the request from its claim (`approving`) on. It sends only after winning the move
to `sending`, and asks its fence right before the request goes out: a process that was paused or stalled past
its lease re-reads nothing and sends nothing, since another replica may have settled the request meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TypeVar

from bot.rollback.claims import Claim, Claims, Progress
from bot.rollback.model import (
    Decision,
    Event,
    EventKind,
    Known,
    NotSentCause,
    Refusal,
    RollbackRequest,
    State,
    StoreUnavailable,
)
from bot.rollback.outcome import (
    Outcome,
    judge_accepted,
    judge_blocked_by_gray_release,
    judge_not_sent,
    judge_refused,
    judge_unanswered,
    judge_verified,
    shows_target,
)
from bot.rollback.ports import RequestRecords, WeChatGateway
from bot.rollback.staleness import StaleCause, Staleness
from bot.wechat.errors import OutcomeUnknown, Unavailable, WeChatError, WeChatUnavailable
from bot.wechat.types import GRAY_STATUS_WORDS, GrayReleasePlan

log = logging.getLogger(__name__)

D = TypeVar("D", Decision, None)


class RollbackExecutor:
    def __init__(
        self,
        store: RequestRecords,
        wechat: WeChatGateway,
        clock: Callable[[], datetime],
        lease: timedelta,
        pool: ThreadPoolExecutor,
    ) -> None:
        self._store = store
        self._wechat = wechat
        self._clock = clock
        self.lease = lease
        self._pool = pool
        self.claims = Claims(store, clock, lease, pool)

    def fence_deadline(self, started: float) -> float:
        """The lease as measured here, with a margin for clocks of replicas that disagree a little."""
        seconds = self.lease.total_seconds()
        return started + seconds - max(1.0, seconds / 10)

    def carry_out(self, claim: Claim, progress: Progress) -> Decision:
        """Check the request is current and not blocked, send the rollback once, record and verify the outcome."""
        with self.claims.working_for(claim.owner):
            return self._carry_out(claim, progress)

    def _carry_out(self, claim: Claim, progress: Progress) -> Decision:
        request = claim.request
        if request.stops_gray:
            return self._carry_out_stop(claim, progress)
        online = self._pool.submit(self.online_version)
        gray = self._pool.submit(self._gray_plan)
        shown = self._pool.submit(progress, Decision(request, message_changed=True, events=(claim.approval,)))
        try:
            online_now = online.result()
        except (WeChatError, WeChatUnavailable) as error:
            log.warning("could not check request %d is current: %s", request.id, error)
            return self._after(shown, self.claims.unclaim(claim))
        if online_now != request.online_version:
            why = Staleness(StaleCause.ONLINE_CHANGED, before=request.online_version, after=online_now)
            return self._after(shown, self.claims.withdraw_stale(claim, why))
        plan = gray.result()
        if plan is not None and plan.blocks_rollback:
            return self._after(shown, self.claims.finish_unsent(claim, judge_blocked_by_gray_release(request)))
        return self._send(claim, shown, progress)

    def _carry_out_stop(self, claim: Claim, progress: Progress) -> Decision:
        """Stopping a phased release: only the plan the requester saw, still running or paused, is stopped."""
        request = claim.request
        plan = self._pool.submit(self._wechat.gray_release_plan)
        # Without a create_timestamp, the online version is one more thing that tells the plan from the next.
        online = self._pool.submit(self.online_version) if request.target.commit_time == 0 else None
        shown = self._pool.submit(progress, Decision(request, message_changed=True, events=(claim.approval,)))
        try:
            plan_now = plan.result()
            online_now = online.result() if online is not None else request.online_version
        except (WeChatError, WeChatUnavailable) as error:
            log.warning("could not check request %d's phased release is current: %s", request.id, error)
            return self._after(shown, self.claims.unclaim(claim))
        why = _stale_plan(request, plan_now, online_now)
        if why is not None:
            return self._after(shown, self.claims.withdraw_stale(claim, why))
        return self._send(claim, shown, progress)

    def _send(self, claim: Claim, shown: Future[None], progress: Progress) -> Decision:
        request = claim.request
        if time.monotonic() >= claim.deadline:
            unsent = judge_not_sent(request, NotSentCause.LEASE_RAN_OUT)
            return self._after(shown, self.claims.finish_unsent(claim, unsent))
        now = self._clock()
        started = time.monotonic()
        call = (
            "revertgrayrelease" if request.stops_gray else f"revertcoderelease app_version={request.target.app_version}"
        )
        called = Event(EventKind.WECHAT_CALLED, None, now, detail=call)
        try:
            sending = self._store.transition(
                request.id,
                State.APPROVING,
                State.SENDING,
                called,
                owned_by=claim.owner,
                lease_held_at=now,
                lease_until=now + self.lease,
            )
        except StoreUnavailable:
            return self._after(shown, self._database_failed_before_sending(claim, progress))
        if sending is None:  # our lease ran out and another replica settled the request: never send
            return self._after(shown, self.claims.settled_elsewhere(request.id))
        deadline = self.fence_deadline(started)
        outcome = self._call(sending, lambda: time.monotonic() < deadline)
        try:
            recorded = self.claims.record(sending, claim.owner, outcome)
        except StoreUnavailable:
            retry = lambda: self._record_and_verify(sending, claim.owner, outcome, progress)  # noqa: E731
            self.claims.later(claim.owner, retry, progress)
            known = Known.SENT_UNRECORDED if outcome.sent else Known.APPROVED_NOT_SENT
            return self._after(shown, Decision(sending, Refusal.DATABASE, known=known, wechat_answer=outcome))
        if recorded is None:
            return self._after(shown, self.claims.settled_elsewhere(request.id))
        finished, event = recorded
        if not outcome.recheck or outcome.state is not State.SUCCEEDED:
            return self._after(shown, Decision(finished, message_changed=True, events=(called, event)))
        verifying = self._pool.submit(self.verify, finished)  # the read-back goes out while Slack shows the answer
        self._after(shown, None)
        try:
            progress(Decision(finished, message_changed=True, events=(called, event)))
        except Exception:  # Slack's failure must not lose the verified outcome, shown next
            log.exception("showing WeChat's answer to request %d failed", finished.id)
        return verifying.result()

    def _record_and_verify(
        self, sending: RollbackRequest, owner: str, outcome: Outcome, progress: Progress
    ) -> Decision | None:
        """WeChat's answer, recorded once the database answers again (over an `unknown` written meanwhile)."""
        recorded = self.claims.record(sending, owner, outcome)
        if recorded is None:
            return None
        finished, event = recorded
        progress(Decision(finished, message_changed=True, events=(event,)))
        return self.verify(finished) if outcome.recheck and outcome.state is State.SUCCEEDED else None

    def verify(self, request: RollbackRequest) -> Decision:
        """Read the online version (the plan, for a stop) once to confirm an accepted change, or leave it to the
        planned re-checks."""
        online_now = self.read_back(request)
        if not shows_target(request, online_now):
            return Decision(request)
        outcome = judge_verified(request, str(online_now))
        event = Event(EventKind.VERIFIED, None, self._clock(), detail=outcome.words)
        try:
            verified = self._store.transition(
                request.id,
                request.state,
                State.SUCCEEDED,
                event,
                recheck_was=request.recheck_at,
                outcome=outcome.words,
                verified=True,
                recheck_at=None,
            )
        except StoreUnavailable:
            return Decision(request)  # the planned re-check reads it again
        return Decision(verified, message_changed=True, events=(event,)) if verified else Decision(request)

    def _call(self, request: RollbackRequest, may_send: Callable[[], bool]) -> Outcome:
        try:
            if request.stops_gray:
                self._wechat.revert_gray_release(may_send)
            else:
                self._wechat.rollback(request.target.app_version, may_send)
        except WeChatError as error:
            return judge_refused(request, error, self.read_back(request) if error.after_resend else None)
        except OutcomeUnknown as unknown:
            return judge_unanswered(request, unknown, self.read_back(request))
        except WeChatUnavailable as error:  # raised before sending: no token, no host reachable, or fenced off
            return judge_not_sent(request, NotSentCause.WECHAT_UNAVAILABLE, error)
        except Exception:
            log.exception("unexpected failure around the WeChat call of request %d", request.id)
            return judge_unanswered(request, OutcomeUnknown(Unavailable.INTERNAL), self.read_back(request))
        return judge_accepted(request)

    def _database_failed_before_sending(self, claim: Claim, progress: Progress) -> Decision:
        """The move to `sending` may or may not have been written; either way nothing was sent. Say so on the
        record once the database answers again, unless the lease runs out first and another replica settles it."""
        outcome = judge_not_sent(claim.request, NotSentCause.DATABASE)
        decision = self.claims.finish_unsent(claim, outcome)
        if decision.refusal is not Refusal.DATABASE:
            return decision
        self.claims.later(claim.owner, lambda: self.claims.finish_unsent(claim, outcome, raising=True), progress)
        return Decision(claim.request, Refusal.DATABASE, known=Known.APPROVED_NOT_SENT)

    def _after(self, shown: Future[None], decision: D) -> D:
        """The approval is shown before anything that follows it in the thread (a failure to show it is logged:
        what follows must still be shown)."""
        try:
            shown.result()
        except Exception:
            log.exception("showing an approval failed")
        return decision

    def online_version(self) -> str | None:
        """The version online now, or None when WeChat reports none; WeChat's errors propagate."""
        online = self._wechat.version_info().online
        return online.version if online else None

    def _gray_plan(self) -> GrayReleasePlan | None:
        # A courtesy check: WeChat refuses anyway (87011), but then the refusal costs a rollback call.
        try:
            return self._wechat.gray_release_plan()
        except Exception as error:
            log.warning("could not read the phased-release plan before rolling back: %s", error)
            return None

    def read_back(self, request: RollbackRequest) -> str | None:
        """What shows whether the request's change landed: the online version, or for a stop the plan's status in
        words; None when it could not be read."""
        if not request.stops_gray:
            return self.read_online()
        try:
            plan = self._wechat.gray_release_plan()
        except Exception as error:
            log.warning("reading the phased-release plan to verify a stop failed: %s", error)
            return None
        # After a revert WeChat may answer status 4, status 0 or no plan at all (undocumented): each reads stopped.
        return GRAY_STATUS_WORDS[4] if plan.stopped else plan.status_words

    def read_online(self) -> str | None:
        try:
            return self.online_version()
        except Exception as error:
            log.warning("reading the online version to verify a rollback failed: %s", error)
            return None


def _stale_plan(request: RollbackRequest, plan: GrayReleasePlan, online: str | None) -> Staleness | None:
    """Why the plan read now is not the one the stop request was asked for (None: it is, as far as can be told)."""
    if plan.stopped:  # status 4, 0 or no plan: nothing replaced it, and there is no create_timestamp to compare
        return Staleness(StaleCause.GRAY_STOPPED)
    if plan.created != request.target.commit_time:
        return Staleness(StaleCause.GRAY_REPLACED)
    if not plan.in_progress:
        return Staleness(StaleCause.GRAY_ENDED, status=plan.status)
    if plan.created == 0 and not request.target.user_version:  # recorded before the traits were kept
        return Staleness(StaleCause.GRAY_UNTOLD)
    if plan.created == 0 and (plan.traits != request.target.user_version or online != request.online_version):
        # No create_timestamp from WeChat: a plan that reads otherwise may be another one.
        return Staleness(StaleCause.GRAY_CHANGED, status=plan.status, percentage=plan.percentage)
    return None
