"""Fault injection: the bot process is killed (SIGKILL) at each step between an approval and its recorded outcome.
Another process over the same database settles the request from WeChat's state: nothing is lost, nothing is sent
twice."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.rollback.model import EventKind, RollbackRequest, State
from bot.slack.ids import APPROVE
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import REVERT, FakeWeChat, Fault
from tests.flow import request_rollback, wait_state
from tests.harness import SIGNING_SECRET, Clock, RunningBot
from tests.processes import free_port, start_app, wait_healthy
from tests.slack_requests import SlackSender

STUCK_AFTER = 10 * 15 + 60  # the default WECHAT_TIMEOUT_SECONDS is 15
HELD = 60.0  # seconds WeChat holds the answer at the step where the process is killed
VERSION_INFO = "/wxa/getversioninfo"
GRAY_PLAN = "/wxa/getgrayreleaseplan"


Doomed = tuple[subprocess.Popen[str], SlackSender]


@pytest.fixture
def doomed(env: dict[str, str], slack: FakeSlack, tmp_path: Path) -> Iterator[Doomed]:
    """A second replica as a real process, sharing the database and the fakes: the one that will be killed."""
    port = free_port()
    process = start_app({**env, "PORT": str(port)}, tmp_path)
    wait_healthy(process, port)
    yield process, SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack)
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=20)


def _approve_then_kill(request: RollbackRequest, doomed: Doomed, reached: Callable[[], bool]) -> None:
    """UBOB's Approve goes to the doomed replica, which is killed once it has reached the step."""
    process, sender = doomed
    response, _ = sender.block_action(
        APPROVE, str(request.id), user="UBOB", channel=request.channel_id, message_ts=request.message_ts
    )
    assert response.status_code == 200
    deadline = time.monotonic() + 30
    while not reached():
        assert time.monotonic() < deadline, "the doomed replica never reached the step"
        time.sleep(0.02)
    process.kill()  # SIGKILL: no handler, no cleanup
    process.wait(timeout=20)


def _kinds(bot: RunningBot, request: RollbackRequest) -> list[EventKind]:
    return [event.kind for event in bot.workflow.events(request.id)]


def test_killed_while_checking_the_request_is_current_leaves_it_pending(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, doomed: Doomed
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    before = len(wechat.calls_to(VERSION_INFO))
    wechat.fail_next(VERSION_INFO, Fault(delay=HELD))
    _approve_then_kill(request, doomed, lambda: len(wechat.calls_to(VERSION_INFO)) > before)

    assert bot.workflow.get(request.id).state is State.PENDING  # type: ignore[union-attr]
    bot.sender.block_action(
        APPROVE, str(request.id), user="UCAROL", channel=request.channel_id, message_ts=request.message_ts
    )
    done = wait_state(bot, slack, request.id, State.SUCCEEDED)
    assert done.decided_by == "UCAROL"
    assert len(wechat.rollback_calls()) == 1


def test_killed_after_approval_before_sending_fails_it_unsent(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, doomed: Doomed
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    before = len(wechat.calls_to(GRAY_PLAN))
    wechat.fail_next(GRAY_PLAN, Fault(delay=HELD))
    _approve_then_kill(request, doomed, lambda: len(wechat.calls_to(GRAY_PLAN)) > before)

    assert bot.workflow.get(request.id).state is State.EXECUTING  # type: ignore[union-attr]
    assert EventKind.WECHAT_CALLED not in _kinds(bot, request)
    clock.advance(STUCK_AFTER + 1)
    done = wait_state(bot, slack, request.id, State.FAILED)
    assert done.outcome is not None and "stopped before sending" in done.outcome
    assert wechat.rollback_calls() == []


def test_killed_while_wechat_applies_the_rollback_is_settled_as_succeeded(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, doomed: Doomed
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    wechat.fail_next(REVERT, Fault(apply=True, delay=HELD))  # applied at once, answered never
    _approve_then_kill(request, doomed, lambda: len(wechat.rollback_calls()) == 1)

    assert _kinds(bot, request)[-1] is EventKind.WECHAT_CALLED
    clock.advance(STUCK_AFTER + 1)
    done = wait_state(bot, slack, request.id, State.SUCCEEDED)
    assert done.verified is True
    assert len(wechat.rollback_calls()) == 1  # settled from WeChat's state, never re-sent


def test_killed_while_verifying_the_outcome_is_settled_as_succeeded(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, doomed: Doomed
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    before = len(wechat.calls_to(VERSION_INFO))
    wechat.fail_next(VERSION_INFO, Fault())  # the check that the request is current answers at once
    wechat.fail_next(VERSION_INFO, Fault(delay=HELD))  # the read after the rollback does not
    _approve_then_kill(request, doomed, lambda: len(wechat.calls_to(VERSION_INFO)) > before + 1)

    assert len(wechat.rollback_calls()) == 1
    assert bot.workflow.get(request.id).state is State.EXECUTING  # type: ignore[union-attr]
    clock.advance(STUCK_AFTER + 1)
    done = wait_state(bot, slack, request.id, State.SUCCEEDED)
    assert done.verified is True and len(wechat.rollback_calls()) == 1
    kinds = _kinds(bot, request)
    assert kinds.count(EventKind.APPROVED) == 1 and kinds.count(EventKind.WECHAT_CALLED) == 1
