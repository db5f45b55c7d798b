"""The request's state machine, on a real SQLite store and the simulated WeChat: claim first, fence the send,
verify after. (End to end, over Slack and HTTP and with real processes: tests/scenarios/.)"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.rollback.model import (
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
from bot.rollback.workflow import RollbackWorkflow
from bot.sandbox.wechat import SimulatedWeChat
from bot.store.database import create_schema, make_engine, session_factory
from bot.store.request_store import RequestStore
from bot.wechat.errors import NotSent, Unavailable, WeChatUnavailable
from bot.wechat.types import GrayReleasePlan, VersionInfo

WAIT = 60.0  # an upper bound for a busy machine; nothing waits for it to pass


class CountingWeChat(SimulatedWeChat):
    """The simulated WeChat, counting reads, and able to hold the version read until a test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.rollbacks = 0
        self.hold_reads = threading.Event()
        self.hold_reads.set()
        self.reading = threading.Event()
        self.fail_reads = False
        self.fence_closed = False  # as if the claim ran out right before the send
        self._count = threading.Lock()

    def version_info(self) -> VersionInfo:
        with self._count:
            self.reads += 1
        self.reading.set()
        assert self.hold_reads.wait(WAIT)
        if self.fail_reads:
            raise WeChatUnavailable(Unavailable.NO_ANSWER, seconds=15)
        return super().version_info()

    def gray_release_plan(self) -> GrayReleasePlan:
        with self._count:
            self.reads += 1
        return super().gray_release_plan()

    def rollback(self, app_version: int, may_send=lambda: True) -> None:  # type: ignore[no-untyped-def]
        with self._count:
            self.rollbacks += 1
        if self.fence_closed:
            raise NotSent()
        super().rollback(app_version, may_send)

    def online_version(self) -> str | None:
        online = super().version_info().online
        return online.version if online else None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RequestStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'decisions.db'}")
    create_schema(engine)
    yield RequestStore(session_factory(engine))
    engine.dispose()


@pytest.fixture
def wechat() -> CountingWeChat:
    return CountingWeChat()


def workflow_of(store: RequestStore, wechat: SimulatedWeChat, **changes: object) -> RollbackWorkflow:
    settings: dict[str, object] = {
        "policy": ApprovalPolicy(break_glass=True),
        "ttl": timedelta(minutes=15),
        "clock": lambda: datetime.now(UTC),
        "lease": timedelta(seconds=60),
    }
    settings.update(changes)
    return RollbackWorkflow(wechat.appid, store, wechat, **settings)  # type: ignore[arg-type]


@pytest.fixture
def workflow(store: RequestStore, wechat: CountingWeChat) -> RollbackWorkflow:
    return workflow_of(store, wechat)


def ask(workflow: RollbackWorkflow, wechat: CountingWeChat) -> RollbackRequest:
    request = workflow.open_request("UALICE", "CINCIDENT", 421, "checkout broken")
    wechat.reads = 0
    wechat.reading.clear()  # asking read the online version too
    return request


def test_an_approval_is_claimed_checked_sent_shown_and_verified(
    workflow: RollbackWorkflow, wechat: CountingWeChat
) -> None:
    request = ask(workflow, wechat)
    shown: list[Decision] = []
    final = workflow.decisions.approve(request.id, "UBOB", shown.append)

    assert [d.request.state for d in shown if d.request] == [State.APPROVING, State.SUCCEEDED]
    assert shown[1].request is not None and shown[1].request.verified is False  # WeChat accepted, shown at once
    assert final.request is not None and (final.request.state, final.request.verified) == (State.SUCCEEDED, True)
    assert final.request.recheck_at is None and final.request.owner is not None
    steps = [event.kind for d in (*shown, final) for event in d.events]
    assert steps == [EventKind.APPROVED, EventKind.WECHAT_CALLED, EventKind.EXECUTED, EventKind.VERIFIED]
    assert [e.kind for e in workflow.events(request.id)] == [EventKind.REQUESTED, *steps]
    assert (wechat.rollbacks, wechat.reads) == (1, 3)  # online version and phased release, then the read-back


