"""The version watch's notices, end to end: the real bot (in this process, and as `python app.py` replicas) against
the fake Slack and WeChat, on SQLite and PostgreSQL (found by the review of issue 14). A notice whose answer Slack
lost is found in the channel, not posted again; a notice Slack keeps refusing does not stop the watch reading
WeChat and withdrawing stale requests, is logged and shown by /readyz, and goes out in order once the channel takes
it; a replica paused mid-post past its claim does not make the notice appear twice."""

from __future__ import annotations

import os
import signal
import threading
from datetime import datetime
from pathlib import Path

import pytest

from bot.rollback.model import RollbackRequest, State
from bot.store.database import make_engine, session_factory
from bot.store.watch_store import WatchStore
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.records import ApiCall
from tests.fakes.wechat import FakeWeChat
from tests.support.databases import database_urls
from tests.support.flow import request_rollback
from tests.support.harness import Clock, RunningBot, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy

WATCH = "CWATCH"
PATIENCE = 60.0  # an upper bound on any one wait, for a busy machine; no test waits for it to pass


def _posts(slack: FakeSlack) -> list[ApiCall]:
    """The notices Slack took (its answer delivered or not)."""
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == WATCH and c.response.get("ok")]


def _refused(slack: FakeSlack) -> list[ApiCall]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == WATCH and not c.response["ok"]]


def _in_channel(slack: FakeSlack) -> list[str]:
    """The notices in the channel now, oldest first (a copy taken back is not there)."""
    return [m["text"] for (channel, _), m in sorted(slack.messages().items()) if channel == WATCH]


def _checked(watched: WatchStore, appid: str) -> datetime | None:
    seen = watched.get(appid)
    return None if seen is None else seen.checked_at


def _checks(slack: FakeSlack, watched: WatchStore, appid: str, count: int) -> None:
    """`count` more readings of WeChat recorded."""
    for _ in range(count):
        before = _checked(watched, appid)
        slack.wait_for(
            lambda _: (lambda now: now is not None and (before is None or now > before))(  # noqa: B023
                _checked(watched, appid)
            ),
            PATIENCE,
        )


def _nothing_waiting(watched: WatchStore, appid: str) -> bool:
    seen = watched.get(appid)
    return seen is not None and seen.notice is None


def test_a_notice_whose_answer_was_lost_is_found_in_the_channel_not_posted_again(
    slack: FakeSlack, wechat: FakeWeChat, database_url: str, clock: Clock
) -> None:
    env = bot_env(
        slack, wechat, database_url, VERSION_WATCH_SECONDS="1", NOTIFY_CHANNEL_ID=WATCH, APPROVAL_LEASE_SECONDS="5"
    )
    running = RunningBot(env, slack, clock)
    try:
        watched = WatchStore(session_factory(running.runtime.engine))
        _checks(slack, watched, wechat.APPID, 1)
        slack.lose_answer_next("chat.postMessage")  # Slack posts it; the connection drops before the answer
        wechat.release("1.3.0")
        slack.wait_for(_posts, PATIENCE)
        slack.wait_for(lambda _: _nothing_waiting(watched, wechat.APPID), PATIENCE)
        _checks(slack, watched, wechat.APPID, 3)  # and later checks post nothing more
    finally:
        running.stop()
    assert len(_posts(slack)) == 1, [c.args["text"] for c in _posts(slack)]
    assert [call for call in slack.calls_to("conversations.history") if call.args.get("channel") == WATCH]
    assert len(watched.outside_events(wechat.APPID)) == 1


