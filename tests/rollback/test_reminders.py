"""Reminders and escalation, on a real SQLite store with a clock the tests move: a pending request nobody decided
is brought up again at most every `remind_after`, escalates once after `escalate_after`, and each reminder is
sent by one replica only."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.rollback.model import EventKind, RollbackRequest, State
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.reminders import ReminderRules, parse_reminder_detail, reminder_detail
from bot.rollback.workflow import RollbackWorkflow
from bot.store.database import create_schema, make_engine, session_factory
from bot.store.request_store import RequestStore
from tests.rollback.test_decisions import WAIT, CountingWeChat, ask, workflow_of

RULES = ReminderRules(
    remind_after=timedelta(minutes=5), escalation_group="S0LEADS", escalate_after=timedelta(minutes=12)
)
POLICY = ApprovalPolicy(approver_group="S0ONCALL", channel_mention="here")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.now += timedelta(**delta)


def reminding(store: RequestStore, wechat: CountingWeChat, clock: Clock, **changes: object) -> RollbackWorkflow:
    settings: dict[str, object] = {"policy": POLICY, "reminders": RULES, "clock": clock, "ttl": timedelta(minutes=30)}
    settings.update(changes)
    return workflow_of(store, wechat, **settings)


def _reminders(workflow: RollbackWorkflow, request: RollbackRequest) -> list[tuple[EventKind, str]]:
    return [
        (event.kind, event.detail)
        for event in workflow.events(request.id)
        if event.kind in (EventKind.REMINDED, EventKind.ESCALATED)
    ]


def test_a_request_pages_its_approvers_and_is_reminded_at_most_every_interval(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    clock = Clock()
    workflow = reminding(store, wechat, clock)
    request = ask(workflow, wechat)
    assert request.paged == ("S0ONCALL", "here")
    assert workflow.reminders.sweep() == []  # not due yet
    clock.advance(minutes=4, seconds=59)
    assert workflow.settler.sweep() == []

    clock.advance(seconds=1)
    [reminded] = workflow.settler.sweep()
    assert reminded.message_changed and [event.kind for event in reminded.events] == [EventKind.REMINDED]
    assert reminded.request is not None and reminded.request.reminders == 1
    assert reminded.request.reminded_at == clock() and reminded.request.state is State.PENDING
    assert parse_reminder_detail(reminded.events[0].detail) == (1, ("S0ONCALL",))  # the channel was paged once
    clock.advance(minutes=4)
    assert workflow.settler.sweep() == []  # the next one counts from this reminder
    clock.advance(minutes=1)
    assert len(workflow.settler.sweep()) == 1
    assert [kind for kind, _ in _reminders(workflow, request)] == [EventKind.REMINDED, EventKind.REMINDED]


def test_past_the_escalation_time_the_reminder_also_pages_the_escalation_group_once(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    clock = Clock()
    workflow = reminding(store, wechat, clock)
    request = ask(workflow, wechat)
    at: dict[tuple[EventKind, int], int] = {}
    for minute in range(1, 21):  # reminders at 5 and 10 minutes, the escalation at 12 (its own time), then 17
        clock.advance(minutes=1)
        for decision in workflow.settler.sweep():
            at[decision.events[0].kind, len(at) + 1] = minute
    assert at == {
        (EventKind.REMINDED, 1): 5,
        (EventKind.REMINDED, 2): 10,
        (EventKind.ESCALATED, 3): 12,
        (EventKind.REMINDED, 4): 17,
    }
    assert _reminders(workflow, request) == [
        (EventKind.REMINDED, reminder_detail(1, ("S0ONCALL",))),
        (EventKind.REMINDED, reminder_detail(2, ("S0ONCALL",))),
        (EventKind.ESCALATED, reminder_detail(3, ("S0ONCALL", "S0LEADS"))),
        (EventKind.REMINDED, reminder_detail(4, ("S0ONCALL", "S0LEADS"))),
    ]
    current = workflow.get(request.id)
    assert current is not None and current.escalated_to == "S0LEADS" and current.reminders == 4
    assert current.paged == ("S0ONCALL", "here", "S0LEADS")


def test_with_reminders_off_the_escalation_still_goes_out_once_at_its_time(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    clock = Clock()
    rules = ReminderRules(remind_after=None, escalation_group="S0LEADS", escalate_after=timedelta(minutes=12))
    workflow = reminding(store, wechat, clock, reminders=rules)
    request = ask(workflow, wechat)
    clock.advance(minutes=11, seconds=59)
    assert workflow.settler.sweep() == []
    clock.advance(seconds=1)
    assert [d.events[0].kind for d in workflow.settler.sweep()] == [EventKind.ESCALATED]
    clock.advance(minutes=15)
    assert workflow.settler.sweep() == []
    assert _reminders(workflow, request) == [(EventKind.ESCALATED, reminder_detail(1, ("S0ONCALL", "S0LEADS")))]


def test_no_reminder_once_decided_expired_or_turned_off(store: RequestStore, wechat: CountingWeChat) -> None:
    clock = Clock()
    workflow = reminding(store, wechat, clock)
    cancelled = ask(workflow, wechat)
    workflow.decisions.cancel(cancelled.id, "UALICE")
    clock.advance(minutes=6)
    assert workflow.settler.sweep() == []

    expiring = ask(workflow, wechat)
    clock.advance(minutes=31)
    assert [d.events[0].kind for d in workflow.settler.sweep()] == [EventKind.EXPIRED]
    assert _reminders(workflow, expiring) == []

    silent = reminding(store, wechat, clock, reminders=None)
    quiet = ask(silent, wechat)
    clock.advance(hours=1)
    silent.settler.sweep()
    assert _reminders(silent, quiet) == []


def test_a_partly_approved_request_is_still_reminded(store: RequestStore, wechat: CountingWeChat) -> None:
    clock = Clock()
    workflow = reminding(store, wechat, clock, policy=ApprovalPolicy(approvals_required=2))
    request = ask(workflow, wechat)
    workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    clock.advance(minutes=5)
    [reminded] = workflow.settler.sweep()
    assert reminded.request is not None and reminded.request.approvals == ("UBOB",)
    assert parse_reminder_detail(reminded.events[0].detail) == (1, ())  # anyone but the requester: nobody named


def test_a_reminder_pages_only_the_listed_approvers_who_have_not_approved(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    """Two approvals from a list of three: once @bob has approved, the reminder pages the other two, not him."""
    clock = Clock()
    policy = ApprovalPolicy(approvers=frozenset({"UBOB", "UCAROL", "UDAN"}), approvals_required=2)
    workflow = reminding(store, wechat, clock, policy=policy)
    request = ask(workflow, wechat)
    assert request.paged == ("UBOB", "UCAROL", "UDAN")
    workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    clock.advance(minutes=5)
    [reminded] = workflow.settler.sweep()
    assert reminded.request is not None and reminded.request.awaited == ("UCAROL", "UDAN")
    assert parse_reminder_detail(reminded.events[0].detail) == (1, ("UCAROL", "UDAN"))


def test_replicas_sweeping_at_once_send_each_reminder_once(tmp_path: Path, wechat: CountingWeChat) -> None:
    """Four replicas (each its own engine on one database) sweep together, again and again, as the clock moves:
    every reminder is recorded once, numbered in order, and never sooner than the interval after the last."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engines = [make_engine(url) for _ in range(4)]
    create_schema(engines[0])
    clock = Clock()
    replicas = [reminding(RequestStore(session_factory(engine)), wechat, clock) for engine in engines]
    request = ask(replicas[0], wechat)
    barrier = threading.Barrier(len(replicas))

    def sweep(replica: RollbackWorkflow) -> int:
        barrier.wait(WAIT)
        return len(replica.reminders.sweep())

    try:
        with ThreadPoolExecutor(len(replicas)) as pool:
            for _ in range(5):
                clock.advance(minutes=5)
                assert sum(pool.map(sweep, replicas)) == 1
    finally:
        for engine in engines:
            engine.dispose()
    sent = [
        event for event in replicas[0].events(request.id) if event.kind in (EventKind.REMINDED, EventKind.ESCALATED)
    ]
    assert [parse_reminder_detail(event.detail)[0] for event in sent] == [1, 2, 3, 4, 5]
    assert RULES.remind_after is not None
    assert all(later.at - earlier.at >= RULES.remind_after for earlier, later in itertools.pairwise(sent))