def test_losing_clicks_are_answered_from_the_database_while_the_winner_waits_on_wechat(
    workflow: RollbackWorkflow, wechat: CountingWeChat
) -> None:
    request = ask(workflow, wechat)
    wechat.hold_reads.clear()
    with ThreadPoolExecutor(1) as pool:
        winner = pool.submit(workflow.decisions.approve, request.id, "UBOB", lambda _: None)
        assert wechat.reading.wait(WAIT)  # the winner is inside its check of the online version
        losers = [workflow.decisions.approve(request.id, f"UAPPROVER{n}", lambda _: None) for n in range(20)]
        assert not winner.done()
        wechat.hold_reads.set()
        won = winner.result(WAIT)
    assert {loser.refusal for loser in losers} == {Refusal.ALREADY_DECIDED}
    assert all(loser.request and loser.request.decided_by == "UBOB" for loser in losers)
    assert won.request is not None and won.request.state is State.SUCCEEDED
    assert wechat.rollbacks == 1 and wechat.reads == 3


def test_an_unreadable_online_version_hands_the_request_back(
    workflow: RollbackWorkflow, wechat: CountingWeChat
) -> None:
    request = ask(workflow, wechat)
    wechat.fail_reads = True
    refused = workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    assert refused.refusal is Refusal.UNVERIFIABLE and refused.message_changed
    back = workflow.get(request.id)
    assert back is not None and back.state is State.PENDING
    assert (back.decided_by, back.owner, back.lease_until) == (None, None, None)
    wechat.fail_reads = False
    assert workflow.decisions.approve(request.id, "UCAROL", lambda _: None).request.state is State.SUCCEEDED  # type: ignore[union-attr]
    assert wechat.rollbacks == 1


