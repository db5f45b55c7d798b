"""Nobody waits for an approver: a pending request nobody decided is brought up again in its thread, naming its
approvers, at most every `remind_after`; past `escalate_after` the reminder also pages the escalation group.

Every replica's sweeper runs this. Each reminder is a compare-and-set on the request's reminder count, recorded
with its event in the same transaction, so of any number of replicas exactly one sends it; the thread reply is
then delivered from the record (durably: a Slack failure does not lose it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.rollback.model import Decision, Event, EventKind, RollbackRequest, State
from bot.rollback.ports import RequestRecords

log = logging.getLogger(__name__)

CHANNEL_MENTIONS = ("here", "channel")


@dataclass(frozen=True)
class ReminderRules:
    remind_after: timedelta | None = timedelta(minutes=5)  # None: no reminders (an escalation still goes out)
    escalation_group: str | None = None  # a Slack user group paged once the request has waited escalate_after
    escalate_after: timedelta = timedelta(minutes=10)


def reminder_detail(number: int, paged: tuple[str, ...]) -> str:
    """The event's detail: which reminder, and who it paged (Slack IDs), readable in the audit log too."""
    return f"reminder {number}: {' '.join(paged)}".rstrip()


def parse_reminder_detail(detail: str) -> tuple[int | None, tuple[str, ...]]:
    head, _, ids = detail.partition(":")
    number = head.removeprefix("reminder ")
    return (int(number) if number.isdigit() else None), tuple(ids.split())


class Reminders:
    def __init__(self, appid: str, store: RequestRecords, rules: ReminderRules, clock: Callable[[], datetime]) -> None:
        self.appid = appid
        self.rules = rules
        self._store = store
        self._clock = clock

    def sweep(self) -> list[Decision]:
        """Remind about every request due now; returns the reminders this replica sent (recorded)."""
        remind_after, group = self.rules.remind_after, self.rules.escalation_group
        if remind_after is None and group is None:
            return []
        now = self._clock()
        sent = []
        quiet_since = now - remind_after if remind_after is not None else None
        escalating = now - self.rules.escalate_after if group is not None else None
        for request_id in self._store.due_reminders(self.appid, now, quiet_since, escalating):
            try:
                request = self._store.get(request_id)
                reminded = self._remind(request, now) if request is not None else None
            except Exception:
                log.exception("reminding about request %d failed; retried next sweep", request_id)
                continue
            if reminded is not None:
                sent.append(reminded)
        return sent

    def _remind(self, request: RollbackRequest, now: datetime) -> Decision | None:
        if request.state is not State.PENDING or now >= request.expires_at:
            return None
        # Listed as due before another replica's reminder, read after it: due no longer (its count would pass).
        # The escalation is due at its own time, not at the next reminder's, and with reminders off too.
        escalate = self._escalation_due(request, now)
        remind_after = self.rules.remind_after
        reminder_due = remind_after is not None and now - (request.reminded_at or request.created_at) >= remind_after
        if not (reminder_due or escalate):
            return None
        # The request paged the channel (@here) once; its reminders page only people.
        people = tuple(who for who in request.awaited if who not in CHANNEL_MENTIONS)
        paged = people + ((escalate,) if escalate and escalate not in people else ())
        number = request.reminders + 1
        kind = EventKind.ESCALATED if escalate else EventKind.REMINDED
        event = Event(kind, None, now, detail=reminder_detail(number, paged))
        escalated: dict[str, Any] = {}
        if escalate:
            now_paged = request.paged if escalate in request.paged else (*request.paged, escalate)
            escalated = {"paged": now_paged, "escalated_to": escalate}
        written = self._store.transition(
            request.id,
            State.PENDING,
            State.PENDING,
            event,
            unexpired_at=now,
            reminders_were=request.reminders,
            reminders=number,
            reminded_at=now,
            **escalated,
        )
        if written is None:  # another replica reminded first, or the request was decided meanwhile
            return None
        log.info("request %d: reminder %d sent%s", request.id, number, f", escalated to {escalate}" if escalate else "")
        return Decision(written, message_changed=True, events=(event,))

    def _escalation_due(self, request: RollbackRequest, now: datetime) -> str | None:
        group = self.rules.escalation_group
        if group is None or request.escalated_to is not None:
            return None
        return group if now - request.created_at >= self.rules.escalate_after else None
