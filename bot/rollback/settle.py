"""What happens without a click: expiring requests nobody decided, taking over claims whose lease ran out, the
planned reads of the online version that settle an outcome after WeChat's answer, and reminders (reminders.py).

Every replica runs these; each change is a compare-and-set, so each request is settled once and each re-check
is made by one replica. Nothing here ever sends a rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from bot.rollback.claims import outcome_event, outcome_fields
from bot.rollback.execution import RollbackExecutor
from bot.rollback.model import Decision, Event, EventKind, NotSentCause, RollbackRequest, State
from bot.rollback.outcome import (
    RECHECK_AFTER_SECONDS,
    judge_abandoned,
    judge_not_sent,
    judge_still_unconfirmed,
    judge_verified,
    shows_target,
)
from bot.rollback.ports import RequestRecords
from bot.rollback.reminders import Reminders

log = logging.getLogger(__name__)


class Settler:
    def __init__(
        self,
        appid: str,
        store: RequestRecords,
        executor: RollbackExecutor,
        clock: Callable[[], datetime],
        reminders: Reminders | None = None,
    ):
        self.appid = appid
        self.reminders = reminders
        self._store = store
        self._executor = executor
        self._clock = clock

    def sweep(self) -> list[Decision]:
        """Everything due now, for this mini program: the decisions whose messages must be rewritten. A step that
        fails (the database, WeChat) does not hide what the others already wrote: it is retried next sweep."""
        decisions: list[Decision] = []
        reminders = self.reminders.sweep if self.reminders else list
        for step in (self.expire_due, self.take_over_lapsed, self.recheck_due, reminders):
            try:
                decisions += step()
            except Exception:
                log.exception("settling requests of %s failed part-way; the rest is retried next sweep", self.appid)
        return decisions

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
            with _each(request_id):
                request = self._store.transition(request_id, State.PENDING, State.EXPIRED, event, finished_at=now)
                if request is not None:
                    expired.append(Decision(request, message_changed=True, events=(event,)))
        return expired

    def take_over_lapsed(self) -> list[Decision]:
        """Claims whose owner's lease ran out (killed, paused, stalled): `approving` never sent, so it fails
        unsent; `sending` may have been sent, so it is settled from the online version, or left unknown and
        re-checked. Never re-sent, and never "not applied" (the owner may still send after any check)."""
        now = self._clock()
        settled = []
        for request_id in self._store.lease_expired(self.appid, now):
            with _each(request_id):
                decision = self._take_over(request_id, now)
                if decision is not None:
                    settled.append(decision)
        return settled

    def _take_over(self, request_id: int, now: datetime) -> Decision | None:
        request = self._store.get(request_id)
        if request is None or self._executor.claims.working_on(request.owner):
            return None
        # An older bot (before leases) recorded `wechat_called` before sending while still "executing": a claim
        # migrated from it, or still written by it during an upgrade, may have been sent although `approving`.
        maybe_sent = request.state is State.SENDING or any(
            recorded.event.kind is EventKind.WECHAT_CALLED for recorded in self._store.events(request.id)
        )
        if not maybe_sent:
            outcome = judge_not_sent(request, NotSentCause.ABANDONED)
            kind = EventKind.NOT_SENT
        else:
            outcome = judge_abandoned(request, self._executor.read_back(request))
            kind = outcome_event(outcome, now).kind
        event = Event(kind, None, now, detail=outcome.words, errcode=outcome.errcode, errmsg=outcome.errmsg)
        written = self._store.transition(
            request.id,
            request.state,
            outcome.state,
            event,
            lease_lost_at=now,
            finished_at=now,
            **outcome_fields(outcome, now),
        )
        if written is None:
            return None
        log.warning("request %d's claim lapsed while %s; now %s", request.id, request.state, written.state)
        return Decision(written, message_changed=True, events=(event,))

    def recheck_due(self) -> list[Decision]:
        now = self._clock()
        changed = []
        for request_id in self._store.due_rechecks(self.appid, now):
            with _each(request_id):
                request = self._store.get(request_id)
                decision = self._recheck(request, now) if request and request.recheck_at else None
                if decision is not None:
                    changed.append(decision)
        return changed

    def _recheck(self, request: RollbackRequest, now: datetime) -> Decision | None:
        online_now = self._executor.read_back(request)
        done = request.rechecks + 1
        if shows_target(request, online_now):
            outcome = judge_verified(request, str(online_now))
            event: Event | None = Event(EventKind.VERIFIED, None, now, detail=outcome.words)
            fields: dict[str, Any] = {"outcome": outcome.words, "verified": True, "recheck_at": None}
            new_state = State.SUCCEEDED
        elif done >= len(RECHECK_AFTER_SECONDS):
            outcome = judge_still_unconfirmed(request, online_now)
            event = Event(EventKind.UNKNOWN, None, now, detail=outcome.words)
            fields = {"outcome": outcome.words, "verified": False, "recheck_at": None}
            new_state = State.UNKNOWN
        else:  # not yet: the next read is planned, nothing to show
            event, new_state = None, request.state
            fields = {"recheck_at": _planned(request, done)}
        written = self._store.transition(
            request.id, request.state, new_state, event, recheck_was=request.recheck_at, rechecks=done, **fields
        )
        if written is None or event is None:
            return None
        return Decision(written, message_changed=True, events=(event,))


def _planned(request: RollbackRequest, done: int) -> datetime:
    """The next read, counted from the outcome (the first was planned at its time plus the first delay)."""
    assert request.recheck_at is not None
    first = request.recheck_at - timedelta(seconds=RECHECK_AFTER_SECONDS[request.rechecks])
    return first + timedelta(seconds=RECHECK_AFTER_SECONDS[done])


@contextmanager
def _each(request_id: int) -> Iterator[None]:
    """One request's failure (the database, WeChat) leaves the others to be settled and shown."""
    try:
        yield
    except Exception:
        log.exception("settling request %d failed; retried next sweep", request_id)
