"""The version watch, end to end: two bot processes on one database, against the fake Slack and WeChat. A release
made from the admin console is posted once in the notify channel, within the interval and a few seconds, by one of
the two replicas; the pending request it made stale is withdrawn and its message rewritten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.rollback.model import EventKind, RollbackRequest
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.sightings import Watched
from bot.rollback.workflow import RollbackWorkflow
from bot.sandbox.wechat import SimulatedWeChat
from bot.store.database import make_engine, session_factory
from bot.store.request_store import RequestStore
from bot.store.watch_store import WatchStore
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.records import ApiCall
from tests.fakes.wechat import FakeWeChat
from tests.support.databases import database_urls
from tests.support.flow import Replica, message_text, request_rollback
from tests.support.harness import SIGNING_SECRET, Clock, RunningBot, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender

WATCH = "CWATCH"
_NOTHING = Watched("", None, None, None, None, None)
INTERVAL = 2  # seconds


@pytest.mark.parametrize("database", database_urls())
def test_a_console_release_is_posted_once_by_two_replicas_and_withdraws_the_stale_request(
    database: str, request: pytest.FixtureRequest, slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    url = request.getfixturevalue(database)
    ports = [free_port(), free_port()]
    env = {"VERSION_WATCH_SECONDS": str(INTERVAL), "NOTIFY_CHANNEL_ID": WATCH}
    processes = [start_app(bot_env(slack, wechat, url, PORT=str(port), **env), tmp_path) for port in ports]
    engine = make_engine(url)
    watched = WatchStore(session_factory(engine))
    # The record, read from here; its WeChat is never called.
    record = RollbackWorkflow(
        wechat.APPID, RequestStore(session_factory(engine)), SimulatedWeChat(), ApprovalPolicy(), timedelta(1), _now
    )
    try:
        for process, port in zip(processes, ports, strict=True):
            assert wait_healthy(process, port).status_code == 200
        first = slack.wait_for(lambda _: _checked(watched, wechat.APPID), 30)
        replica = Replica(SlackSender(f"http://127.0.0.1:{ports[0]}{EVENTS_PATH}", SIGNING_SECRET, slack), record)
        pending = request_rollback(replica, slack, "1.1.0")
        slack.wait_for(lambda _: (_checked(watched, wechat.APPID) or first) > first, 30)

        wechat.release("1.3.0", "hotfix from the console")
        # Seen at the next check, within the interval and a tick of at most 5 s (a bound, not a measured margin).
        [post] = slack.wait_for(lambda s: _posts(s), timeout=INTERVAL + 30)
        assert "changed outside the bot: released 1.3.0 (online before: 1.2.0)" in post.args["text"]
        # Its Status button answers the person who pressed it alone; the notice stays as it is.
        button = post.args["blocks"][0]["accessory"]
        _, answer_url = replica.sender.block_action(
            button["action_id"], button["value"], "UCAROL", channel=WATCH, message_ts=post.response["ts"]
        )
        answer = slack.wait_for(lambda s: [p.body for p in s.posts_to(answer_url) if p.body.get("blocks")])[0]
        assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
        shown = "\n".join(block["text"]["text"] for block in answer["blocks"] if "text" in block)
        assert "*Online* *1.3.0*" in shown and "*Last change seen* released 1.3.0 (online before: 1.2.0)" in shown
        withdrawn = slack.wait_for(lambda _: _state(record, pending.id, "cancelled"), 30)
        assert "Withdrawn as stale" in (withdrawn.outcome or "")
        slack.wait_for(lambda s: "Withdrawn as stale" in message_text(s, withdrawn), 30)

        # Two more checks later (by either replica), still one post and one entry in the audit chain.
        for _ in range(2):
            before = _checked(watched, wechat.APPID)
            assert before is not None
            slack.wait_for(lambda _: (_checked(watched, wechat.APPID) or before) > before, 30)  # noqa: B023
    finally:
        errors = [stop(process) for process in processes]
        engine.dispose()
    assert len(_posts(slack)) == 1, errors
    [event] = [e for e in watched.outside_events(wechat.APPID) if e.kind is EventKind.CHANGED_OUTSIDE]
    assert event.detail == "released 1.3.0 (online before: 1.2.0)"


def _all_posts(slack: FakeSlack) -> list[ApiCall]:
    return [call for call in slack.calls_to("chat.postMessage") if call.args.get("channel") == WATCH]


def _posts(slack: FakeSlack) -> list[ApiCall]:
    """The posts Slack took."""
    return [call for call in _all_posts(slack) if call.response.get("ok")]


def _state(record: RollbackWorkflow, request_id: int, state: str) -> RollbackRequest | None:
    found = record.get(request_id)
    return found if found is not None and found.state == state else None


def _checked(watched: WatchStore, appid: str) -> datetime | None:
    seen = watched.get(appid)
    return None if seen is None else seen.checked_at


def _now() -> datetime:
    return datetime.now(UTC)


def test_a_notice_slack_refused_is_posted_by_a_later_check(
    slack: FakeSlack, wechat: FakeWeChat, database_url: str, clock: Clock
) -> None:
    env = bot_env(
        slack, wechat, database_url, VERSION_WATCH_SECONDS="1", NOTIFY_CHANNEL_ID=WATCH, APPROVAL_LEASE_SECONDS="5"
    )
    running = RunningBot(env, slack, clock)
    try:
        watched = WatchStore(session_factory(running.runtime.engine))
        slack.wait_for(lambda _: _checked(watched, wechat.APPID), 30)
        slack.fail_next("chat.postMessage", "not_in_channel")
        wechat.release("1.3.0")
        refused = slack.wait_for(lambda s: [c for c in _all_posts(s) if not c.response.get("ok")], 30)
        assert len(refused) == 1
        [post] = slack.wait_for(_posts, 30)
        slack.wait_for(lambda _: (watched.get(wechat.APPID) or _NOTHING).notice is None, 30)
    finally:
        running.stop()
    assert "released 1.3.0" in post.args["text"] and len(_posts(slack)) == 1
    assert len(watched.outside_events(wechat.APPID)) == 1
