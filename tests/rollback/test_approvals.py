"""More than one approval (APPROVALS_REQUIRED): distinct approvers, never the requester, each counted once by a
compare-and-set, any Reject ends it, and the last approval alone claims the request and rolls back, exactly once.
On a real SQLite store with the simulated WeChat."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.rollback.model import Decision, EventKind, Refusal, RequestRefused, RollbackRequest, State
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.workflow import RollbackWorkflow
from bot.store.request_store import RequestStore
from tests.rollback.test_decisions import WAIT, CountingWeChat, ask, workflow_of

NOTHING = lambda _: None  # noqa: E731 (progress nobody watches)


def two_of(store: RequestStore, wechat: CountingWeChat, required: int = 2, **policy: object) -> RollbackWorkflow:
    return workflow_of(store, wechat, policy=ApprovalPolicy(approvals_required=required, **policy))  # type: ignore[arg-type]


def _kinds(workflow: RollbackWorkflow, request: RollbackRequest) -> list[EventKind]:
    return [event.kind for event in workflow.events(request.id)]


def test_the_first_approval_is_counted_and_shown_and_the_second_rolls_back(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    workflow = two_of(store, wechat)
    request = ask(workflow, wechat)
    assert request.approvals_required == 2

    first = workflow.decisions.approve(request.id, "UBOB", NOTHING)
    assert first.refusal is None and first.message_changed
    assert first.request is not None and first.request.state is State.PENDING
    assert first.request.approvals == ("UBOB",) and first.request.decided_by is None
    assert [event.kind for event in first.events] == [EventKind.APPROVAL_COUNTED]
    assert first.events[0].detail == "1 of 2" and wechat.rollbacks == 0 and wechat.reads == 0

    last = workflow.decisions.approve(request.id, "UCAROL", NOTHING)
    assert last.request is not None and last.request.state is State.SUCCEEDED
    assert last.request.approvals == ("UBOB", "UCAROL") and last.request.decided_by == "UCAROL"
    assert _kinds(workflow, request)[:3] == [EventKind.REQUESTED, EventKind.APPROVAL_COUNTED, EventKind.APPROVED]
    assert workflow.events(request.id)[2].detail == "2 of 2"
    assert wechat.rollbacks == 1


def test_the_same_person_approving_twice_counts_once(store: RequestStore, wechat: CountingWeChat) -> None:
    workflow = two_of(store, wechat)
    request = ask(workflow, wechat)
    workflow.decisions.approve(request.id, "UBOB", NOTHING)
    again = workflow.decisions.approve(request.id, "UBOB", NOTHING)
    assert again.refusal is Refusal.REPEAT_APPROVAL and not again.message_changed
    current = workflow.get(request.id)
    assert current is not None and current.state is State.PENDING and current.approvals == ("UBOB",)
    assert wechat.rollbacks == 0


def test_the_requester_never_counts(store: RequestStore, wechat: CountingWeChat) -> None:
    workflow = two_of(store, wechat)
    request = ask(workflow, wechat)
    assert workflow.decisions.approve(request.id, "UALICE", NOTHING).refusal is Refusal.SELF_APPROVAL
    current = workflow.get(request.id)
    assert current is not None and current.approvals == ()
    assert _kinds(workflow, request)[-1] is EventKind.REFUSED


def test_any_reject_ends_it_whatever_approvals_came_before(store: RequestStore, wechat: CountingWeChat) -> None:
    workflow = two_of(store, wechat, required=3)
    request = ask(workflow, wechat)
    workflow.decisions.approve(request.id, "UBOB", NOTHING)
    workflow.decisions.approve(request.id, "UCAROL", NOTHING)
    rejected = workflow.decisions.reject(request.id, "UDAVE", "not yet")
    assert rejected.request is not None and rejected.request.state is State.REJECTED
    assert rejected.request.approvals == ("UBOB", "UCAROL")
    late = workflow.decisions.approve(request.id, "UERIN", NOTHING)
    assert late.refusal is Refusal.ALREADY_DECIDED and wechat.rollbacks == 0


def test_simultaneous_approvals_by_different_people_each_count_once_and_roll_back_once(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    """Sixteen people press Approve at once on a request needing three: each approval is counted by a
    compare-and-set on the approvals so far, so exactly two are counted, the third claims, the rest are told it is
    decided, and one rollback goes out."""
    workflow = two_of(store, wechat, required=3)
    request = ask(workflow, wechat)
    people = [f"UAPPROVER{n:02d}" for n in range(16)]
    barrier = threading.Barrier(len(people))

    def press(user: str) -> Decision:
        barrier.wait(WAIT)
        return workflow.decisions.approve(request.id, user, NOTHING)

    with ThreadPoolExecutor(len(people)) as pool:
        decisions = list(pool.map(press, people))
    done = workflow.get(request.id)
    assert done is not None and done.state is State.SUCCEEDED and len(done.approvals) == 3
    assert len(set(done.approvals)) == 3 and done.decided_by == done.approvals[-1]
    counted = [d for d in decisions if d.refusal is None and d.request and d.request.state is State.PENDING]
    refused = [d for d in decisions if d.refusal is not None]
    assert len(counted) == 2 and len(refused) == len(people) - 3
    assert {d.refusal for d in refused} == {Refusal.ALREADY_DECIDED}
    kinds = _kinds(workflow, request)
    assert kinds.count(EventKind.APPROVAL_COUNTED) == 2 and kinds.count(EventKind.APPROVED) == 1
    assert wechat.rollbacks == 1


def test_an_unverifiable_last_approval_is_handed_back_and_may_be_given_again(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    workflow = two_of(store, wechat)
    request = ask(workflow, wechat)
    workflow.decisions.approve(request.id, "UBOB", NOTHING)
    wechat.fail_reads = True
    assert workflow.decisions.approve(request.id, "UCAROL", NOTHING).refusal is Refusal.UNVERIFIABLE
    back = workflow.get(request.id)
    assert back is not None and back.state is State.PENDING and back.approvals == ("UBOB",)
    wechat.fail_reads = False
    done = workflow.decisions.approve(request.id, "UCAROL", NOTHING).request
    assert done is not None and done.state is State.SUCCEEDED and done.approvals == ("UBOB", "UCAROL")
    assert wechat.rollbacks == 1


def test_break_glass_approves_alone_even_where_two_are_required(store: RequestStore, wechat: CountingWeChat) -> None:
    workflow = two_of(store, wechat, break_glass=True)
    request = ask(workflow, wechat)
    workflow.decisions.approve(request.id, "UBOB", NOTHING)
    done = workflow.decisions.break_glass(request.id, "UALICE", "payments down and nobody else answers", NOTHING)
    assert done.request is not None and done.request.state is State.SUCCEEDED and done.request.policy_bypass
    assert done.request.approvals == ("UBOB",)  # the bypass is not an approval
    assert wechat.rollbacks == 1


def test_the_number_required_is_bound_to_the_request_when_it_is_made(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    request = ask(two_of(store, wechat), wechat)
    relaxed = two_of(store, wechat, required=1)  # the configuration changed, and the bot restarted
    counted = relaxed.decisions.approve(request.id, "UBOB", NOTHING)
    assert counted.request is not None and counted.request.state is State.PENDING
    assert wechat.rollbacks == 0


def test_a_request_nobody_could_complete_is_refused_and_nothing_is_recorded(
    store: RequestStore, wechat: CountingWeChat
) -> None:
    policy = ApprovalPolicy(approvers=frozenset({"UALICE", "UBOB"}), approvals_required=2)
    workflow = workflow_of(store, wechat, policy=policy)
    with pytest.raises(RequestRefused) as refused:
        workflow.open_request("UALICE", "CINCIDENT", 421, "checkout broken")
    assert (refused.value.refusal, refused.value.facts) == (Refusal.NO_ONE_COULD_APPROVE, {"required": 2, "others": 1})
    assert store.open_request(workflow.appid) is None
    assert workflow.open_request("UCAROL", "CINCIDENT", 421, "checkout broken").requester_id == "UCAROL"
