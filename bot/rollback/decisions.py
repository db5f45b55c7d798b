"""Deciding a request: approve (then roll back exactly once), break glass, reject, cancel.

Every state change is a compare-and-set in the database, so any number of clicks across threads, replicas
and restarts moves a request once; whoever loses is answered at once from the database, before any WeChat call.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.rollback.claims import Claim, Progress
from bot.rollback.execution import RollbackExecutor
from bot.rollback.model import (
    MAX_REASON_LENGTH,
    MIN_JUSTIFICATION_LENGTH,
    Decision,
    Event,
    EventKind,
    Known,
    Refusal,
    RequestRefused,
    RollbackRequest,
    State,
    StoreUnavailable,
)
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.ports import RequestRecords

log = logging.getLogger(__name__)

Rule = Callable[[RollbackRequest, str], Refusal | None]

# A burst of clicks reaches the database a few at a time: fifty threads doing it at once starve the acks of the
# rest of the burst of the interpreter, and the database answers a few faster than fifty anyway. Held only
# around the store's own short work (bounded by the database timeout), never around a call to Slack or WeChat.
_CLICKS = threading.BoundedSemaphore(2)
# Approvals counted at once by different people each move the count by one: a click that lost to another approval
# tries again from what is now recorded, and gives up (as if it lost the race) only after this many.
_MAX_APPROVALS_AT_ONCE = 8


class Decisions:
    """One mini program's requests, decided under its policy."""

    def __init__(
        self,
        appid: str,
        store: RequestRecords,
        executor: RollbackExecutor,
        policy: ApprovalPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        self.appid = appid
        self.policy = policy
        self._store = store
        self._executor = executor
        self._clock = clock

    def approve(self, request_id: int, user_id: str, progress: Progress) -> Decision:
        """Approve and, if this click wins the claim, roll back exactly once.

        `progress` is shown each step that precedes a slow one: the approval (beside the checks WeChat answers),
        then WeChat's answer (before the read-back that verifies it).
        """
        return self._approve(request_id, user_id, "approve", self.policy.why_not_approve, progress, {})

    def break_glass(self, request_id: int, user_id: str, justification: str, progress: Progress) -> Decision:
        """The requester approves alone, where allowed, with a justification kept on the record."""
        justification = justification.strip()
        if len(justification) < MIN_JUSTIFICATION_LENGTH:
            raise RequestRefused(Refusal.SHORT_JUSTIFICATION, minimum=MIN_JUSTIFICATION_LENGTH)
        fields = {"policy_bypass": True, "decision_note": justification[:MAX_REASON_LENGTH]}
        return self._approve(request_id, user_id, "break glass", self.policy.why_not_break_glass, progress, fields)

    def reject(self, request_id: int, user_id: str, reason: str = "") -> Decision:
        note = reason.strip()[:MAX_REASON_LENGTH] or None
        return self._close(request_id, user_id, "reject", State.REJECTED, EventKind.REJECTED, note)

    def cancel(self, request_id: int, user_id: str) -> Decision:
        return self._close(request_id, user_id, "cancel", State.CANCELLED, EventKind.CANCELLED, None)

    def precheck(self, action: str, request_id: int, user_id: str, *, ask_slack: bool = True) -> Decision | None:
        """Around opening a form (reject reason, break-glass justification): the refusal, if there is one.
        `ask_slack=False`: only the rules that need nothing from Slack, quick enough before the form opens."""
        policy = self.policy if ask_slack else self.policy.without_slack()
        rule = policy.why_not_reject if action == "reject" else policy.why_not_break_glass
        if action not in ("reject", "break glass"):
            raise ValueError(f"no form precedes {action!r}")
        try:
            request, now, refusal = self._check(request_id, user_id, rule)
            return None if refusal is None else self._refuse(request, refusal, user_id, now, action)
        except StoreUnavailable:
            return Decision(None, Refusal.DATABASE, known=Known.NOTHING_RECORDED)

    # --- the rules

    def _approve(
        self, request_id: int, user_id: str, action: str, rule: Rule, progress: Progress, fields: dict[str, Any]
    ) -> Decision:
        try:
            claimed = self._claim(request_id, user_id, action, rule, fields)
        except StoreUnavailable:
            return Decision(None, Refusal.DATABASE, known=Known.NOTHING_RECORDED)
        return claimed if isinstance(claimed, Decision) else self._executor.carry_out(claimed, progress)

    def _claim(
        self, request_id: int, user_id: str, action: str, rule: Rule, fields: dict[str, Any]
    ) -> Claim | Decision:
        """The rules, then the compare-and-set that only one click wins: the last approval a request needs claims
        it; an earlier one is counted (a compare-and-set on the approvals so far: two at once count one after
        the other, each once)."""
        for _ in range(_MAX_APPROVALS_AT_ONCE):
            request, now, refusal = self._check(request_id, user_id, rule)
            if refusal is not None or request is None:
                return self._refuse(request, refusal, user_id, now, action)
            if user_id in request.approvals and not fields.get("policy_bypass"):
                return Decision(request, Refusal.REPEAT_APPROVAL)
            if fields.get("policy_bypass") or len(request.approvals) + 1 >= request.approvals_required:
                decided = self._claim_last(request, user_id, fields)
            else:
                decided = self._count(request, user_id, now)
            if decided is not None:
                return decided
        return Decision(self._reload(request_id), Refusal.ALREADY_DECIDED)  # more approvals at once than needed

    def _count(self, request: RollbackRequest, user_id: str, now: datetime) -> Decision | None:
        """One approval of several, recorded and shown; None when another approval was counted meanwhile."""
        approvals = (*request.approvals, user_id)
        event = Event(
            EventKind.APPROVAL_COUNTED, user_id, now, detail=f"{len(approvals)} of {request.approvals_required}"
        )
        with _CLICKS:
            counted = self._store.transition(
                request.id,
                State.PENDING,
                State.PENDING,
                event,
                unexpired_at=now,
                approvals_were=request.approvals,
                approvals=approvals,
            )
        return None if counted is None else Decision(counted, message_changed=True, events=(event,))

    def _claim_last(self, request: RollbackRequest, user_id: str, fields: dict[str, Any]) -> Claim | Decision | None:
        """The approval that completes the count claims the request; None when another approval was counted
        meanwhile (the count is then read again)."""
        owner = f"{os.getpid()}-{secrets.token_hex(8)}"
        bypass = bool(fields.get("policy_bypass"))
        approvals = request.approvals if bypass else (*request.approvals, user_id)
        with _CLICKS:  # the lease starts once this click's turn has come
            started, now = time.monotonic(), self._clock()
            kind = EventKind.BREAK_GLASS if bypass else EventKind.APPROVED
            detail = str(fields.get("decision_note") or "")
            if not bypass and request.approvals_required > 1:
                detail = f"{len(approvals)} of {request.approvals_required}"
            approval = Event(kind, user_id, now, detail=detail)
            claimed = self._store.transition(
                request.id,
                State.PENDING,
                State.APPROVING,
                approval,
                unexpired_at=now,
                approvals_were=request.approvals,
                decided_by=user_id,
                decided_at=now,
                owner=owner,
                lease_until=now + self._executor.lease,
                approvals=approvals,
                **fields,
            )
        if claimed is None:
            recorded = self._reload(request.id)
            if recorded.state is State.PENDING and now < recorded.expires_at:
                return None  # another approval was counted meanwhile
            return self._lost_race(request.id, user_id, now, recorded)
        return Claim(claimed, owner, approval, self._executor.fence_deadline(started))

    def _close(
        self, request_id: int, user_id: str, action: str, state: State, kind: EventKind, note: str | None
    ) -> Decision:
        rule = self.policy.why_not_reject if state is State.REJECTED else self.policy.why_not_cancel
        try:
            request, now, refusal = self._check(request_id, user_id, rule)
            if refusal is not None or request is None:
                return self._refuse(request, refusal, user_id, now, action)
            closing = Event(kind, user_id, now, detail=note or "")
            closed = self._store.transition(
                request.id,
                State.PENDING,
                state,
                closing,
                unexpired_at=now,
                decided_by=user_id,
                decided_at=now,
                finished_at=now,
                decision_note=note,
            )
            if closed is None:
                return self._lost_race(request.id, user_id, now)
        except StoreUnavailable:
            return Decision(None, Refusal.DATABASE, known=Known.NOTHING_RECORDED)
        return Decision(closed, message_changed=True, events=(closing,))

    def _check(
        self, request_id: int, user_id: str, rule: Rule
    ) -> tuple[RollbackRequest | None, datetime, Refusal | None]:
        now = self._clock()
        with _CLICKS:
            request = self._store.get(request_id)
        if request is None or request.appid != self.appid:
            return None, now, Refusal.UNKNOWN_REQUEST
        if request.state is not State.PENDING:
            return request, now, Refusal.ALREADY_DECIDED
        if now >= request.expires_at:
            return request, now, Refusal.EXPIRED
        return request, now, rule(request, user_id)

    def _refuse(
        self, request: RollbackRequest | None, refusal: Refusal | None, user_id: str, now: datetime, action: str
    ) -> Decision:
        assert refusal is not None
        if request is None:
            return Decision(None, refusal)
        if refusal is Refusal.EXPIRED:
            return self._expire(request, user_id, now, action)
        if refusal is Refusal.ALREADY_DECIDED:
            return Decision(request, refusal)
        refused = Event(EventKind.REFUSED, user_id, now, detail=f"{action}: {refusal}")
        self._store.record(request.id, refused)
        return Decision(request, refusal, events=(refused,))

    def _expire(self, request: RollbackRequest, user_id: str, now: datetime, action: str) -> Decision:
        event = Event(EventKind.EXPIRED, None, now, detail=f"noticed when {user_id} tried to {action}")
        expired = self._store.transition(request.id, State.PENDING, State.EXPIRED, event, finished_at=now)
        if expired is None:
            return Decision(self._reload(request.id), Refusal.EXPIRED)
        return Decision(expired, Refusal.EXPIRED, message_changed=True, events=(event,))

    def _lost_race(
        self, request_id: int, user_id: str, now: datetime, request: RollbackRequest | None = None
    ) -> Decision:
        """Answered from the database alone (`request`: as just read, if it was): whoever won is named, and
        nobody waits for WeChat."""
        request = request or self._reload(request_id)
        if request.state is State.PENDING:  # still pending, so the update failed on the expiry condition
            return self._expire(request, user_id, now, "act")
        refusal = Refusal.EXPIRED if request.state is State.EXPIRED else Refusal.ALREADY_DECIDED
        return Decision(request, refusal)

    def _reload(self, request_id: int) -> RollbackRequest:
        request = self._store.get(request_id)
        assert request is not None, f"request {request_id} vanished"
        return request