def test_a_stale_request_is_withdrawn_and_a_phased_release_fails_it_unsent(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    workflow = workflow_of(store, wechat)
    request = ask(workflow, wechat)
    wechat.rollback(415)  # somebody rolled back from the admin console meanwhile
    stale = workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    assert stale.refusal is Refusal.STALE and stale.request is not None and stale.request.state is State.CANCELLED

    wechat.reset()
    request = ask(workflow, wechat)
    wechat.set_gray_release(1)
    blocked = workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    assert blocked.request is not None and blocked.request.state is State.FAILED
    assert "phased" in (blocked.request.outcome or "")
    assert [e.kind for e in blocked.events] == [EventKind.NOT_SENT]
    assert wechat.rollbacks == 1  # only the console's


def test_a_claim_held_past_its_lease_sends_nothing(store: RequestStore, wechat: CountingWeChat) -> None:
    """The fence: a process whose lease may have run out (paused, stalled) never sends."""
    workflow = workflow_of(store, wechat, lease=timedelta(seconds=0))
    request = ask(workflow, wechat)
    done = workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    assert done.request is not None and done.request.state is State.FAILED
    assert "longer than its lease" in (done.request.outcome or "")
    assert wechat.rollbacks == 0


def test_break_glass_reject_and_cancel(workflow: RollbackWorkflow, wechat: CountingWeChat) -> None:
    request = ask(workflow, wechat)
    with pytest.raises(RequestRefused):
        workflow.decisions.break_glass(request.id, "UALICE", "too short", lambda _: None)
    bypassed = workflow.decisions.break_glass(request.id, "UALICE", "checkout is down for every user", lambda _: None)
    assert bypassed.request is not None and bypassed.request.policy_bypass and bypassed.request.verified

    wechat.reset()
    request = ask(workflow, wechat)
    assert workflow.decisions.reject(request.id, "UALICE").refusal is Refusal.REQUESTER_REJECT
    rejected = workflow.decisions.reject(request.id, "UBOB", "not the cause")
    assert rejected.request is not None and rejected.request.state is State.REJECTED
    assert workflow.decisions.cancel(request.id, "UALICE").refusal is Refusal.ALREADY_DECIDED
    assert wechat.rollbacks == 1


class FailingStore(RequestStore):
    """The real store, whose database stops answering for the writes a test names (a port-level fault)."""

    def __init__(self, store: RequestStore, fails: Callable[[State], bool]) -> None:
        super().__init__(store._sessions)
        self._fails = fails

    def transition(self, request_id: int, expected: object, new: State, *args: Any, **kwargs: Any) -> Any:
        if self._fails(new):
            raise StoreUnavailable("OperationalError")
        return super().transition(request_id, expected, new, *args, **kwargs)  # type: ignore[arg-type]


def test_a_fenced_off_send_whose_record_fails_is_told_as_not_sent(store: RequestStore, wechat: CountingWeChat) -> None:
    """Nothing went out (the claim ran out before the send) and the database is down: never "it was sent"."""
    failing = FailingStore(store, lambda new: new is State.FAILED)
    workflow = workflow_of(failing, wechat)
    request = ask(workflow, wechat)
    wechat.fence_closed = True
    told = workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    assert (told.refusal, told.known) == (Refusal.DATABASE, Known.APPROVED_NOT_SENT)
    assert wechat.rollbacks == 1 and wechat.online_version() == "2.4.1"  # asked, but it sent nothing


def test_a_slack_failure_showing_a_step_does_not_lose_the_outcome(
    workflow: RollbackWorkflow, wechat: CountingWeChat
) -> None:
    request = ask(workflow, wechat)

    def slack_down(_: Decision) -> None:
        raise ConnectionError("connection reset by Slack")

    final = workflow.decisions.approve(request.id, "UBOB", slack_down)
    assert final.request is not None and (final.request.state, final.request.verified) == (State.SUCCEEDED, True)
    assert final.message_changed and [e.kind for e in final.events] == [EventKind.VERIFIED]


def test_a_sweep_shows_what_it_settled_before_a_step_failed(store: RequestStore, wechat: CountingWeChat) -> None:
    clock = Clock()
    failing = FailingStore(store, lambda new: new is State.FAILED)  # taking over a lapsed claim fails
    workflow = workflow_of(failing, wechat, clock=clock, ttl=timedelta(minutes=1), lease=timedelta(seconds=5))
    lapsed = ask(workflow, wechat)
    claimed = Event(EventKind.APPROVED, "UBOB", clock())  # a state change goes with its event (the audit's rule)
    assert failing.transition(
        lapsed.id, State.PENDING, State.APPROVING, claimed, owner="gone", lease_until=clock() + timedelta(seconds=5)
    )
    clock.now += timedelta(minutes=2)
    other = workflow_of(failing, SimulatedWeChat(appid="wx_other"), clock=clock)
    expiring = other.open_request("UALICE", "CINCIDENT", 421, "also broken")
    clock.now += timedelta(minutes=20)
    shown = workflow.settler.sweep() + other.settler.sweep()
    assert [d.request.id for d in shown if d.request] == [expiring.id]  # expired and shown, the takeover retried


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class SlowDirectory:
    """Slack's usergroups.users.list answering after a while (rate-limited, say)."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def members(self, group_id: str) -> frozenset[str]:
        threading.Event().wait(self._seconds)
        return frozenset({"UBOB"})


def test_a_slow_approver_lookup_does_not_eat_the_lease(store: RequestStore, wechat: CountingWeChat) -> None:
    """The lease starts when the click claims the request, not when it arrived: a rule that waited on Slack for
    longer than the lease still leads to the rollback."""
    policy = ApprovalPolicy(approver_group="S_ONCALL", directory=SlowDirectory(6.0))
    workflow = workflow_of(store, wechat, policy=policy, lease=timedelta(seconds=5))
    request = ask(workflow, wechat)
    done = workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    assert done.request is not None and done.request.state is State.SUCCEEDED and wechat.rollbacks == 1
