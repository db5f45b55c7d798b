"""Stopping a phased release from Slack, end to end over HTTP against the fake Slack and WeChat, on SQLite and
PostgreSQL: the picker offers the stop, a second person approves, exactly one revertgrayrelease goes out however many
click, the plan read back verifies it, and the rollback then works."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.rollback.model import EventKind, RequestKind, State
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.workflow import RollbackWorkflow
from bot.sandbox.wechat import SimulatedWeChat
from bot.slack.ids import APPROVE, REASON_BLOCK, REASON_INPUT, REASON_VIEW, STOP_GRAY
from bot.store.database import make_engine, session_factory
from bot.store.request_store import RequestStore
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import REVERT_GRAY, FakeWeChat
from tests.support.databases import database_urls
from tests.support.flow import (
    Driven,
    Replica,
    click,
    ephemeral_text,
    message_text,
    open_picker,
    request_rollback,
    version_buttons,
    wait_posted,
    wait_verified,
)
from tests.support.harness import SIGNING_SECRET, RunningBot, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender


def ask_to_stop(bot: Driven, slack: FakeSlack, reason: str = "2.5.0 crashes the cart for testers") -> int:
    picker = open_picker(bot, slack)
    [stop] = version_buttons(picker)  # the versions have no buttons while the phased release runs
    assert stop["action_id"] == STOP_GRAY
    opened_before = len(slack.calls_to("views.open"))
    _, picker_url = bot.sender.block_action(stop["action_id"], stop["value"], "UALICE", container_ephemeral=True)
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened_before:])[0].args["view"]
    assert view["title"]["text"] == "Stop phased release"
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": reason}}}
    assert bot.sender.view_submission(REASON_VIEW, values, view["private_metadata"], "UALICE").status_code == 200
    return wait_posted(bot, slack, picker_url).id


def test_a_phased_release_is_stopped_after_approval_once_and_the_rollback_then_works(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    wechat.start_phased_release("1.3.0", 5, experiencer_first=True)
    request_id = ask_to_stop(bot, slack)
    request = bot.workflow.get(request_id)
    assert request is not None and request.kind is RequestKind.STOP_GRAY and request.state is State.PENDING
    assert "Stop of the phased release requested" in message_text(slack, request)

    refused = click(bot, request, APPROVE, "UALICE")  # the requester never approves their own request
    assert "your own" in ephemeral_text(slack, refused)
    barrier = threading.Barrier(6)

    def approve(user: str) -> None:
        barrier.wait()
        click(bot, request, APPROVE, user)

    threads = [threading.Thread(target=approve, args=(f"UAPPROVER{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stopped = wait_verified(bot, slack, request_id)
    assert "Verified: WeChat reports the phased release stopped" in (stopped.outcome or "")
    slack.wait_for(lambda s: "Phased release stopped" in message_text(s, stopped))
    assert len(wechat.calls_to(REVERT_GRAY)) == 1 and wechat.gray_status == 4
    kinds = [event.kind for event in bot.workflow.events(request_id)]
    assert kinds.count(EventKind.WECHAT_CALLED) == 1 and EventKind.VERIFIED in kinds

    # The picker offers the versions again, and the rollback goes through.
    assert [b["text"]["text"] for b in version_buttons(open_picker(bot, slack))] == [
        "Roll back to 1.1.0",
        "Roll back to 1.0.0",
    ]
    rollback = request_rollback(bot, slack, "1.1.0")
    click(bot, rollback, APPROVE, "UBOB")
    wait_verified(bot, slack, rollback.id)
    assert len(wechat.rollback_calls()) == 1 and wechat.online is not None and wechat.online.user_version == "1.1.0"
    history = [r.kind for r in bot.workflow.history()]
    assert history == [RequestKind.ROLLBACK, RequestKind.STOP_GRAY]


def test_the_approver_is_told_what_wechat_allows_before_approving_a_rollback(bot: RunningBot, slack: FakeSlack) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    assert "one rollback per release" in message_text(slack, request)
    assert request.message_ts is not None
    blocks = slack.message(request.channel_id, request.message_ts)["blocks"]
    approve = next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == APPROVE)
    confirm = approve["confirm"]["text"]["text"]
    assert "one rollback per release" in confirm
    assert "*1.2.0*, the version rolled back from, cannot be chosen" in confirm


@pytest.mark.parametrize("database", database_urls())
def test_two_replicas_approving_at_once_stop_the_phased_release_once(
    database: str, request: pytest.FixtureRequest, slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    url = request.getfixturevalue(database)
    ports = [free_port(), free_port()]
    processes = [start_app(bot_env(slack, wechat, url, PORT=str(port)), tmp_path) for port in ports]
    engine = make_engine(url)
    record = RollbackWorkflow(
        wechat.APPID,
        RequestStore(session_factory(engine)),
        SimulatedWeChat(),
        ApprovalPolicy(),
        timedelta(minutes=15),
        lambda: datetime.now(UTC),
    )
    try:
        for process, port in zip(processes, ports, strict=True):
            assert wait_healthy(process, port).status_code == 200
        replicas = [
            Replica(SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack), record)
            for port in ports
        ]
        wechat.start_phased_release("1.3.0", 5)
        request_id = ask_to_stop(replicas[0], slack)
        pending = record.get(request_id)
        assert pending is not None
        barrier = threading.Barrier(8)

        def approve(n: int) -> None:
            barrier.wait()
            click(replicas[n % 2], pending, APPROVE, f"UAPPROVER{n}")

        threads = [threading.Thread(target=approve, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stopped = wait_verified(replicas[1], slack, request_id, timeout=30)
        assert stopped.kind is RequestKind.STOP_GRAY
    finally:
        errors = [stop(process) for process in processes]
        engine.dispose()
    assert len(wechat.calls_to(REVERT_GRAY)) == 1, errors
    assert wechat.rollback_calls() == []
