"""A process stopped (killed, paused, stalled) between its claim of an approval and the recorded outcome:
another replica takes over once the claim's lease runs out. It settles `approving` as not sent, settles
`sending` from WeChat's state or leaves it unknown and re-checks, and never sends the rollback again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from bot.config import load_settings
from bot.rollback.model import Event, EventKind, RollbackRequest, State
from bot.rollback.outcome import RECHECK_AFTER_SECONDS
from bot.store.database import session_factory
from bot.store.request_store import RequestStore
from bot.wiring import approval_lease
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import has_buttons, message_text, request_rollback, wait_state
from tests.support.harness import Clock, RunningBot


def _lease(env: dict[str, str]) -> float:
    return approval_lease(load_settings(env)).total_seconds()


def _abandon(bot: RunningBot, request: RollbackRequest, clock: Clock, env: dict[str, str], *, sent: bool) -> None:
    """What a process leaves behind when it stops after winning the approval (and maybe after sending)."""
    store = RequestStore(session_factory(bot.runtime.engine))
    now = clock()
    lease = approval_lease(load_settings(env))
    approved = Event(EventKind.APPROVED, "UBOB", now)
    claimed = store.transition(
        request.id,
        State.PENDING,
        State.APPROVING,
        approved,
        decided_by="UBOB",
        decided_at=now,
        owner="gone-1",
        lease_until=now + lease,
    )
    assert claimed is not None
    if sent:
        called = Event(EventKind.WECHAT_CALLED, None, now, detail="revertcoderelease")
        assert store.transition(request.id, State.APPROVING, State.SENDING, called, owned_by="gone-1") is not None


def _roll_back_directly(wechat: FakeWeChat, app_version: int) -> None:
    answer = requests.get(
        f"{wechat.base_url}/wxa/revertcoderelease",
        params={"access_token": wechat.issue_token(), "app_version": str(app_version)},
        timeout=5,
    ).json()
    assert answer["errcode"] == 0


def test_stopped_before_sending_is_not_applied(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, env: dict[str, str]
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    _abandon(bot, request, clock, env, sent=False)
    assert bot.workflow.settler.take_over_lapsed() == []  # the lease still holds
    clock.advance(_lease(env) + 1)
    done = wait_state(bot, slack, request.id, State.FAILED)
    assert done.outcome is not None and "did not send it within its lease" in done.outcome
    slack.wait_for(lambda s: "nothing was sent" in message_text(s, done) and not has_buttons(s, done))
    assert wechat.rollback_calls() == []
    assert [event.kind for event in bot.workflow.events(request.id)][-1] is EventKind.NOT_SENT


def test_stopped_after_sending_a_rollback_that_landed_is_verified(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, env: dict[str, str]
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    _abandon(bot, request, clock, env, sent=True)
    _roll_back_directly(wechat, request.target.app_version)
    clock.advance(_lease(env) + 1)
    done = wait_state(bot, slack, request.id, State.SUCCEEDED)
    assert done.verified is True
    assert len(wechat.rollback_calls()) == 1  # only the one made before the "crash"


@pytest.mark.parametrize("lands_at", [1, None])
def test_stopped_after_sending_is_unknown_and_rechecked_never_not_applied(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, env: dict[str, str], lands_at: int | None
) -> None:
    """A paused sender may still send after any check: until the online version shows the target the request is
    unknown, re-checked on schedule; a rollback that lands late is recorded as it lands."""
    request = request_rollback(bot, slack, "1.1.0")
    _abandon(bot, request, clock, env, sent=True)
    clock.advance(_lease(env) + 1)
    unknown = wait_state(bot, slack, request.id, State.UNKNOWN)
    assert unknown.recheck_at is not None and "Re-checking" in (unknown.outcome or "")
    for done, delay in enumerate(RECHECK_AFTER_SECONDS):
        if done == lands_at:
            _roll_back_directly(wechat, request.target.app_version)
        previous = RECHECK_AFTER_SECONDS[done - 1] if done else 0
        clock.advance(delay - previous)
        settled = slack.wait_for(_rechecked(bot, request.id, done + 1))
        if settled.state is State.SUCCEEDED:
            break
    final = bot.workflow.get(request.id)
    assert final is not None and final.recheck_at is None
    if lands_at is None:
        assert (final.state, final.verified) == (State.UNKNOWN, False)
        assert "5 minutes later" in (final.outcome or "")
    else:
        assert (final.state, final.verified) == (State.SUCCEEDED, True)
    assert len(wechat.rollback_calls()) == (0 if lands_at is None else 1)


def _rechecked(bot: RunningBot, request_id: int, count: int) -> Callable[[FakeSlack], RollbackRequest | None]:
    """Waits for the count-th re-check of the request, or for it to be settled."""

    def rechecked(_: FakeSlack) -> RollbackRequest | None:
        request = bot.workflow.get(request_id)
        assert request is not None
        return request if request.rechecks >= count or request.recheck_at is None else None

    return rechecked
