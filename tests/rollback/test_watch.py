"""The version watch against the fake WeChat over HTTP, on SQLite and PostgreSQL: a change made outside the bot is
recorded once (with its audit event) and withdraws the pending request it made stale; the bot's own change is not
reported as somebody else's; one replica at a time holds the watch."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.rollback.model import EventKind, RequestKind, State
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.watch import ReleaseWatch
from bot.rollback.workflow import RollbackWorkflow
from bot.store.audit_check import verify
from bot.store.database import session_factory
from bot.store.request_store import RequestStore
from bot.store.token_store import TokenStore
from bot.store.watch_store import WatchStore
from tests.fakes.wechat import FakeWeChat
from tests.wechat.test_client import _client


class Now:
    """The watch's clock, moved past each interval instead of waiting for it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 60) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def wechat() -> Iterator[FakeWeChat]:
    """The fake WeChat over HTTP (this folder's other tests use the simulated one)."""
    with FakeWeChat() as fake:
        fake.release("1.0.0", "first release", 1_690_000_000)
        fake.release("1.1.0", "stable build", 1_700_000_000)
        fake.release("1.2.0", "new checkout", 1_710_000_000)
        yield fake


@pytest.fixture
def workflow(engine: Engine, wechat: FakeWeChat, token_store: TokenStore) -> RollbackWorkflow:
    sessions = session_factory(engine)
    return RollbackWorkflow(
        wechat.APPID,
        RequestStore(sessions),
        _client(wechat, token_store),
        ApprovalPolicy(),
        ttl=timedelta(minutes=15),
        clock=lambda: datetime.now(UTC),
    )


def watcher(
    engine: Engine, workflow: RollbackWorkflow, token_store: TokenStore, now: Callable[[], datetime]
) -> ReleaseWatch:
    sessions = session_factory(engine)
    return ReleaseWatch(
        workflow.appid,
        workflow.name,
        WatchStore(sessions),
        RequestStore(sessions),
        workflow._wechat,  # the same client the workflow uses
        timedelta(seconds=30),
        channel="CWATCH",
        clock=now,
    )


def test_a_release_from_the_console_is_noticed_once_and_withdraws_a_stale_request(
    engine: Engine, workflow: RollbackWorkflow, wechat: FakeWeChat, token_store: TokenStore, now: Now
) -> None:
    watch = watcher(engine, workflow, token_store, now)
    assert watch.check() is None  # the first reading: nothing to compare with
    request = workflow.open_request("UALICE", "CINCIDENT", wechat.history[0].app_version, "checkout broken")
    assert watch.check() is None  # not due yet
    now.advance(31)
    assert watch.check() is None  # due, nothing changed
    wechat.release("1.3.0", "hotfix")
    assert watch.check() is None  # not due yet: seen at the next interval
    now.advance(31)
    noticed = watch.check()
    assert noticed is not None and noticed.notice == "released 1.3.0 (online before: 1.2.0)."
    [withdrawn] = noticed.withdrawn
    assert withdrawn.request is not None and withdrawn.request.id == request.id
    assert withdrawn.request.state is State.CANCELLED and "released 1.3.0" in (withdrawn.request.outcome or "")
    assert [e.kind for e in workflow.events(request.id)][-1] is EventKind.STALE
    notice = watch.notices.claim()
    assert notice is not None and notice.text == noticed.notice and not notice.in_doubt
    assert watch.notices.sending(notice) and watch.notices.posted(notice, "1.000001")
    assert watch.notices.claim() is None  # posted once
    now.advance(31)
    assert watch.check() is None  # the same version again: nothing new
    [event] = WatchStore(session_factory(engine)).outside_events(wechat.APPID)
    assert event.kind is EventKind.CHANGED_OUTSIDE and event.detail == "released 1.3.0 (online before: 1.2.0)"
    assert verify(engine).ok
    last = watch.last()
    assert last is not None and last.last_change == event.detail and last.last_change_at == event.at


