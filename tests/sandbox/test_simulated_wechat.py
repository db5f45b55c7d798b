from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.rollback.model import Refusal, RequestRefused, State
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.ports import WeChatGateway
from bot.rollback.workflow import RollbackWorkflow
from bot.sandbox.wechat import DEFAULT_APPID, SimulatedWeChat
from bot.store.database import session_factory
from bot.store.request_store import RequestStore
from bot.wechat.errors import RollbackRefused, WeChatError
from bot.wechat.types import HistoryVersion

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def wechat() -> SimulatedWeChat:
    return SimulatedWeChat(clock=lambda: NOW)


def test_is_a_gateway(wechat: SimulatedWeChat) -> None:
    gateway: WeChatGateway = wechat  # checked by mypy too
    assert gateway is wechat and wechat.appid == DEFAULT_APPID
    assert SimulatedWeChat(appid="wx_team_demo").appid == "wx_team_demo"


def test_sample_state(wechat: SimulatedWeChat) -> None:
    info = wechat.version_info()
    assert info.online is not None and info.online.version == "2.4.1" and info.online.description
    assert info.online.time == int((NOW - timedelta(hours=3)).timestamp())
    assert info.experience is not None and info.experience.version == "2.5.0"
    history = wechat.list_history()
    assert [v.user_version for v in history] == ["2.3.1", "2.3.2", "2.4.0"]  # oldest first, as WeChat lists them
    assert all(v.user_desc for v in history)
    times = [v.commit_time for v in history]
    assert times == sorted(times) and all(t < info.online.time for t in times)
    assert NOW.timestamp() - times[0] > 7 * 86400  # spread over days
    plan = wechat.gray_release_plan()
    assert (plan.status, plan.blocks_rollback) == (0, False)


def test_rollback_changes_what_is_online(wechat: SimulatedWeChat) -> None:
    target = wechat.list_history()[1]
    wechat.rollback(target.app_version)
    online = wechat.version_info().online
    assert online is not None
    assert (online.version, online.description, online.time) == (
        target.user_version,
        target.user_desc,
        int(NOW.timestamp()),
    )


def test_only_one_rollback_until_the_next_release(wechat: SimulatedWeChat) -> None:
    first, second = wechat.list_history()[:2]
    wechat.rollback(first.app_version)
    assert wechat.list_history() == []  # as WeChat is reported to answer after a rollback
    with pytest.raises(RollbackRefused) as refused:
        wechat.rollback(second.app_version)
    assert refused.value.errcode == 87012
    online = wechat.version_info().online
    assert online is not None and online.version == first.user_version


@pytest.mark.parametrize("app_version", [426, 999, -1])  # 426 is the online version itself
def test_a_target_not_offered_is_refused_like_wechat(wechat: SimulatedWeChat, app_version: int) -> None:
    with pytest.raises(RollbackRefused) as refused:
        wechat.rollback(app_version)
    assert (refused.value.errcode, refused.value.errmsg) == (87012, "forbid revert this version release")
    assert "refuses to roll back" in refused.value.describe()
    assert len(wechat.list_history()) == 3  # nothing changed


def test_running_phased_release_refuses(wechat: SimulatedWeChat) -> None:
    wechat.set_gray_release(1, 20)
    assert wechat.gray_release_plan().blocks_rollback
    with pytest.raises(RollbackRefused) as refused:
        wechat.rollback(wechat.list_history()[0].app_version)
    assert refused.value.errcode == 87011


def test_concurrent_rollbacks_exactly_one_wins() -> None:
    wechat = SimulatedWeChat(latency_seconds=0.02)
    targets = [v.app_version for v in wechat.list_history()]
    start = threading.Barrier(20)
    won: list[int] = []
    refused: list[int] = []

    def attempt(i: int) -> None:
        start.wait()
        try:
            wechat.rollback(targets[i % len(targets)])
            won.append(i)
        except WeChatError as error:
            refused.append(error.errcode)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(won) == 1 and refused == [87012] * 19
    online = wechat.version_info().online
    names = {v.app_version: v.user_version for v in SimulatedWeChat().list_history()}
    assert online is not None and online.version == names[targets[won[0] % len(targets)]]


def test_latency_is_waited_in_parallel() -> None:
    wechat = SimulatedWeChat(latency_seconds=1.0)
    started = time.monotonic()
    threads = [threading.Thread(target=wechat.version_info) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    # Each call waited; one after another they would take 5 s: the bound leaves seconds for a busy machine.
    assert 1.0 <= elapsed < 4.0


def test_reset_restores_the_sample(wechat: SimulatedWeChat) -> None:
    before = (wechat.version_info(), wechat.list_history())
    wechat.rollback(wechat.list_history()[2].app_version)
    wechat.set_gray_release(2)
    wechat.reset()
    assert (wechat.version_info(), wechat.list_history()) == before
    assert wechat.gray_release_plan().status == 0


def test_full_workflow_over_a_real_store(engine: Engine) -> None:
    wechat = SimulatedWeChat()
    workflow = RollbackWorkflow(
        wechat.appid,
        RequestStore(session_factory(engine)),
        wechat,
        ApprovalPolicy(),
        timedelta(minutes=15),
        lambda: datetime.now(UTC),
    )
    target = next(v for v in workflow.options().versions if v.user_version == "2.4.0")
    request = workflow.open_request("UALICE", "CSANDBOX", target.app_version, "sandbox drill")
    assert request.online_version == "2.4.1"

    decision = workflow.decisions.approve(request.id, "UBOB", lambda shown: None)

    finished = decision.request
    assert finished is not None
    assert (finished.state, finished.verified, finished.wechat_errcode) == (State.SUCCEEDED, True, 0)
    assert finished.outcome is not None and "Verified: WeChat reports 2.4.0 online" in finished.outcome
    assert workflow.status().online == wechat.version_info().online
    with pytest.raises(RequestRefused) as refused:  # WeChat allows one rollback per release
        workflow.open_request("UALICE", "CSANDBOX", 415, "again")
    assert (refused.value.refusal, refused.value.facts) == (Refusal.VERSION_GONE, {"app_version": 415})


def test_the_sample_release_ships_again_a_while_after_a_rollback() -> None:
    now = [NOW]
    wechat = SimulatedWeChat(clock=lambda: now[0], release_after=timedelta(minutes=2))
    offered = wechat.list_history()
    wechat.rollback(offered[-1].app_version)  # the newest: 2.4.0
    now[0] += timedelta(minutes=1, seconds=59)
    assert wechat.list_history() == []  # still the one rollback until the next release
    online = wechat.version_info().online
    assert online is not None and online.version == "2.4.0"
    now[0] += timedelta(seconds=1)
    assert wechat.list_history() == [
        HistoryVersion(v.app_version, v.user_version, v.user_desc, v.commit_time + 120) for v in offered
    ]  # the same sample, released two minutes later
    wechat.rollback(offered[1].app_version)  # and it can be tried again


def test_without_release_after_the_rolled_back_state_stays() -> None:
    now = [NOW]
    wechat = SimulatedWeChat(clock=lambda: now[0])
    wechat.rollback(wechat.list_history()[0].app_version)
    now[0] += timedelta(days=30)
    assert wechat.list_history() == []
