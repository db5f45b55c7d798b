"""Fault injection: the replica that won an Approve click is killed (SIGKILL: no handler, no cleanup) at each step
between the click and the recorded outcome. Once its lease runs out, another process over the same database
settles the request from WeChat's state: nothing is lost, nothing is sent twice, nothing is recorded that WeChat
does not show."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.rollback.model import EventKind, RollbackRequest, State
from bot.rollback.outcome import RECHECK_AFTER_SECONDS
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import REVERT, FakeWeChat, Fault
from tests.scenarios.test_paused_replica import PATIENCE, Replica, claimed, running, start_replica, until
from tests.support.flow import message_text, request_rollback, wait_state, wait_verified
from tests.support.harness import Clock, RunningBot

VERSION_INFO = "/wxa/getversioninfo"
GRAY_PLAN = "/wxa/getgrayreleaseplan"


@pytest.fixture
def doomed(env: dict[str, str], slack: FakeSlack, tmp_path: Path) -> Iterator[Replica]:
    with running(start_replica(env, slack, tmp_path)) as replica:
        yield replica


def _approve_then_kill(request: RollbackRequest, doomed: Replica, reached: Callable[[], bool]) -> None:
    doomed.approve(request)
    until(reached, "the doomed replica reached the step")
    doomed.process.kill()
    doomed.process.wait(timeout=PATIENCE)


def _lapse(clock: Clock, request: RollbackRequest) -> None:
    assert request.lease_until is not None
    clock.advance(max(0.0, (request.lease_until - clock()).total_seconds()) + 1)


def _kinds(bot: RunningBot, request: RollbackRequest) -> list[EventKind]:
    return [event.kind for event in bot.workflow.events(request.id)]


@pytest.mark.parametrize("held", [VERSION_INFO, GRAY_PLAN])
def test_killed_while_checking_fails_it_unsent(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, doomed: Replica, held: str
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    before = len(wechat.calls_to(held))
    answer = threading.Event()
    wechat.fail_next(held, Fault(hold=answer))
    _approve_then_kill(request, doomed, lambda: len(wechat.calls_to(held)) > before)
    answer.set()

    _lapse(clock, claimed(bot, request, State.APPROVING))
    done = wait_state(bot, slack, request.id, State.FAILED)
    assert done.outcome is not None and "did not send it within its lease" in done.outcome
    assert wechat.rollback_calls() == []
    assert EventKind.WECHAT_CALLED not in _kinds(bot, request)


def test_killed_while_wechat_applies_the_rollback_is_settled_as_succeeded(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, doomed: Replica
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    answer = threading.Event()
    wechat.fail_next(REVERT, Fault(apply=True, hold=answer))  # applied at once, answered never
    _approve_then_kill(request, doomed, lambda: len(wechat.rollback_calls()) == 1)
    answer.set()

    assert _kinds(bot, request)[-1] is EventKind.WECHAT_CALLED
    _lapse(clock, claimed(bot, request, State.SENDING))
    done = wait_verified(bot, slack, request.id)
    assert len(wechat.rollback_calls()) == 1  # settled from WeChat's state, never re-sent
    assert done.outcome is not None and "did not record WeChat's answer within its lease" in done.outcome


def test_killed_while_verifying_the_outcome_is_verified_by_the_planned_re_check(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, doomed: Replica
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    before = len(wechat.calls_to(VERSION_INFO))
    answer = threading.Event()
    wechat.fail_next(VERSION_INFO, Fault())  # the check that the request is current answers at once
    wechat.fail_next(VERSION_INFO, Fault(hold=answer))  # the read after the rollback does not
    _approve_then_kill(request, doomed, lambda: len(wechat.calls_to(VERSION_INFO)) > before + 1)
    answer.set()

    accepted = bot.workflow.get(request.id)
    assert accepted is not None and (accepted.state, accepted.verified) == (State.SUCCEEDED, False)
    assert accepted.recheck_at is not None and accepted.finished_at is not None  # planned before it was made
    assert accepted.recheck_at - accepted.finished_at == timedelta(seconds=RECHECK_AFTER_SECONDS[0])
    clock.advance(max(0.0, (accepted.recheck_at - clock()).total_seconds()) + 1)
    wait_verified(bot, slack, request.id)
    assert len(wechat.rollback_calls()) == 1
    kinds = _kinds(bot, request)
    assert kinds.count(EventKind.APPROVED) == 1 and kinds.count(EventKind.WECHAT_CALLED) == 1
    assert kinds[-1] is EventKind.VERIFIED


def test_what_a_killed_replica_could_not_show_is_shown_by_another(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, doomed: Replica
) -> None:
    """Slack is down while a replica rolls back, and that replica is killed before Slack is back: the other
    replica's repair pass shows the outcome and every step, once each. users.info and auth.test still answer: an
    approver nobody has seen is refused while Slack cannot vouch for them (tests/slack/test_people.py)."""
    request = request_rollback(bot, slack, "1.1.0")
    slack.outage(sparing=("users.info", "auth.test"))
    doomed.approve(request)
    wait_verified(bot, slack, request.id, PATIENCE)
    doomed.process.kill()
    doomed.process.wait(timeout=PATIENCE)
    slack.restore()
    done = wait_verified(bot, slack, request.id)
    slack.wait_for(lambda s: "Verified" in message_text(s, done), timeout=PATIENCE)
    replies = slack.wait_for(lambda s: len(_replies(s, done)) >= 5 and _replies(s, done), timeout=PATIENCE)
    assert len(replies) == 5 and len(wechat.rollback_calls()) == 1


def _replies(slack: FakeSlack, request: RollbackRequest) -> list[str]:
    calls = slack.calls_to("chat.postMessage")
    return [c.args["text"] for c in calls if c.args.get("thread_ts") == request.message_ts and c.response.get("ok")]