def test_a_notice_claimed_by_a_replica_that_stalled_mid_post_is_taken_over_in_doubt(
    engine: Engine, workflow: RollbackWorkflow, wechat: FakeWeChat, token_store: TokenStore, now: Now
) -> None:
    first = watcher(engine, workflow, token_store, now)
    first.check()
    wechat.start_phased_release("1.3.0", 5)
    now.advance(31)
    noticed = first.check()
    assert noticed is not None and noticed.notice == "a phased release started (running, 5%)."
    claimed = first.notices.claim()
    assert claimed is not None and first.notices.sending(claimed)  # its post goes out; then it stalls
    second = watcher(engine, workflow, token_store, now)
    assert second.notices.claim() is None  # the first still holds it
    wechat.pause_phased_release()
    now.advance(61)
    again = second.check()  # the watch reads on while a notice waits
    assert again is not None and again.notice == "the phased release was paused at 5%."
    taken = second.notices.claim()
    assert taken is not None and taken.id == claimed.id and taken.in_doubt  # looked for before posting again
    assert second.notices.posted(taken, "1.000002")
    assert not first.notices.posted(claimed, "1.000003")  # the stalled replica's answer comes too late
    assert first.notices.taken_over(claimed) == "1.000002"
    later = second.notices.claim()
    assert later is not None and later.text == again.notice and not later.in_doubt
    assert len(WatchStore(session_factory(engine)).outside_events(wechat.APPID)) == 2


def test_a_refused_notice_waits_longer_each_time_and_holds_later_ones_back(
    engine: Engine, workflow: RollbackWorkflow, wechat: FakeWeChat, token_store: TokenStore, now: Now
) -> None:
    watch = watcher(engine, workflow, token_store, now)
    watch.check()
    wechat.release("1.3.0")
    now.advance(31)
    watch.check()
    notice = watch.notices.claim()
    assert notice is not None
    watch.notices.refused(notice, "is_archived (CWATCH)")
    assert watch.notices.claim() is None  # tried again after the watch interval
    wechat.release("1.4.0")
    now.advance(31)
    assert watch.check() is not None  # still read, and recorded
    again = watch.notices.claim()
    assert again is not None and again.id == notice.id and again.failures == 1
    watch.notices.refused(again, "is_archived (CWATCH)")
    now.advance(59)
    assert watch.notices.claim() is None  # twice as long, and the later notice waits behind it
    now.advance(2)
    third = watch.notices.claim()
    assert third is not None and third.last_error == "is_archived (CWATCH)"
    now.advance(24 * 3600)
    watch.notices.refused(third, "is_archived (CWATCH)")  # a day after the change: given up
    [left] = watch.notices.waiting()
    assert "released 1.4.0" in left.text


def test_the_bots_own_rollback_is_not_reported_as_an_outside_change(
    engine: Engine, workflow: RollbackWorkflow, wechat: FakeWeChat, token_store: TokenStore, now: Now
) -> None:
    watch = watcher(engine, workflow, token_store, now)
    watch.check()
    request = workflow.open_request("UALICE", "CINCIDENT", wechat.history[0].app_version, "checkout broken")
    decision = workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    assert decision.request is not None and decision.request.state is State.SUCCEEDED
    now.advance(31)
    assert watch.check() is None
    last = watch.last()
    assert (
        last is not None
        and last.last_change == f"rolled back to 1.1.0 (online before: 1.2.0) (by the bot: request #{request.id})"
    )
    assert WatchStore(session_factory(engine)).outside_events(wechat.APPID) == []
    assert request.kind is RequestKind.ROLLBACK


