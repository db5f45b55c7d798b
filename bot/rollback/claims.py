"""An approval this process won, and the ways its record is kept: the sender's own outcome, the ends of a claim
that sends nothing, and the retries that record the real cause once a failed database answers again.

Every write is a compare-and-set on the claim's owner, so none lands over what another replica settled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.rollback.model import Decision, Event, EventKind, Known, Refusal, RollbackRequest, State, StoreUnavailable
from bot.rollback.outcome import RECHECK_AFTER_SECONDS, Outcome
from bot.rollback.ports import RequestRecords
from bot.rollback.staleness import Staleness

log = logging.getLogger(__name__)

Progress = Callable[[Decision], None]  # shows a step (the approval, WeChat's answer) before the next slow one

_UNCLAIM: dict[str, Any] = {
    "decided_by": None,
    "decided_at": None,
    "owner": None,
    "lease_until": None,
    "policy_bypass": False,
    "decision_note": None,
}


@dataclass(frozen=True)
class Claim:
    """An approval this process won: it alone may send, while the lease holds (by the monotonic clock)."""

    request: RollbackRequest
    owner: str
    approval: Event
    deadline: float  # time.monotonic() past which the lease may have run out


class Claims:
    def __init__(
        self, store: RequestRecords, clock: Callable[[], datetime], lease: timedelta, pool: ThreadPoolExecutor
    ) -> None:
        self._store = store
        self._clock = clock
        self._lease = lease
        self._pool = pool
        self._working: set[str] = set()  # owners of claims a thread of this process is still carrying out
        self._working_lock = threading.Lock()

    def working_on(self, owner: str | None) -> bool:
        """A thread here still carries this claim out (slow, or waiting for the database): it will record the
        outcome itself, with its real cause, so this process's own sweeper leaves it alone."""
        with self._working_lock:
            return owner in self._working

    @contextmanager
    def working_for(self, owner: str) -> Iterator[None]:
        with self._working_lock:
            self._working.add(owner)
        try:
            yield
        finally:
            with self._working_lock:
                self._working.discard(owner)

    def later(self, owner: str, attempt: Callable[[], Decision | None], progress: Progress) -> None:
        """Try again each second while the database does not answer, for as long as a lease: then the record
        names what this process knows, not just that its lease ran out. Gives up quietly after that."""

        def retry() -> None:
            with self.working_for(owner):
                keep_trying()

        def keep_trying() -> None:
            deadline = time.monotonic() + self._lease.total_seconds()
            while time.monotonic() < deadline:
                time.sleep(1.0)
                try:
                    decision = attempt()
                except StoreUnavailable:
                    continue
                if decision is not None and decision.message_changed:
                    progress(decision)
                return

        self._pool.submit(retry)

    def record(self, request: RollbackRequest, owner: str, outcome: Outcome) -> tuple[RollbackRequest, Event] | None:
        """The sender's own outcome, over `sending` or over an `unknown` another replica wrote while we were
        slow: never over a definite outcome."""
        event = outcome_event(outcome, self._clock())
        written = self._store.transition(
            request.id,
            (State.SENDING, State.UNKNOWN),
            outcome.state,
            event,
            owned_by=owner,
            finished_at=event.at,
            **outcome_fields(outcome, event.at),
        )
        return None if written is None else (written, event)

    def unclaim(self, claim: Claim) -> Decision:
        """The online version could not be read: hand the request back, pending, for another try."""
        now = self._clock()
        refused = Event(EventKind.REFUSED, claim.approval.actor_id, now, detail=f"approve: {Refusal.UNVERIFIABLE}")
        try:
            earlier = claim.request.approvals
            if not claim.request.policy_bypass and earlier[-1:] == (claim.approval.actor_id,):
                earlier = earlier[:-1]  # the approver's click did nothing: they may approve again
            back = self._store.transition(
                claim.request.id,
                State.APPROVING,
                State.PENDING,
                refused,
                owned_by=claim.owner,
                approvals=earlier,
                **_UNCLAIM,
            )
        except StoreUnavailable:
            return Decision(claim.request, Refusal.DATABASE, known=Known.APPROVED_NOT_SENT)
        if back is None:
            return self.settled_elsewhere(claim.request.id)
        return Decision(back, Refusal.UNVERIFIABLE, message_changed=True, events=(refused,))

    def withdraw_stale(self, claim: Claim, why: Staleness) -> Decision:
        request = claim.request
        note = why.words
        stale = Event(EventKind.STALE, claim.approval.actor_id, self._clock(), detail=note)
        try:
            withdrawn = self._store.transition(
                request.id,
                State.APPROVING,
                State.CANCELLED,
                stale,
                owned_by=claim.owner,
                finished_at=stale.at,
                decision_note=note,
                outcome=f"Withdrawn as stale: {note} since it was requested. Nothing was changed; request again.",
                stale=why.to_json(),
            )
        except StoreUnavailable:
            return Decision(request, Refusal.DATABASE, known=Known.APPROVED_NOT_SENT)
        if withdrawn is None:
            return self.settled_elsewhere(request.id)
        return Decision(withdrawn, Refusal.STALE, message_changed=True, events=(stale,))

    def finish_unsent(self, claim: Claim, outcome: Outcome, raising: bool = False) -> Decision:
        event = Event(EventKind.NOT_SENT, None, self._clock(), detail=outcome.words)
        try:
            written = self._store.transition(
                claim.request.id,
                (State.APPROVING, State.SENDING, State.UNKNOWN),
                State.FAILED,
                event,
                owned_by=claim.owner,
                finished_at=event.at,
                **outcome_fields(outcome, event.at),
            )
        except StoreUnavailable:
            if raising:
                raise
            return Decision(claim.request, Refusal.DATABASE, known=Known.APPROVED_NOT_SENT)
        if written is None:
            return self.settled_elsewhere(claim.request.id)
        return Decision(written, message_changed=True, events=(event,))

    def settled_elsewhere(self, request_id: int) -> Decision:
        log.warning("request %d was settled by another replica while this one held it; nothing sent", request_id)
        try:
            request = self._store.get(request_id)
        except StoreUnavailable:
            request = None
        return Decision(request, Refusal.ALREADY_DECIDED)


def outcome_event(outcome: Outcome, at: datetime) -> Event:
    kind = {State.SUCCEEDED: EventKind.EXECUTED, State.FAILED: EventKind.FAILED}.get(outcome.state, EventKind.UNKNOWN)
    return Event(kind, None, at, detail=outcome.words, errcode=outcome.errcode, errmsg=outcome.errmsg)


def outcome_fields(outcome: Outcome, at: datetime) -> dict[str, Any]:
    return {
        "wechat_errcode": outcome.errcode,
        "wechat_errmsg": outcome.errmsg,
        "outcome": outcome.words,
        "outcome_cause": outcome.cause.stored() if outcome.cause else None,
        "verified": outcome.verified,
        "recheck_at": at + timedelta(seconds=RECHECK_AFTER_SECONDS[0]) if outcome.recheck else None,
        "rechecks": 0,
    }
