"""A process stopped between approval and the recorded outcome: another replica settles the request from
WeChat's state, and the rollback is never sent again."""

from __future__ import annotations

import pytest
import requests

from bot.rollback.model import Event, EventKind, RollbackRequest, State
from bot.store.database import session_factory
from bot.store.request_store import RequestStore
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.flow import has_buttons, message_text, request_rollback, wait_state
from tests.harness import Clock, RunningBot

STUCK_AFTER = 10 * 15 + 60  # the default WECHAT_TIMEOUT_SECONDS is 15


def _abandon(bot: RunningBot, request: RollbackRequest, clock: Clock, *, sent: bool) -> None:
    """What a process leaves behind when it dies after winning the approval (and maybe after sending)."""
    store = RequestStore(session_factory(bot.runtime.engine))
    now = clock()
    approved = Event(EventKind.APPROVED, "UBOB", now)
    assert store.transition(request.id, State.PENDING, State.EXECUTING, approved, decided_by="UBOB", decided_at=now)
    if sent:
        store.record(request.id, Event(EventKind.WECHAT_CALLED, None, now, detail="revertcoderelease"))


def _roll_back_directly(wechat: FakeWeChat, app_version: int) -> None:
    answer = requests.get(
        f"{wechat.base_url}/wxa/revertcoderelease",
        params={"access_token": wechat.issue_token(), "app_version": str(app_version)},
        timeout=5,
    ).json()
    assert answer["errcode"] == 0


def test_stopped_before_sending_is_not_applied(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    _abandon(bot, request, clock, sent=False)
    clock.advance(STUCK_AFTER + 1)
    done = wait_state(bot, slack, request.id, State.FAILED)
    assert done.outcome is not None and "stopped before sending" in done.outcome
    slack.wait_for(lambda s: "stopped before sending" in message_text(s, done) and not has_buttons(s, done))
    assert wechat.rollback_calls() == []


@pytest.mark.parametrize("applied", [True, False])
def test_stopped_after_sending_is_settled_from_wechat(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, applied: bool
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    _abandon(bot, request, clock, sent=True)
    if applied:
        _roll_back_directly(wechat, request.target.app_version)
    clock.advance(STUCK_AFTER - 5)
    assert bot.workflow.reconcile_stuck() == []  # still within the time a rollback may take
    clock.advance(10)
    done = wait_state(bot, slack, request.id, State.SUCCEEDED if applied else State.FAILED)
    assert done.verified is True
    assert len(wechat.rollback_calls()) == (1 if applied else 0)  # only the one made before the "crash"
    kinds = [event.kind for event in bot.workflow.events(request.id)]
    assert kinds[-1] is (EventKind.EXECUTED if applied else EventKind.FAILED)