def test_one_replica_at_a_time_reads_wechat(
    engine: Engine, workflow: RollbackWorkflow, wechat: FakeWeChat, token_store: TokenStore, now: Now
) -> None:
    watches = [watcher(engine, workflow, token_store, now) for _ in range(6)]
    watches[0].check()
    wechat.release("1.3.0")
    now.advance(31)
    wechat.reset_calls()
    barrier = threading.Barrier(len(watches))
    noticed = []

    def check(watch: ReleaseWatch) -> None:
        barrier.wait()
        found = watch.check()
        if found is not None:
            noticed.append(found)

    threads = [threading.Thread(target=check, args=(watch,)) for watch in watches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(noticed) == 1
    assert len(wechat.calls_to("/wxa/getversioninfo")) == 1


def test_the_bots_own_stop_is_recognised_and_a_finished_phased_release_withdraws_a_pending_stop(
    engine: Engine, workflow: RollbackWorkflow, wechat: FakeWeChat, token_store: TokenStore, now: Now
) -> None:
    wechat.start_phased_release("1.3.0", 5)
    watch = watcher(engine, workflow, token_store, now)
    watch.check()
    first = workflow.open_stop_request("UALICE", "CINCIDENT", wechat.gray_created, "crashes for testers")
    done = workflow.decisions.approve(first.id, "UBOB", lambda _: None)
    assert done.request is not None and done.request.state is State.SUCCEEDED
    now.advance(31)
    assert watch.check() is None
    last = watch.last()
    assert (
        last is not None
        and last.last_change == f"the phased release was stopped at 5% (by the bot: request #{first.id})"
    )

    wechat.start_phased_release("1.3.1", 10)
    now.advance(31)
    noticed = watch.check()
    assert noticed is not None and noticed.notice == "a phased release started (running, 10%)."
    pending = workflow.open_stop_request("UALICE", "CINCIDENT", wechat.gray_created, "this one too")
    wechat.finish_phased_release()
    now.advance(31)
    noticed = watch.check()
    assert noticed is not None and noticed.notice is not None and "finished" in noticed.notice
    assert "released 1.3.1" in noticed.notice
    [withdrawn] = noticed.withdrawn
    assert withdrawn.request is not None and withdrawn.request.id == pending.id
    assert withdrawn.request.state is State.CANCELLED
    assert len(WatchStore(session_factory(engine)).outside_events(wechat.APPID)) == 2


def test_a_phased_release_started_in_the_console_withdraws_a_pending_rollback(
    engine: Engine, workflow: RollbackWorkflow, wechat: FakeWeChat, token_store: TokenStore, now: Now
) -> None:
    watch = watcher(engine, workflow, token_store, now)
    watch.check()
    request = workflow.open_request("UALICE", "CINCIDENT", wechat.history[0].app_version, "checkout broken")
    wechat.start_phased_release("1.3.0", 1)
    now.advance(31)
    noticed = watch.check()
    assert noticed is not None and noticed.notice == "a phased release started (running, 1%)."
    [withdrawn] = noticed.withdrawn
    assert withdrawn.request is not None and withdrawn.request.id == request.id
    assert withdrawn.request.state is State.CANCELLED


@pytest.mark.parametrize("after_revert", ["initial", "absent"])
def test_a_stop_read_back_as_no_plan_is_recognised_and_a_console_stop_noticed(
    engine: Engine, workflow: RollbackWorkflow, wechat: FakeWeChat, token_store: TokenStore, now: Now, after_revert: str
) -> None:
    """What getgrayreleaseplan answers after a revert is undocumented: status 0, or no plan at all, reads stopped."""
    wechat.after_revert = after_revert
    wechat.start_phased_release("1.3.0", 5)
    watch = watcher(engine, workflow, token_store, now)
    watch.check()
    request = workflow.open_stop_request("UALICE", "CINCIDENT", wechat.gray_created, "crashes for testers")
    done = workflow.decisions.approve(request.id, "UBOB", lambda _: None)
    assert done.request is not None and done.request.state is State.SUCCEEDED and done.request.verified
    now.advance(31)
    assert watch.check() is None
    last = watch.last()
    assert (
        last is not None
        and last.last_change == f"the phased release was stopped at 5% (by the bot: request #{request.id})"
    )

    wechat.start_phased_release("1.3.1", 10)
    now.advance(31)
    watch.check()
    wechat.revert_gray()  # stopped from the admin console
    now.advance(31)
    noticed = watch.check()
    assert noticed is not None and noticed.notice == "the phased release was stopped at 10%."


def test_only_what_the_bots_requests_do_not_explain_is_posted_as_changed_outside(
    engine: Engine, workflow: RollbackWorkflow, wechat: FakeWeChat, token_store: TokenStore, now: Now
) -> None:
    wechat.start_phased_release("1.3.0", 5)
    watch = watcher(engine, workflow, token_store, now)
    watch.check()
    stop = workflow.open_stop_request("UALICE", "CINCIDENT", wechat.gray_created, "crashes for testers")
    done = workflow.decisions.approve(stop.id, "UBOB", lambda _: None)
    assert done.request is not None and done.request.state is State.SUCCEEDED
    wechat.release("1.4.0", "released from the admin console", 1_720_000_000)  # after the bot's stop
    now.advance(31)
    noticed = watch.check()
    # The stop is the bot's; the release is not: only the release is posted.
    assert noticed is not None and noticed.notice == "released 1.4.0 (online before: 1.2.0).", noticed