def test_a_notice_slack_keeps_refusing_does_not_stop_the_watch(
    slack: FakeSlack, wechat: FakeWeChat, database_url: str, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    env = bot_env(
        slack, wechat, database_url, VERSION_WATCH_SECONDS="1", NOTIFY_CHANNEL_ID=WATCH, APPROVAL_LEASE_SECONDS="5"
    )
    running = RunningBot(env, slack, clock)
    try:
        watched = WatchStore(session_factory(running.runtime.engine))
        _checks(slack, watched, wechat.APPID, 1)
        slack.archive(WATCH)  # chat.postMessage answers is_archived for as long as it stays so
        wechat.release("1.3.0")
        slack.wait_for(_refused, PATIENCE)
        pending = request_rollback(running, slack, "1.1.0")
        wechat.release("1.4.0")  # a later console change: seen, recorded, and the pending request withdrawn
        withdrawn = slack.wait_for(lambda _: _state(running, pending.id, State.CANCELLED), PATIENCE)
        assert withdrawn is not None and "released 1.4.0" in (withdrawn.outcome or "")
        last = watched.get(wechat.APPID)
        assert last is not None and "released 1.4.0" in (last.last_change or "")
        notices = running.runtime.readiness()["watch_notices"]
        assert isinstance(notices, dict) and "is_archived (CWATCH)" in notices[wechat.APPID]
        assert running.runtime.ready()  # the watch reads on: nothing here makes the replica unready
        _, status_url = running.sender.command("status", user="UALICE")
        shown = slack.wait_for(lambda s: [p.body for p in s.posts_to(status_url) if p.body.get("blocks")], PATIENCE)
        lines = "\n".join(block["text"]["text"] for block in shown[-1]["blocks"] if "text" in block)
        assert "(notices: 2 not posted in the notify channel yet (is_archived (CWATCH)); retried)" in lines, lines
        assert "was not posted (is_archived (CWATCH)" in caplog.text
        assert _posts(slack) == []

        slack.unarchive(WATCH)  # the operator fixes the channel: both notices go out, in order, once each
        slack.wait_for(lambda s: len(_posts(s)) == 2, PATIENCE)
        slack.wait_for(lambda _: _nothing_waiting(watched, wechat.APPID), PATIENCE)
        _checks(slack, watched, wechat.APPID, 2)
    finally:
        running.stop()
    texts = [call.args["text"] for call in _posts(slack)]
    assert len(texts) == 2 and "released 1.3.0" in texts[0] and "released 1.4.0" in texts[1], texts
    assert "watch_notices" not in running.runtime.readiness()


def _state(bot: RunningBot, request_id: int, state: State) -> RollbackRequest | None:
    found = bot.workflow.get(request_id)
    return found if found is not None and found.state is state else None


@pytest.mark.parametrize("database", database_urls())
def test_a_replica_paused_mid_post_past_its_claim_does_not_post_the_notice_twice(
    database: str, request: pytest.FixtureRequest, slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path, clock: Clock
) -> None:
    url = request.getfixturevalue(database)
    env = bot_env(slack, wechat, url, VERSION_WATCH_SECONDS="1", NOTIFY_CHANNEL_ID=WATCH, APPROVAL_LEASE_SECONDS="5")
    port = free_port()
    paused = start_app({**env, "PORT": str(port)}, tmp_path)
    engine = make_engine(url)
    watched = WatchStore(session_factory(engine))
    answer = threading.Event()
    other: RunningBot | None = None
    try:
        assert wait_healthy(paused, port, timeout=PATIENCE).status_code == 200
        _checks(slack, watched, wechat.APPID, 1)
        slack.hold_answer_next("chat.postMessage", answer)
        wechat.release("1.3.0")
        slack.wait_for(_posts, PATIENCE)  # Slack posted it; the answer is held back
        os.kill(paused.pid, signal.SIGSTOP)  # a VM freeze mid-post, longer than its 5 s claim
        answer.set()  # the answer waits in the paused process's socket
        other = RunningBot(env, slack, clock)  # the other replica takes the notice over once the claim runs out
        slack.wait_for(lambda _: _nothing_waiting(watched, wechat.APPID), PATIENCE)
        _checks(slack, watched, wechat.APPID, 2)
        os.kill(paused.pid, signal.SIGCONT)  # it reads the answer late, and must not post or keep a second copy
        errors = stop(paused)
    finally:
        answer.set()
        if paused.poll() is None:
            os.kill(paused.pid, signal.SIGCONT)
            paused.kill()
            paused.communicate(timeout=PATIENCE)
        if other is not None:
            other.stop()
        engine.dispose()
    assert len(_posts(slack)) == 1, errors
    assert len(_in_channel(slack)) == 1
    assert "taken over by another replica mid-post" in errors  # its late answer came, and it let the notice be
    assert [call for call in slack.calls_to("conversations.history") if call.args.get("channel") == WATCH]
    assert len(watched.outside_events(wechat.APPID)) == 1


@pytest.mark.parametrize("database", database_urls())
def test_a_replica_paused_before_its_post_reached_slack_takes_its_late_copy_back(
    database: str, request: pytest.FixtureRequest, slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path, clock: Clock
) -> None:
    """The narrowest window: the post is on its way when the replica freezes, and reaches Slack only after the other
    replica looked, found nothing and posted. The late copy is deleted by the replica that made it, once it learns
    that the notice is recorded under another message."""
    url = request.getfixturevalue(database)
    env = bot_env(slack, wechat, url, VERSION_WATCH_SECONDS="1", NOTIFY_CHANNEL_ID=WATCH, APPROVAL_LEASE_SECONDS="5")
    port = free_port()
    paused = start_app({**env, "PORT": str(port)}, tmp_path)
    engine = make_engine(url)
    watched = WatchStore(session_factory(engine))
    arrive = threading.Event()
    other: RunningBot | None = None
    try:
        assert wait_healthy(paused, port, timeout=PATIENCE).status_code == 200
        _checks(slack, watched, wechat.APPID, 1)
        slack.hold_call_next("chat.postMessage", arrive)
        wechat.release("1.3.0")
        slack.wait_for(lambda s: s.calls_held("chat.postMessage") == 0, PATIENCE)  # its post is on the way
        os.kill(paused.pid, signal.SIGSTOP)
        other = RunningBot(env, slack, clock)
        slack.wait_for(lambda _: _nothing_waiting(watched, wechat.APPID), PATIENCE)  # looked, found none, posted
        assert len(_posts(slack)) == 1
        arrive.set()  # the frozen replica's post reaches Slack now: a second copy, for a moment
        slack.wait_for(lambda s: len(_posts(s)) == 2, PATIENCE)
        os.kill(paused.pid, signal.SIGCONT)
        slack.wait_for(lambda s: len(_in_channel(s)) == 1, PATIENCE)
        errors = stop(paused)
    finally:
        arrive.set()
        if paused.poll() is None:
            os.kill(paused.pid, signal.SIGCONT)
            paused.kill()
            paused.communicate(timeout=PATIENCE)
        if other is not None:
            other.stop()
        engine.dispose()
    assert "posted by another replica too: this copy deleted" in errors
    assert len(slack.calls_to("chat.delete")) == 1
    assert len(watched.outside_events(wechat.APPID)) == 1
