"""Review of issue 14: the watch records a change (its notice and audit event) in one transaction and withdraws the
stale pending request in another. A replica killed between the two leaves the change recorded as seen, so no later
check sees it again: the stale request is never withdrawn and keeps its Approve button (the issue: "any pending
request made stale by it is withdrawn at once")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bot.rollback.policy import ApprovalPolicy
from bot.rollback.workflow import RollbackWorkflow
from bot.sandbox.wechat import SimulatedWeChat
from bot.store.database import make_engine, session_factory
from bot.store.request_store import RequestStore
from bot.store.watch_store import WatchStore
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import Replica, request_rollback
from tests.support.harness import SIGNING_SECRET, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender

WATCH = "CWATCH"


def _now() -> datetime:
    return datetime.now(UTC)


def _checked(watched: WatchStore, appid: str) -> datetime | None:
    seen = watched.get(appid)
    return None if seen is None else seen.checked_at


def _last_change(watched: WatchStore, appid: str) -> str:
    seen = watched.get(appid)
    return "" if seen is None else seen.last_change or ""


def _next_check(slack: FakeSlack, watched: WatchStore, appid: str) -> datetime:
    before = _checked(watched, appid)
    return slack.wait_for(
        lambda _: (lambda now: now if now and (before is None or now > before) else None)(_checked(watched, appid)), 30
    )


def test_a_replica_killed_between_recording_a_change_and_withdrawing_the_stale_request_leaves_it_pending(
    postgres_url: str, slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    env = {"VERSION_WATCH_SECONDS": "1", "NOTIFY_CHANNEL_ID": WATCH}
    port = free_port()
    first = start_app(bot_env(slack, wechat, postgres_url, PORT=str(port), **env), tmp_path)
    second = None
    engine = make_engine(postgres_url)
    watched = WatchStore(session_factory(engine))
    record = RollbackWorkflow(
        wechat.APPID, RequestStore(session_factory(engine)), SimulatedWeChat(), ApprovalPolicy(), timedelta(1), _now
    )
    locker = engine.connect()
    try:
        assert wait_healthy(first, port).status_code == 200
        _next_check(slack, watched, wechat.APPID)
        replica = Replica(SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack), record)
        pending = request_rollback(replica, slack, "1.1.0")
        # Hold the request's row: the watch's withdrawal waits on it, after the change is committed.
        locker.execute(text("SELECT id FROM rollback_requests WHERE id = :id FOR UPDATE"), {"id": pending.id})
        wechat.release("1.3.0", "hotfix from the console")
        slack.wait_for(lambda _: "released 1.3.0" in _last_change(watched, wechat.APPID), 30)  # committed
        first.kill()  # the replica dies mid-step, its withdrawal never committed
        first.wait()
        locker.rollback()

        port2 = free_port()
        second = start_app(bot_env(slack, wechat, postgres_url, PORT=str(port2), **env), tmp_path)
        assert wait_healthy(second, port2).status_code == 200
        for _ in range(3):  # three full checks by the surviving replica
            _next_check(slack, watched, wechat.APPID)
        after = record.get(pending.id)
    finally:
        locker.close()
        if first.poll() is None:
            first.kill()
        errors = stop(second) if second is not None else ""
        engine.dispose()
    assert after is not None
    assert after.state == "cancelled", (after.state, errors[-2000:])
