"""Deciding a request: approve (then roll back exactly once), break glass, reject, cancel, expire, settle.

Every state change is a compare-and-set in the database, so any number of clicks across threads, replicas
and restarts moves a request once; whoever loses is told who won.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from bot.rollback.execution import RollbackExecutor
from bot.rollback.model import (
    MAX_REASON_LENGTH,
    MIN_JUSTIFICATION_LENGTH,
    Decision,
    Event,
    EventKind,
    Refusal,
    RequestRefused,
    RollbackRequest,
    State,
)
from bot.rollback.policy import ApprovalPolicy
from bot.store.request_store import RequestStore
from bot.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)

Rule = Callable[[RollbackRequest, str], Refusal | None]
ShowApproval = Callable[[RollbackRequest], None]


class Decisions:
    """One mini program's requests, decided under its policy."""

    def __init__(
        self,
        appid: str,
        store: RequestStore,
        executor: RollbackExecutor,
        policy: ApprovalPolicy,
        clock: Callable[[], datetime],
        stuck_after: timedelta,
    ) -> None:
        self.appid = appid
        self.policy = policy
        self._store = store
        self._executor = executor
        self._clock = clock
        self._stuck_after = stuck_after

    def approve(self, request_id: int, user_id: str, on_approved: ShowApproval) -> Decision:
        """Approve and, if this call wins the compare-and-set, roll back exactly once.

        `on_approved` runs between approval and the WeChat call, to show the approval before a slow call.
        """
        return self._approve(request_id, user_id, "approve", self.policy.why_not_approve, on_approved, {})

    def break_glass(self, request_id: int, user_id: str, justification: str, on_approved: ShowApproval) -> Decision:
        """The requester approves alone, where allowed, with a justification kept on the record."""
        justification = justification.strip()
        if len(justification) < MIN_JUSTIFICATION_LENGTH:
            raise RequestRefused(f"Please justify the bypass in at least {MIN_JUSTIFICATION_LENGTH} characters.")
        fields = {"policy_bypass": True, "decision_note": justification[:MAX_REASON_LENGTH]}
        return self._approve(
            request_id, user_id, "break glass", self.policy.why_not_break_glass, on_approved, fields
        )

    def reject(self, request_id: int, user_id: str, reason: str = "") -> Decision:
        note = reason.strip()[:MAX_REASON_LENGTH] or None
        return self._close(request_id, user_id, "reject", State.REJECTED, EventKind.REJECTED, note)

    def cancel(self, request_id: int, user_id: str) -> Decision:
        return self._close(request_id, user_id, "cancel", State.CANCELLED, EventKind.CANCELLED, None)

    def precheck(self, action: str, request_id: int, user_id: str) -> Decision | None:
        """Before opening a form (reject reason, break-glass justification): the refusal, if there is one."""
        rule = self.policy.why_not_reject if action == "reject" else self.policy.why_not_break_glass
        if action not in ("reject", "break glass"):
            raise ValueError(f"no form precedes {action!r}")
        request, now, refusal = self._check(request_id, user_id, rule)
        return None if refusal is None else self._refuse(request, refusal, user_id, now, action)

    def expire_due(self) -> list[Decision]:
        """Expire every pending request past its deadline; returns those this call expired."""
        now = self._clock()
        return self._expire_all(self._store.due_for_expiry(self.appid, now), now)

    def expire_orphans(self, configured: Collection[str]) -> list[Decision]:
        """Expire on time the pending requests of mini programs no longer configured: nobody could decide them."""
        now = self._clock()
        return self._expire_all(self._store.due_for_expiry_elsewhere(configured, now), now)

    def _expire_all(self, request_ids: list[int], now: datetime) -> list[Decision]:
        expired = []
        for request_id in request_ids:
            event = Event(EventKind.EXPIRED, None, now, detail="not approved in time")
            if self._store.transition(request_id, State.PENDING, State.EXPIRED, event, finished_at=now):
                expired.append(Decision(self._reload(request_id), message_changed=True, events=(event,)))
        return expired

    def reconcile_stuck(self) -> list[Decision]:
        """Settle rollbacks a stopped process left `executing`: from WeChat's state, never by re-sending."""
        settled = []
        for request_id in self._store.stuck_executing(self.appid, self._clock() - self._stuck_after):
            result = self._executor.reconcile(self._reload(request_id))
            if result is not None:
                request, events = result
                log.warning("request %d was left executing; settled as %s", request.id, request.state)
                settled.append(Decision(request, message_changed=True, events=events))
        return settled

    # --- the rules

    def _approve(
        self,
        request_id: int,
        user_id: str,
        action: str,
        rule: Rule,
        on_approved: ShowApproval,
        fields: dict[str, Any],
    ) -> Decision:
        request, now, refusal = self._check(request_id, user_id, rule)
        if refusal is not None or request is None:
            return self._refuse(request, refusal, user_id, now, action)
        stale = self._check_current(request, user_id, now, action)
        if stale is not None:
            return stale
        kind = EventKind.BREAK_GLASS if fields.get("policy_bypass") else EventKind.APPROVED
        approval = Event(kind, user_id, now, detail=str(fields.get("decision_note") or ""))
        won = self._store.transition(
            request.id,
            State.PENDING,
            State.EXECUTING,
            approval,
            unexpired_at=now,
            decided_by=user_id,
            decided_at=now,
            **fields,
        )
        if not won:
            return self._lost_race(request.id, user_id, now)
        approved = self._reload(request.id)
        try:
            on_approved(approved)
        except Exception:
            log.exception("showing the approval of request %d failed; rolling back regardless", request.id)
        finished, steps = self._executor.execute(approved)
        return Decision(finished, message_changed=True, events=(approval, *steps))

    def _check_current(self, request: RollbackRequest, user_id: str, now: datetime, action: str) -> Decision | None:
        """The approver approves what the request showed: if the online version moved since, it is stale."""
        try:
            online = self._executor.online_version()
        except (WeChatError, WeChatUnavailable) as error:
            log.warning("could not check request %d is current: %s", request.id, error)
            return self._refuse(request, Refusal.UNVERIFIABLE, user_id, now, action)
        if online == request.online_version:
            return None
        note = f"the online version changed from {request.online_version or 'none'} to {online or 'none'}"
        stale = Event(EventKind.STALE, user_id, now, detail=note)
        withdrawn = self._store.transition(
            request.id,
            State.PENDING,
            State.CANCELLED,
            stale,
            finished_at=now,
            decision_note=note,
            outcome=f"Withdrawn as stale: {note} since it was requested. Nothing was changed; request again.",
        )
        if not withdrawn:
            return self._lost_race(request.id, user_id, now)
        return Decision(self._reload(request.id), Refusal.STALE, message_changed=True, events=(stale,))

    def _close(
        self, request_id: int, user_id: str, action: str, state: State, kind: EventKind, note: str | None
    ) -> Decision:
        rule = self.policy.why_not_reject if state is State.REJECTED else self.policy.why_not_cancel
        request, now, refusal = self._check(request_id, user_id, rule)
        if refusal is not None or request is None:
            return self._refuse(request, refusal, user_id, now, action)
        closing = Event(kind, user_id, now, detail=note or "")
        won = self._store.transition(
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
        if not won:
            return self._lost_race(request.id, user_id, now)
        return Decision(self._reload(request.id), message_changed=True, events=(closing,))

    def _check(
        self, request_id: int, user_id: str, rule: Rule
    ) -> tuple[RollbackRequest | None, datetime, Refusal | None]:
        now = self._clock()
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
        return Decision(
            self._reload(request.id), Refusal.EXPIRED, message_changed=expired, events=(event,) if expired else ()
        )

    def _lost_race(self, request_id: int, user_id: str, now: datetime) -> Decision:
        request = self._reload(request_id)
        if request.state is State.PENDING:  # still pending, so the update failed on the expiry condition
            return self._expire(request, user_id, now, "act")
        refusal = Refusal.EXPIRED if request.state is State.EXPIRED else Refusal.ALREADY_DECIDED
        return Decision(request, refusal)

    def _reload(self, request_id: int) -> RollbackRequest:
        request = self._store.get(request_id)
        assert request is not None, f"request {request_id} vanished"
        return request
