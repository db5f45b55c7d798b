"""Stopping a phased release: a request of its own kind on the rollback's state machine (claim first, fence the send,
verify by reading the plan back), on a real SQLite store and the simulated WeChat."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from bot.rollback.model import EventKind, Refusal, RequestKind, RequestRefused, State
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.workflow import RollbackWorkflow
from bot.store.request_store import RequestStore
from bot.wechat.errors import OutcomeUnknown, Unavailable
from bot.wechat.types import GrayReleasePlan
from tests.rollback.test_decisions import CountingWeChat, workflow_of


class StoppingWeChat(CountingWeChat):
    """Counts the stops, and can lose the answer to one (applied or not)."""

    def __init__(self) -> None:
        super().__init__()
        self.stops = 0
        self.lose_answer: bool | None = None  # True: applied, answer lost; False: not applied, answer lost

    def revert_gray_release(self, may_send: Callable[[], bool] = lambda: True) -> None:
        with self._count:
            self.stops += 1
        if self.lose_answer is None:
            return super().revert_gray_release(may_send)
        if self.lose_answer:
            super().revert_gray_release(may_send)
        raise OutcomeUnknown(Unavailable.NO_ANSWER, facts={"seconds": 15})


@pytest.fixture
def wechat() -> StoppingWeChat:
    gray = StoppingWeChat()
    gray.set_gray_release(1, 5)
    return gray


def ask_stop(workflow: RollbackWorkflow, wechat: StoppingWeChat) -> int:
    plan = wechat.gray_release_plan()
    request = workflow.open_stop_request("UALICE", "CINCIDENT", plan.created, "the new checkout crashes on iOS")
    assert request.kind is RequestKind.STOP_GRAY and request.target.commit_time == plan.created
    assert "running at 5%" in request.target.user_desc
    # The plan as facts, recorded and read back from the store: no reader needs the English words.
    recorded = workflow.get(request.id)
    assert recorded is not None and recorded.plan == GrayReleasePlan(1, 5, plan.created)
    return request.id


def test_a_stop_is_approved_sent_once_verified_and_the_rollback_then_works(
    store: RequestStore, wechat: StoppingWeChat
) -> None:
    workflow = workflow_of(store, wechat)
    with pytest.raises(RequestRefused) as blocked:
        workflow.open_request("UALICE", "CINCIDENT", 421, "checkout broken")
    assert blocked.value.refusal is Refusal.GRAY_BLOCKS
    request_id = ask_stop(workflow, wechat)
    refused = workflow.decisions.approve(request_id, "UALICE", lambda _: None)
    assert refused.refusal is not None  # the two-person rule holds for this kind too
    shown: list[object] = []
    final = workflow.decisions.approve(request_id, "UBOB", shown.append)
    assert final.request is not None and (final.request.state, final.request.verified) == (State.SUCCEEDED, True)
    assert "Verified: WeChat reports the phased release stopped" in (final.request.outcome or "")
    kinds = [e.kind for e in workflow.events(request_id)]
    assert kinds == [
        EventKind.REQUESTED,
        EventKind.REFUSED,
        EventKind.APPROVED,
        EventKind.WECHAT_CALLED,
        EventKind.EXECUTED,
        EventKind.VERIFIED,
    ]
    assert wechat.stops == 1 and wechat.rollbacks == 0
    assert not wechat.gray_release_plan().in_progress
    rollback = workflow.open_request("UALICE", "CINCIDENT", 421, "checkout broken")
    done = workflow.decisions.approve(rollback.id, "UBOB", lambda _: None)
    assert done.request is not None and done.request.state is State.SUCCEEDED and wechat.rollbacks == 1


def test_double_clicks_send_one_stop(store: RequestStore, wechat: StoppingWeChat) -> None:
    workflow = workflow_of(store, wechat, policy=ApprovalPolicy())
    request_id = ask_stop(workflow, wechat)
    barrier = threading.Barrier(10)
    results = []

    def click(n: int) -> None:
        barrier.wait()
        results.append(workflow.decisions.approve(request_id, f"UAPPROVER{n}", lambda _: None))

    threads = [threading.Thread(target=click, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wechat.stops == 1
    assert sum(1 for r in results if r.refusal is None) == 1


def test_a_phased_release_that_ended_meanwhile_withdraws_the_request_unsent(
    store: RequestStore, wechat: StoppingWeChat
) -> None:
    workflow = workflow_of(store, wechat)
    request_id = ask_stop(workflow, wechat)
    wechat.set_gray_release(3, 100)  # it finished (a new plan, in this simulator): nothing of it left to stop
    stale = workflow.decisions.approve(request_id, "UBOB", lambda _: None)
    assert stale.request is not None and stale.request.state is State.CANCELLED
    assert wechat.stops == 0


@pytest.mark.parametrize("applied", [True, False])
def test_a_lost_answer_is_settled_from_the_plan_never_resent(
    store: RequestStore, wechat: StoppingWeChat, applied: bool
) -> None:
    workflow = workflow_of(store, wechat)
    request_id = ask_stop(workflow, wechat)
    wechat.lose_answer = applied
    final = workflow.decisions.approve(request_id, "UBOB", lambda _: None)
    assert final.request is not None and wechat.stops == 1
    if applied:
        assert (final.request.state, final.request.verified) == (State.SUCCEEDED, True)
    else:
        assert final.request.state is State.UNKNOWN and final.request.recheck_at is not None
        assert "Re-checking the plan (it reads running)" in (final.request.outcome or "")


def test_asking_to_stop_a_phased_release_that_is_not_there_is_refused(
    store: RequestStore, wechat: StoppingWeChat
) -> None:
    workflow = workflow_of(store, wechat)
    created = wechat.gray_release_plan().created
    with pytest.raises(RequestRefused) as changed:
        workflow.open_stop_request("UALICE", "CINCIDENT", created - 1, "stop it")
    assert changed.value.refusal is Refusal.GRAY_CHANGED
    wechat.set_gray_release(3, 100)
    with pytest.raises(RequestRefused) as finished:
        workflow.open_stop_request("UALICE", "CINCIDENT", created, "stop it")
    assert (finished.value.refusal, finished.value.facts) == (Refusal.NOTHING_TO_STOP, {"status": 3})


def test_two_approvals_and_break_glass_hold_for_a_stop(store: RequestStore, wechat: StoppingWeChat) -> None:
    workflow = workflow_of(store, wechat, policy=ApprovalPolicy(approvals_required=2, break_glass=True))
    request_id = ask_stop(workflow, wechat)
    counted = workflow.decisions.approve(request_id, "UBOB", lambda _: None)
    assert counted.request is not None and counted.request.state is State.PENDING and wechat.stops == 0
    final = workflow.decisions.approve(request_id, "UCAROL", lambda _: None)
    assert final.request is not None and final.request.state is State.SUCCEEDED and wechat.stops == 1

    wechat.set_gray_release(2, 30)
    created = wechat.gray_release_plan().created
    request_id = workflow.open_stop_request("UALICE", "CINCIDENT", created, "paused, still bad").id
    alone = workflow.decisions.break_glass(
        request_id, "UALICE", "the incident commander is unreachable", lambda _: None
    )
    assert alone.request is not None and alone.request.state is State.SUCCEEDED and alone.request.policy_bypass
    assert wechat.stops == 2
